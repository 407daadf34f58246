"""Fixed work that has not started yet waits for what really happens before it.

Released (or frozen) operations keep their machine, but the shop floor cannot start one before
its predecessors end, while other fixed work holds its machine (with the changeover), before
now, or outside the machine's shifts. When actual times run late, or the MES started other
work first, this shifts such operations right, so the plan a run builds on is one the shop
floor can follow. Done and running work is taken as reported; movable work is the planner's.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import replace

from planner.calendar import availability
from planner.model import Assignment, Minutes, Problem, Schedule, Status, Window


def settle(problem: Problem, schedule: Schedule, now: Minutes) -> Schedule:
    """The schedule with every FROZEN operation at its earliest feasible start, never earlier
    than planned and in the planned order; other assignments unchanged."""
    ops = {op.id: op for op in problem.operations}
    windows = {m.id: availability(m) for m in problem.machines}
    setups = problem.setup_map()
    busy: dict[str, list[Assignment]] = {}  # fixed work holding each machine, by start
    placed = {a.operation_id: a for a in schedule.assignments if a.status is not Status.FROZEN}
    for a in placed.values():
        if a.fixed:
            insort(busy.setdefault(a.machine_id, []), a, key=_span)
    frozen = [a for a in schedule.assignments if a.status is Status.FROZEN]
    for a in sorted(frozen, key=_span):
        if a.operation_id in ops:
            a = _earliest(a, setups, ops, placed, busy.get(a.machine_id, []), windows, now)
        placed[a.operation_id] = a
        insort(busy.setdefault(a.machine_id, []), a, key=_span)
    return Schedule(tuple(placed[a.operation_id] for a in schedule.assignments))


def _span(a: Assignment) -> tuple[Minutes, Minutes]:
    return (a.start, a.end)


def _earliest(
    a: Assignment,
    setups: dict[tuple[str, str], Minutes],
    ops: dict,
    placed: dict[str, Assignment],
    busy: list[Assignment],
    windows: dict[str, list[Window]],
    now: Minutes,
) -> Assignment:
    op = ops[a.operation_id]
    ready = max([a.start, now] + [placed[p].end for p in op.predecessors if p in placed])
    span = a.end - a.start
    start = _free_start(a, ready, span, setups, ops, busy, windows.get(a.machine_id, []))
    return a if start == a.start else replace(a, start=start, end=start + span)


def _free_start(
    a: Assignment,
    ready: Minutes,
    span: Minutes,
    setups: dict[tuple[str, str], Minutes],
    ops: dict,
    busy: list[Assignment],
    windows: list[Window],
) -> Minutes:
    """The first start at or after `ready` clear of the fixed work on the machine (with its
    changeovers) and inside one shift window; bounded by the machine's work, so it ends."""
    family = ops[a.operation_id].setup_family

    def change(first: str, then: str) -> Minutes:
        return setups.get((first, then), 0)

    def clashes(b: Assignment, start: Minutes) -> bool:
        other = ops[b.operation_id].setup_family if b.operation_id in ops else ""
        after_b = start >= max(b.end, b.start + 1) + change(other, family)
        before_b = start + span + change(family, other) <= b.start
        return not (after_b or before_b)

    start = ready
    for _ in range(len(busy) + len(windows) + 2):
        start = _fit(windows, start, span)
        clash = next((b for b in busy if clashes(b, start)), None)
        if clash is None:
            return start
        other = ops[clash.operation_id].setup_family if clash.operation_id in ops else ""
        start = max(clash.end, clash.start + 1) + change(other, family)
    return start


def _fit(windows: list[Window], ready: Minutes, span: Minutes) -> Minutes:
    """The first start at or after `ready` inside one window long enough; `ready` itself when
    no window fits (the operation is late whatever happens, and stays visible as such)."""
    for w in windows:
        start = max(ready, w.start)
        if start + span <= w.end:
            return start
    return ready
