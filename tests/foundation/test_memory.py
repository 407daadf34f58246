"""The malloc arena cap every c2m process sets at start (the soak's memory invariant)."""

from __future__ import annotations

import platform
import threading

import pytest

from c2m.memory import (
    _libc_function,
    keep_returning_free_memory,
    limit_malloc_arenas,
    return_free_memory,
)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_arena_cap_is_set_on_glibc():
    assert limit_malloc_arenas({}) is True


def test_an_arena_count_given_in_the_environment_is_left_as_glibc_read_it():
    assert limit_malloc_arenas({"MALLOC_ARENA_MAX": "4"}) is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_memory_is_handed_back_through_glibc_malloc_trim() -> None:
    assert _libc_function("malloc_trim") is not None
    return_free_memory()  # callable from any thread at any time: glibc takes the arena locks


def test_the_trimming_thread_trims_on_its_cadence_and_never_holds_up_exit() -> None:
    trims = threading.Semaphore(0)
    thread = keep_returning_free_memory(every_s=0.01, trim=lambda: trims.release() or True)
    assert thread.daemon
    assert all(trims.acquire(timeout=5) for _ in range(3))
