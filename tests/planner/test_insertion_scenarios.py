"""Order insertion scenarios with expected plans (frePPLe style: input, then the exact plan)."""

from planner import (
    Assignment,
    Machine,
    Operation,
    Order,
    Problem,
    Schedule,
    Status,
    check,
    insert_orders,
)

A, B = Machine("A"), Machine("B")


def _line(x_due: int) -> tuple[Problem, Schedule]:
    orders = (Order("X", 0, x_due), Order("Y", 0, 200))
    ops = (
        Operation("X1", "X", (("A", 30),)),
        Operation("X2", "X", (("B", 20),), ("X1",)),
        Operation("Y1", "Y", (("A", 40),)),
        Operation("Y2", "Y", (("B", 30),), ("Y1",)),
    )
    schedule = Schedule(
        (
            Assignment("X1", "A", 0, 30, Status.RUNNING),
            Assignment("X2", "B", 30, 50),
            Assignment("Y1", "A", 30, 70),
            Assignment("Y2", "B", 70, 100),
        )
    )
    return Problem((A, B), orders, ops), schedule


NEW = Order("N", 0, 90, 2.0)
NEW_OPS = (
    Operation("N1", "N", (("A", 20), ("B", 25))),
    Operation("N2", "N", (("B", 10),), ("N1",)),
)


def _plan(schedule: Schedule) -> dict[str, tuple[str, int, int]]:
    return {a.operation_id: (a.machine_id, a.start, a.end) for a in schedule.assignments}


def _merged(problem: Problem) -> Problem:
    return Problem(problem.machines, problem.orders + (NEW,), problem.operations + NEW_OPS)


def test_new_order_goes_where_it_moves_the_fewest_ops_when_nobody_becomes_late() -> None:
    problem, schedule = _line(x_due=100)
    result = insert_orders(problem, schedule, (NEW,), NEW_OPS, frozen_until=10)
    assert _plan(result.schedule) == {
        "X1": ("A", 0, 30),
        "X2": ("B", 35, 55),
        "Y1": ("A", 30, 70),
        "Y2": ("B", 70, 100),
        "N1": ("B", 10, 35),
        "N2": ("B", 55, 65),
    }
    assert [m.operation_id for m in result.moved] == ["X2"]
    assert result.tardiness_delta == 0
    assert check(_merged(problem), result.schedule, [schedule.assignments[0]]) == []


def test_insertion_pushes_work_with_slack_rather_than_make_a_tight_order_late() -> None:
    # Same line, but X is due at 50: pushing X2 (the cheapest move above) would make X late,
    # so the new order waits behind X2 and pushes Y2, whose order has slack.
    problem, schedule = _line(x_due=50)
    result = insert_orders(problem, schedule, (NEW,), NEW_OPS, frozen_until=10)
    assert _plan(result.schedule) == {
        "X1": ("A", 0, 30),
        "X2": ("B", 30, 50),
        "Y1": ("A", 30, 70),
        "Y2": ("B", 85, 115),
        "N1": ("B", 50, 75),
        "N2": ("B", 75, 85),
    }
    assert [m.operation_id for m in result.moved] == ["Y2"]
    assert result.tardiness_delta == 0
    assert check(_merged(problem), result.schedule, [schedule.assignments[0]]) == []


def test_running_and_frozen_work_is_never_touched() -> None:
    problem, schedule = _line(x_due=50)
    result = insert_orders(problem, schedule, (NEW,), NEW_OPS, frozen_until=40)
    plan = _plan(result.schedule)
    assert plan["X1"] == ("A", 0, 30)
    assert plan["X2"] == ("B", 30, 50)  # starts before 40: frozen
    assert plan["Y1"] == ("A", 30, 70)  # starts before 40: frozen
    assert all(a.start >= 40 for a in result.schedule.assignments if a.operation_id[0] == "N")
    frozen = [a for a in schedule.assignments if a.start < 40]
    assert check(_merged(problem), result.schedule, frozen) == []
