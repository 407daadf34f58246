"""Insertion, promise, re-optimisation and rescheduling on a synthetic line with calendars,
setups and join DAGs: every result passes the checker with the fixed work held."""

import random
from dataclasses import replace

import pytest

from planner import (
    Objective,
    Order,
    Problem,
    Schedule,
    Status,
    Window,
    check,
    diff,
    insert_orders,
    kpis,
    promise,
    reoptimise,
    reschedule_after,
    split_fixed,
    weighted_tardiness,
)
from planner.compile import compile_problem
from planner.decode import construct
from planner.solve import to_schedule
from planner.synthetic import DAY, loaded_line, order_ops

FROZEN = DAY + 600


@pytest.fixture(scope="module")
def live() -> tuple[Problem, Schedule]:
    problem = loaded_line(200, seed=4)
    c = compile_problem(problem)
    sol = construct(c, random.Random(0), "due", Objective.WEIGHTED_TARDINESS)
    assert sol is not None
    schedule = to_schedule(c, sol)
    marked = tuple(
        replace(a, status=Status.DONE) if a.end <= DAY else a for a in schedule.assignments
    )
    return problem, Schedule(marked)


def _new(k: int = 0) -> tuple[Order, tuple]:
    order = Order(f"n{k}", FROZEN, FROZEN + 3 * DAY, 2.0)
    return order, order_ops(random.Random(k), order.id, 10)


def _with(problem: Problem, order: Order, ops: tuple) -> Problem:
    return Problem(
        problem.machines, problem.orders + (order,), problem.operations + ops, problem.setups
    )


def test_the_synthetic_plan_itself_is_valid(live: tuple[Problem, Schedule]) -> None:
    problem, schedule = live
    assert check(problem, schedule) == []


@pytest.mark.parametrize("k", range(4))
def test_inserting_an_order_keeps_fixed_work_and_passes_the_checker(
    live: tuple[Problem, Schedule], k: int
) -> None:
    problem, schedule = live
    order, ops = _new(k)
    result = insert_orders(problem, schedule, (order,), ops, FROZEN)
    fixed = split_fixed(schedule, FROZEN)
    assert check(_with(problem, order, ops), result.schedule, fixed) == []
    assert all(m.new_start >= m.old_start for m in result.moved)  # only right shifts
    assert result.moved == diff(schedule, result.schedule)


def test_a_promise_commits_nothing_and_matches_the_insertion(
    live: tuple[Problem, Schedule],
) -> None:
    problem, schedule = live
    before = schedule
    order, ops = _new(7)
    answer = promise(problem, schedule, order, ops, FROZEN)
    assert schedule == before and len(problem.orders) == 20
    inserted = insert_orders(problem, schedule, (order,), ops, FROZEN)
    done = max(a.end for a in inserted.schedule.assignments if a.operation_id.startswith("n7."))
    assert answer.completion == done
    assert answer.on_time == (done <= order.due)


@pytest.mark.slow
def test_reoptimising_keeps_frozen_work_and_never_worsens_tardiness(
    live: tuple[Problem, Schedule],
) -> None:
    problem, schedule = live
    new = reoptimise(problem, schedule, FROZEN, Objective.WEIGHTED_TARDINESS, time_limit=3)
    assert check(problem, new, split_fixed(schedule, FROZEN)) == []
    assert weighted_tardiness(problem, new) <= weighted_tardiness(problem, schedule)


def test_after_a_breakdown_nothing_runs_on_the_machine_while_it_is_down(
    live: tuple[Problem, Schedule],
) -> None:
    problem, schedule = live
    down = Window(FROZEN, FROZEN + DAY)
    new = reschedule_after(problem, schedule, FROZEN, breakdown=("m3", down), time_limit=1)
    broken = replace(
        problem,
        machines=tuple(
            replace(m, downtime=(down,)) if m.id == "m3" else m for m in problem.machines
        ),
    )
    hit = {
        a.operation_id
        for a in schedule.assignments
        if a.machine_id == "m3"
        and a.status is not Status.DONE
        and a.start < down.end
        and a.end > down.start
    }
    held = [a for a in split_fixed(schedule, FROZEN) if a.operation_id not in hit]
    assert check(broken, new, held) == []
    assert not [
        a
        for a in new.assignments
        if a.machine_id == "m3" and a.start < down.end and a.end > down.start
    ]


def test_kpis_report_utilisation_on_time_rate_and_setup_share(
    live: tuple[Problem, Schedule],
) -> None:
    problem, schedule = live
    k = kpis(problem, schedule)
    assert len(k.utilisation) == 10 and all(0 < u <= 1 for _m, u in k.utilisation)
    assert 0 <= k.on_time_rate <= 1 and 0 <= k.setup_share < 1
    assert k.p95_lead_time >= k.mean_lead_time * 0.5 and k.makespan == schedule.makespan
    assert k.weighted_tardiness == weighted_tardiness(problem, schedule)


def test_an_operation_running_late_pushes_its_successors_and_keeps_its_machine(
    live: tuple[Problem, Schedule],
) -> None:
    problem, schedule = live
    running = next(
        a for a in schedule.assignments if a.start < FROZEN < a.end and a.status is Status.MOVABLE
    )
    marked = Schedule(
        tuple(
            replace(a, status=Status.RUNNING) if a == running else a for a in schedule.assignments
        )
    )
    overrun = running.end + 240
    new = reschedule_after(
        problem, marked, FROZEN, late=((running.operation_id, overrun),), time_limit=1
    )
    by_op = new.by_operation()
    assert (by_op[running.operation_id].machine_id, by_op[running.operation_id].end) == (
        running.machine_id,
        overrun,
    )
    successors = [op.id for op in problem.operations if running.operation_id in op.predecessors]
    assert all(by_op[s].start >= overrun for s in successors)
