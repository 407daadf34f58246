"""Fixed work that has not started yet waits for what really happens before it.

Released (or frozen) operations keep their machine and their order on it, but the shop floor
cannot start one before its predecessors end, before the work ahead of it on its machine ends
(with the changeover), before now, or outside the machine's shifts. When actual times run
late, this shifts such operations right, so the plan a run builds on is one the shop floor can
follow. Done and running work is taken as reported; movable work is the planner's to place.
"""

from __future__ import annotations

from dataclasses import replace

from planner.calendar import availability
from planner.model import Assignment, Minutes, Problem, Schedule, Status, Window


def settle(problem: Problem, schedule: Schedule, now: Minutes) -> Schedule:
    """The schedule with every FROZEN operation at its earliest feasible start, never earlier
    than planned; other assignments unchanged."""
    ops = {op.id: op for op in problem.operations}
    windows = {m.id: availability(m) for m in problem.machines}
    setups = problem.setup_map()
    placed: dict[str, Assignment] = {}
    last_on: dict[str, Assignment] = {}  # the fixed work reached so far on each machine
    for a in sorted(schedule.assignments, key=lambda a: (a.start, a.end)):
        if a.status is Status.FROZEN and a.operation_id in ops:
            a = _earliest(a, ops, placed, last_on.get(a.machine_id), setups, windows, now)
        placed[a.operation_id] = a
        if a.fixed and (a.machine_id not in last_on or a.end > last_on[a.machine_id].end):
            last_on[a.machine_id] = a
    return Schedule(tuple(placed[a.operation_id] for a in schedule.assignments))


def _earliest(
    a: Assignment,
    ops: dict,
    placed: dict[str, Assignment],
    ahead: Assignment | None,
    setups: dict[tuple[str, str], Minutes],
    windows: dict[str, list[Window]],
    now: Minutes,
) -> Assignment:
    op = ops[a.operation_id]
    ready = max([a.start, now] + [placed[p].end for p in op.predecessors if p in placed])
    if ahead is not None:
        before = ops.get(ahead.operation_id)
        change = setups.get((before.setup_family, op.setup_family), 0) if before else 0
        ready = max(ready, ahead.end + change)
    if ready == a.start:
        return a
    span = a.end - a.start
    start = _fit(windows.get(a.machine_id, []), ready, span)
    return replace(a, start=start, end=start + span)


def _fit(windows: list[Window], ready: Minutes, span: Minutes) -> Minutes:
    """The first start at or after `ready` inside one window long enough; `ready` itself when
    no window fits (the operation is late whatever happens, and stays visible as such)."""
    for w in windows:
        start = max(ready, w.start)
        if start + span <= w.end:
            return start
    return ready
