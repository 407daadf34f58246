"""Bad planning input raises PlanningError naming the order and the operation."""

import pytest

from planner import Machine, Operation, Order, PlanningError, Problem, plan_fjsp

ORDER = Order("o1", 0, 100)


def _problem(
    ops: tuple[Operation, ...],
    order: Order = ORDER,
    machines: tuple[Machine, ...] = (Machine("A"),),
) -> Problem:
    return Problem(machines, (order,), ops)


def test_an_operation_no_machine_can_run_is_named() -> None:
    with pytest.raises(PlanningError) as info:
        plan_fjsp(_problem((Operation("cut", "o1", ()),)), 1)
    assert (info.value.order_id, info.value.operation_id) == ("o1", "cut")
    assert "no machine" in str(info.value)


def test_a_precedence_cycle_is_named() -> None:
    ops = (Operation("a", "o1", (("A", 1),), ("b",)), Operation("b", "o1", (("A", 1),), ("a",)))
    with pytest.raises(PlanningError, match="cycle") as info:
        plan_fjsp(_problem(ops), 1)
    assert info.value.operation_id in {"a", "b"}
    assert info.value.order_id == "o1"


def test_a_due_date_before_the_release_names_the_order() -> None:
    with pytest.raises(PlanningError, match="before release") as info:
        plan_fjsp(_problem((Operation("a", "o1", (("A", 1),)),), Order("o1", 50, 10)), 1)
    assert info.value.order_id == "o1"


def test_an_empty_calendar_names_the_operation_that_cannot_fit() -> None:
    machines = (Machine("A", shifts=()),)
    with pytest.raises(PlanningError, match="calendar") as info:
        plan_fjsp(_problem((Operation("a", "o1", (("A", 5),)),), machines=machines), 1)
    assert (info.value.order_id, info.value.operation_id) == ("o1", "a")


def test_a_machine_that_does_not_exist_is_named() -> None:
    with pytest.raises(PlanningError, match="'Z' does not exist"):
        plan_fjsp(_problem((Operation("a", "o1", (("Z", 5),)),)), 1)


def test_an_unknown_predecessor_is_named() -> None:
    with pytest.raises(PlanningError, match="unknown predecessor 'ghost'"):
        plan_fjsp(_problem((Operation("a", "o1", (("A", 5),), ("ghost",)),)), 1)


def test_an_operation_id_used_twice_is_named() -> None:
    ops = (Operation("a", "o1", (("A", 1),)), Operation("a", "o1", (("A", 2),)))
    with pytest.raises(PlanningError, match="used twice") as info:
        plan_fjsp(_problem(ops), 1)
    assert info.value.operation_id == "a"
