"""Unit codes (`/u/<code>`) are public links: keyed, so nobody can list them from ids."""

from __future__ import annotations

import hashlib

from c2m.mes_intake import unit_code


def test_a_unit_code_is_stable_for_one_key():
    assert unit_code(101, 1, b"plant key") == unit_code(101, 1, b"plant key")


def test_a_unit_code_depends_on_the_key_so_it_cannot_be_computed_from_the_ids():
    assert unit_code(101, 1, b"plant key") != unit_code(101, 1, b"another key")
    unkeyed = hashlib.sha256(b"c2m-unit:101:1").hexdigest()[:6].upper()  # the old public hash
    assert unkeyed not in unit_code(101, 1, b"plant key")
    assert not unit_code(101, 1, b"plant key").startswith("U0010101")


def test_neighbouring_units_get_unrelated_codes_that_fit_the_column():
    codes = {unit_code(work_order, serial, b"k") for work_order in range(50) for serial in range(5)}
    assert len(codes) == 250
    assert all(len(code) == 17 and code.startswith("U") for code in codes)
