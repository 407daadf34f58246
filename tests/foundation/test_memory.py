"""The malloc arena cap every c2m process sets at start (the soak's memory invariant)."""

from __future__ import annotations

import platform

import pytest

from c2m.memory import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_arena_cap_is_set_on_glibc():
    assert limit_malloc_arenas({}) is True


def test_an_arena_count_given_in_the_environment_is_left_as_glibc_read_it():
    assert limit_malloc_arenas({"MALLOC_ARENA_MAX": "4"}) is False
