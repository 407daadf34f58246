"""Re-optimisation when the late orders are the ones the shop floor already holds.

In a running plant the tardy orders are mostly released or running: all their work is fixed.
The search must aim at orders it can still help, never try to move fixed work (which crashed
the tabu search and the MILP windows of re-plans and breakdown repairs)."""

from __future__ import annotations

from planner import Objective, Order, Problem, Schedule, Status, check, reoptimise
from planner.model import Assignment, Machine, Operation, Window


def two_orders_one_late_and_fixed() -> tuple[Problem, Schedule]:
    machines = tuple(Machine(m, shifts=(Window(0, 10_000),)) for m in ("M1", "M2"))
    orders = (Order("late", 0, 50, 1.0), Order("free", 0, 5_000, 1.0))
    operations = (
        Operation("late/a", "late", (("M1", 40),)),
        Operation("late/b", "late", (("M1", 40),), predecessors=("late/a",)),
        *(Operation(f"free/{k}", "free", (("M1", 30), ("M2", 35))) for k in range(6)),
    )
    fixed = (
        Assignment("late/a", "M1", 0, 40, Status.DONE),
        Assignment("late/b", "M1", 40, 80, Status.RUNNING),
    )
    movable = tuple(
        Assignment(f"free/{k}", "M1", 80 + 30 * k, 110 + 30 * k, Status.MOVABLE) for k in range(6)
    )
    return Problem(machines, orders, operations, ()), Schedule(fixed + movable)


def test_a_replan_whose_only_tardy_order_is_fixed_improves_the_rest_and_keeps_it() -> None:
    problem, schedule = two_orders_one_late_and_fixed()
    for seed in range(3):
        replanned = reoptimise(problem, schedule, 0, Objective.WEIGHTED_TARDINESS, 1.0, seed)
        fixed = [a for a in schedule.assignments if a.fixed]
        assert check(problem, replanned, fixed) == []
