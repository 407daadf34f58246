"""The checker names each broken rule."""

from dataclasses import replace

import pytest

from planner import Assignment, Machine, Operation, Order, Problem, Schedule, Status, Window, check

PROBLEM = Problem(
    machines=(Machine("A", shifts=(Window(0, 100),), downtime=(Window(40, 50),)), Machine("B")),
    orders=(Order("o", release=0),),
    operations=(
        Operation("p", "o", (("A", 10), ("B", 12)), setup_family="oak"),
        Operation("q", "o", (("A", 10),), ("p",), setup_family="walnut"),
    ),
    setups=((("oak", "walnut"), 5),),
)
GOOD = Schedule((Assignment("p", "A", 0, 10), Assignment("q", "A", 15, 25)))


def _kinds(schedule: Schedule, fixed: tuple[Assignment, ...] = ()) -> list[str]:
    return [v.kind for v in check(PROBLEM, schedule, fixed)]


def _with(q: Assignment) -> Schedule:
    return Schedule((GOOD.assignments[0], q))


def test_a_valid_schedule_has_no_violations() -> None:
    assert check(PROBLEM, GOOD) == []


@pytest.mark.parametrize(
    ("q", "kind"),
    [
        (Assignment("q", "B", 30, 40), "eligibility"),
        (Assignment("q", "A", 15, 30), "duration"),
        (Assignment("q", "A", 12, 22), "setup"),
        (Assignment("q", "A", 5, 15), "overlap"),
        (Assignment("q", "A", 35, 45), "calendar"),
        (Assignment("q", "A", 95, 105), "calendar"),
    ],
)
def test_each_machine_rule_is_caught(q: Assignment, kind: str) -> None:
    assert kind in _kinds(_with(q))


def test_a_successor_starting_before_its_predecessor_ends_is_a_precedence_violation() -> None:
    schedule = Schedule((Assignment("p", "B", 0, 12), Assignment("q", "A", 5, 15)))
    violations = check(PROBLEM, schedule)
    assert [v.kind for v in violations] == ["precedence"]
    assert "q" in violations[0].message and "p" in violations[0].message


def test_missing_duplicate_and_unknown_operations_are_reported() -> None:
    assert "missing" in _kinds(Schedule(GOOD.assignments[:1]))
    assert "duplicate" in _kinds(Schedule(GOOD.assignments + GOOD.assignments[1:]))
    assert "unknown" in _kinds(Schedule(GOOD.assignments + (Assignment("z", "B", 0, 1),)))


def test_start_before_release_is_reported() -> None:
    late_release = replace(PROBLEM, orders=(Order("o", release=5),))
    assert "release" in [v.kind for v in check(late_release, GOOD)]


def test_moving_fixed_work_is_reported() -> None:
    fixed = (Assignment("p", "A", 0, 10, Status.RUNNING),)
    moved = Schedule((Assignment("p", "B", 0, 12), GOOD.assignments[1]))
    assert _kinds(moved, fixed) == ["fixed_moved"]
    assert _kinds(GOOD, fixed) == []
