"""Public planner API: plain data in, plain data out."""

from __future__ import annotations

from dataclasses import replace

from planner.budget import Deadline, schedule_reserve
from planner.compile import Compiled, compile_problem
from planner.decode import Solution, decode
from planner.live import insert_into
from planner.model import (
    Assignment,
    InsertionResult,
    Machine,
    Minutes,
    Move,
    Objective,
    Operation,
    Order,
    PlanningError,
    Problem,
    Promise,
    Schedule,
    Status,
    Window,
)
from planner.solve import from_schedule, optimise, to_schedule


def plan_fjsp(problem: Problem, time_limit: float = 10.0, seed: int = 0, *,
              deadline: Deadline | None = None, after: float = 0.0) -> Schedule:
    """Minimum-makespan plan from scratch (no existing work), returned by `deadline` (by
    default `time_limit` seconds from the call) less `after`, the seconds the caller needs
    once it has the plan. Compiling, the search and building the Schedule all count; when
    compiling leaves no time for a search, the plan is the greedy construction."""
    deadline = deadline or Deadline.after(time_limit)
    c = compile_problem(problem)
    search = deadline.budget(after + schedule_reserve(c.n))
    return to_schedule(c, optimise(c, Objective.MAKESPAN, search, seed, clock=deadline.clock))


def freeze_horizon(schedule: Schedule, frozen_until: Minutes) -> Schedule:
    """The schedule with movable work starting inside the frozen horizon frozen."""
    return Schedule(tuple(replace(a, status=Status.FROZEN)
                          if not a.fixed and a.start < frozen_until else a
                          for a in schedule.assignments))


def split_fixed(schedule: Schedule, frozen_until: Minutes) -> list[Assignment]:
    """Done, running and frozen work, plus movable work starting inside the frozen horizon."""
    return [a for a in freeze_horizon(schedule, frozen_until).assignments if a.fixed]


def reoptimise(problem: Problem, schedule: Schedule, frozen_until: Minutes,
               objective: Objective = Objective.WEIGHTED_TARDINESS, time_limit: float = 30.0,
               seed: int = 0) -> Schedule:
    """Full re-plan of all movable work after the frozen horizon; fixed work stays put."""
    fixed = split_fixed(schedule, frozen_until)
    return _replan(problem, schedule, fixed, frozen_until, objective, time_limit, seed)


def _replan(problem: Problem, schedule: Schedule, fixed: list[Assignment], not_before: Minutes,
            objective: Objective, time_limit: float, seed: int) -> Schedule:
    deadline = Deadline.after(time_limit)
    c = compile_problem(problem, fixed, not_before=not_before)
    initial = _decode_existing(c, schedule, objective)
    if initial is not None and any(initial.mach[i] < 0 for i in range(c.n) if i not in c.fixed):
        initial = None  # the schedule does not cover every operation: start from scratch
    sol = optimise(c, objective, deadline.budget(schedule_reserve(c.n)), seed, initial)
    return to_schedule(c, sol, {a.operation_id: a.status for a in fixed})


def _decode_existing(c: Compiled, schedule: Schedule, objective: Objective) -> Solution | None:
    mach, seq = from_schedule(c, schedule)
    return decode(c, mach, seq, objective)


def insert_orders(problem: Problem, schedule: Schedule, new_orders: tuple[Order, ...],
                  new_operations: tuple[Operation, ...], frozen_until: Minutes,
                  ) -> InsertionResult:
    """Add orders to a live plan. Done/running/frozen work and movable work starting before
    `frozen_until` stay put; new work starts at or after `frozen_until` (pass
    max(now, end of frozen horizon)). Each new order, in the order given, is placed so that,
    lexicographically, it is least late, then adds the least weighted tardiness to the other
    orders, then moves the fewest existing ops: idle gaps first, pushing right only when no
    gap keeps it on time. Existing ops only ever move later. `tardiness_delta` includes the
    new orders' own."""
    merged = Problem(problem.machines, problem.orders + tuple(new_orders),
                     problem.operations + tuple(new_operations), problem.setups)
    # the live schedule (planner.live): gap insertion first, pushes only when needed
    new = insert_into(problem, schedule, new_orders, new_operations, frozen_until)
    old_problem_kpi = weighted_tardiness(problem, schedule)
    return InsertionResult(new, diff(schedule, new), old_problem_kpi,
                           weighted_tardiness(merged, new))


