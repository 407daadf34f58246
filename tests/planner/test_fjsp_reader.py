"""The FJSP reader takes the standard format and points at the bad line and token."""

import pytest

from planner import FjspFormatError, parse_fjsp

K1_FIRST_JOB = "3 5 0 2 1 5 2 4 3 1 4 2 5 0 5 1 4 2 2 3 5 4 7 5 0 5 1 4 2 2 3 5 4 7"


def test_a_third_header_number_is_ignored_and_machines_count_from_zero() -> None:
    problem = parse_fjsp("1 5 2.5\n" + K1_FIRST_JOB + "\n")
    assert [m.id for m in problem.machines] == ["m0", "m1", "m2", "m3", "m4"]
    first = problem.operations[0]
    assert first.durations == (("m0", 2), ("m1", 5), ("m2", 4), ("m3", 1), ("m4", 2))
    assert problem.operations[1].predecessors == (first.id,)


def test_a_machine_out_of_range_names_line_and_token() -> None:
    with pytest.raises(FjspFormatError) as info:
        parse_fjsp("1 2\n1 1 7 3\n", "bad.txt")
    assert (info.value.path, info.value.line, info.value.token) == ("bad.txt", 2, "7")


def test_a_truncated_job_line_says_what_was_expected() -> None:
    with pytest.raises(FjspFormatError, match=r"bad.txt:4: .*processing time"):
        parse_fjsp("2 2\n1 1 0 3\n\n1 1 1\n", "bad.txt")


def test_a_word_where_a_number_belongs_is_reported() -> None:
    with pytest.raises(FjspFormatError, match="not a number") as info:
        parse_fjsp("1 x\n", "bad.txt")
    assert info.value.token == "x"
