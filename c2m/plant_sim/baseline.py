"""The earliest-due-date dispatching baseline: the same order stream (arrivals, routings,
promised dates) on the same machines and shift windows, with the same actual durations, but
no planner: whenever a machine can start something, it takes the ready operation with the
earliest due date. Causal (it never knows an order before it arrives). No setups.

Pure: plain data in, plain data out."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class BaselineOperation:
    id: str
    predecessors: tuple[str, ...]
    minutes: dict[str, float]  # eligible machine -> planned minutes
    actual_factor: float = 1.0  # actual / planned duration, as the shop floor ran it


@dataclass(frozen=True)
class BaselineOrder:
    number: str
    arrival: datetime
    due: datetime | None
    operations: tuple[BaselineOperation, ...]


@dataclass(frozen=True)
class BaselineResult:
    completed: dict[str, datetime]  # order number -> completion


def fit(windows: Sequence[Window], earliest: datetime, span: timedelta) -> datetime | None:
    """First start ≥ earliest with [start, start + span) inside one working window
    (`windows` sorted and disjoint)."""
    first = bisect.bisect_right(windows, earliest, key=lambda window: window[1])
    for start, end in windows[first:]:
        begin = max(start, earliest)
        if begin + span <= end:
            return begin
    return None


@dataclass
class _Ready:
    order: BaselineOrder
    op: BaselineOperation
    ready: datetime


def edd(orders: Sequence[BaselineOrder], windows: dict[str, list[Window]]) -> BaselineResult:
    free = {
        machine: min((w[0] for w in ws), default=datetime.max) for machine, ws in windows.items()
    }
    done: dict[tuple[str, str], datetime] = {}
    pool: list[_Ready] = []  # sorted by ready time
    for order in orders:
        for op in order.operations:
            if not op.predecessors:
                _ready(pool, order, op, order.arrival)
    while pool:
        choice = _next_start(pool, free, windows)
        if choice is None:
            break  # nothing fits any window left: the horizon is too short
        item, machine, start, span = choice
        pool.remove(item)
        free[machine] = start + span
        done[(item.order.number, item.op.id)] = start + span
        _release_successors(item, done, pool)
    return BaselineResult(_completions(orders, done))


def _ready(pool: list[_Ready], order: BaselineOrder, op: BaselineOperation, at: datetime) -> None:
    bisect.insort(pool, _Ready(order, op, at), key=lambda item: item.ready)


def _release_successors(
    finished: _Ready, done: dict[tuple[str, str], datetime], pool: list[_Ready]
) -> None:
    order = finished.order
    for op in order.operations:
        if finished.op.id not in op.predecessors:
            continue
        ends = [done.get((order.number, p)) for p in op.predecessors]
        if all(end is not None for end in ends):
            _ready(pool, order, op, max([order.arrival, *(e for e in ends if e is not None)]))


def _next_start(
    pool: list[_Ready], free: dict[str, datetime], windows: dict[str, list[Window]]
) -> tuple[_Ready, str, datetime, timedelta] | None:
    """The earliest moment any machine can start a ready operation; among the operations that
    could start then on that machine, the earliest due date wins."""
    best: tuple[datetime, datetime, str, _Ready, str, timedelta] | None = None
    for item in pool:  # sorted by ready time: nothing later can start before the best
        if best is not None and item.ready > best[0]:
            break
        for machine, minutes in item.op.minutes.items():
            if machine not in windows:
                continue
            span = timedelta(minutes=minutes * item.op.actual_factor)
            start = fit(windows[machine], max(item.ready, free[machine]), span)
            if start is None:
                continue
            due = item.order.due or datetime.max.replace(tzinfo=start.tzinfo)
            key = (start, due, item.order.number, item, machine, span)
            if best is None or key[:3] < best[:3]:
                best = key
    if best is None:
        return None
    return best[3], best[4], best[0], best[5]


def _completions(
    orders: Sequence[BaselineOrder], done: dict[tuple[str, str], datetime]
) -> dict[str, datetime]:
    result = {}
    for order in orders:
        ends = [done.get((order.number, op.id)) for op in order.operations]
        if ends and all(end is not None for end in ends):
            result[order.number] = max(e for e in ends if e is not None)
    return result