def promise(problem: Problem, schedule: Schedule, order: Order,
            operations: tuple[Operation, ...], frozen_until: Minutes) -> Promise:
    """Earliest completion a hypothetical order would get; commits nothing (pure function)."""
    result = insert_orders(problem, schedule, (order,), operations, frozen_until)
    ids = {op.id for op in operations}
    done = max(a.end for a in result.schedule.assignments if a.operation_id in ids)
    return Promise(order.id, done, done <= order.due)


def reschedule_after(problem: Problem, schedule: Schedule, now: Minutes,
                     breakdown: tuple[str, Window] | None = None,
                     late: tuple[tuple[str, Minutes], ...] = (),
                     objective: Objective = Objective.WEIGHTED_TARDINESS,
                     time_limit: float = 10.0, seed: int = 0,
                     breakdowns: tuple[tuple[str, Window], ...] = ()) -> Schedule:
    """Repair after machine breakdowns (machine id, downtime window; one or several at once)
    or ops running late (operation id, new expected end). Work a breakdown hits (running,
    frozen or movable) is re-planned: it restarts after the repair or moves elsewhere."""
    machines = problem.machines
    stopped: set[str] = set()
    for mid, down in ((breakdown,) if breakdown else ()) + tuple(breakdowns):
        if mid not in {m.id for m in machines}:
            raise PlanningError(f"breakdown of unknown machine {mid!r}")
        machines = tuple(replace(m, downtime=m.downtime + (down,)) if m.id == mid else m
                         for m in machines)
        stopped |= {a.operation_id for a in schedule.assignments
                    if a.machine_id == mid and a.status is not Status.DONE
                    and a.start < down.end and a.end > down.start}
    new_end = dict(late)
    kept = tuple(
        replace(a, status=Status.MOVABLE) if a.operation_id in stopped
        else replace(a, end=max(a.end, new_end.get(a.operation_id, a.end)))
        for a in schedule.assignments)
    repaired = Problem(machines, problem.orders, _stretched(problem, kept, new_end),
                       problem.setups)
    fixed = [a for a in split_fixed(Schedule(kept), now) if a.operation_id not in stopped]
    return _replan(repaired, Schedule(kept), fixed, now, objective, time_limit, seed)


def _stretched(problem: Problem, kept: tuple[Assignment, ...],
               new_end: dict[str, Minutes]) -> tuple[Operation, ...]:
    """A running op that overruns takes longer on its machine; its duration follows."""
    where = {a.operation_id: a for a in kept}
    out = []
    for op in problem.operations:
        a = where.get(op.id)
        if a is not None and op.id in new_end:
            op = replace(op, durations=tuple((m, a.end - a.start if m == a.machine_id else d)
                                             for m, d in op.durations))
        out.append(op)
    return tuple(out)


def diff(old: Schedule, new: Schedule) -> tuple[Move, ...]:
    """Operations present in both whose machine or start changed."""
    before = old.by_operation()
    out = []
    for a in new.assignments:
        b = before.get(a.operation_id)
        if b is not None and (b.machine_id, b.start) != (a.machine_id, a.start):
            out.append(Move(a.operation_id, b.machine_id, a.machine_id, b.start, a.start))
    return tuple(out)


def weighted_tardiness(problem: Problem, schedule: Schedule) -> float:
    done = _completions(problem, schedule)
    return sum(max(0, done[o.id] - o.due) * o.weight for o in problem.orders if o.id in done)


def _completions(problem: Problem, schedule: Schedule) -> dict[str, Minutes]:
    order_of = {op.id: op.order_id for op in problem.operations}
    done: dict[str, Minutes] = {}
    for a in schedule.assignments:
        k = order_of.get(a.operation_id)
        if k is not None:
            done[k] = max(done.get(k, a.end), a.end)
    return done


__all__ = ["Machine", "diff", "freeze_horizon", "insert_orders", "plan_fjsp", "promise",
           "reoptimise",
           "reschedule_after", "split_fixed", "weighted_tardiness"]
