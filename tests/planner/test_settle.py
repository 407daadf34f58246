"""Released work that has not started waits for the late work before it (planner.settle)."""

from __future__ import annotations

from planner import Order, Problem, Schedule, Status, check
from planner.model import Assignment, Machine, Operation, Window
from planner.settle import settle

DAY_SHIFTS = (Window(0, 480), Window(1440, 1920))


def line() -> Problem:
    machines = (Machine("SAW", shifts=DAY_SHIFTS), Machine("GLUE", shifts=DAY_SHIFTS))
    operations = (
        Operation("a/cut", "a", (("SAW", 60),), setup_family="wood:oak"),
        Operation("a/glue", "a", (("GLUE", 60),), predecessors=("a/cut",)),
        Operation("b/cut", "b", (("SAW", 60),), setup_family="wood:ash"),
        Operation("c/cut", "c", (("SAW", 60), ("GLUE", 90))),
    )
    setups = ((("wood:oak", "wood:ash"), 15),)
    orders = tuple(Order(k, 0, 2000, 1.0) for k in "abc")
    return Problem(machines, orders, operations, setups)


def planned(*overrides: Assignment) -> Schedule:
    base = {
        "a/cut": Assignment("a/cut", "SAW", 0, 60, Status.FROZEN),
        "a/glue": Assignment("a/glue", "GLUE", 60, 120, Status.FROZEN),
        "b/cut": Assignment("b/cut", "SAW", 75, 135, Status.FROZEN),
        "c/cut": Assignment("c/cut", "SAW", 200, 260, Status.MOVABLE),
    }
    base.update({a.operation_id: a for a in overrides})
    return Schedule(tuple(base.values()))


def test_an_on_time_plan_stays_as_it_is() -> None:
    assert settle(line(), planned(), now=0) == planned()


def test_released_work_waits_for_a_late_predecessor_and_for_late_work_on_its_machine() -> None:
    late_cut = Assignment("a/cut", "SAW", 10, 95, Status.DONE)  # started late, ran long
    settled = settle(line(), planned(late_cut), now=100).by_operation()
    assert (settled["a/glue"].start, settled["a/glue"].end) == (100, 160)  # and not before now
    assert (settled["b/cut"].start, settled["b/cut"].end) == (110, 170)  # after the changeover
    assert settled["a/glue"].machine_id == "GLUE"


def test_movable_work_is_left_to_the_planner() -> None:
    late_cut = Assignment("a/cut", "SAW", 10, 250, Status.RUNNING)
    assert settle(line(), planned(late_cut), now=100).by_operation()["c/cut"].start == 200


def test_work_that_no_longer_fits_the_shift_moves_to_the_next_one() -> None:
    late_cut = Assignment("a/cut", "SAW", 300, 450, Status.DONE)
    settled = settle(line(), planned(late_cut), now=450).by_operation()
    assert settled["a/glue"].start == 1440 and settled["b/cut"].start == 1440


def test_a_settled_plan_passes_the_checker_with_the_reported_work_given() -> None:
    late_cut = Assignment("a/cut", "SAW", 10, 95, Status.DONE)
    settled = settle(line(), planned(late_cut), now=100)
    given = [a for a in settled.assignments if a.fixed]
    assert check(line(), settled, given) == []


def test_released_work_waits_for_other_work_the_shop_floor_started_on_its_machine_first() -> None:
    started_first = Assignment("c/cut", "SAW", 5, 100, Status.RUNNING)
    settled = settle(line(), planned(started_first), now=50).by_operation()
    assert settled["a/cut"].start == 100 and settled["b/cut"].start >= settled["a/cut"].end + 15
    assert settled["a/glue"].start >= settled["a/cut"].end
    given = [a for a in settled.values() if a.fixed]
    assert check(line(), Schedule(tuple(settled.values())), given) == []
