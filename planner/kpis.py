"""Plan KPIs: utilisation per machine, on-time rate, lead times, tardiness, setup share."""

from __future__ import annotations

from collections import defaultdict

from planner.calendar import availability
from planner.model import Assignment, Kpis, Machine, Problem, Schedule, Window


def kpis(problem: Problem, schedule: Schedule) -> Kpis:
    if not schedule.assignments:
        return Kpis((), 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0)
    horizon = Window(min(a.start for a in schedule.assignments), schedule.makespan)
    busy: dict[str, int] = defaultdict(int)
    for a in schedule.assignments:
        busy[a.machine_id] += a.end - a.start
    util = tuple((m.id, busy[m.id] / max(_available(m, horizon), 1)) for m in problem.machines)
    ends, tardy, weighted, late_count, leads = _orders(problem, schedule)
    setup = _setup_minutes(problem, schedule)
    total_busy = sum(busy.values())
    leads.sort()
    p95 = leads[min(len(leads) - 1, int(0.95 * len(leads)))] if leads else 0.0
    return Kpis(util, 1.0 - late_count / max(len(ends), 1),
                sum(leads) / max(len(leads), 1), float(p95), tardy, weighted,
                setup / max(setup + total_busy, 1), schedule.makespan)


def _available(machine: Machine, horizon: Window) -> int:
    total = 0
    for w in availability(machine):
        total += max(0, min(w.end, horizon.end) - max(w.start, horizon.start))
    return total


def _orders(problem: Problem, schedule: Schedule,
            ) -> tuple[dict[str, int], float, float, int, list[float]]:
    order_of = {op.id: op.order_id for op in problem.operations}
    ends: dict[str, int] = {}
    for a in schedule.assignments:
        k = order_of.get(a.operation_id)
        if k is not None:
            ends[k] = max(ends.get(k, a.end), a.end)
    tardy = weighted = 0.0
    late = 0
    leads: list[float] = []
    for order in problem.orders:
        if order.id not in ends:
            continue
        lateness = max(0, ends[order.id] - order.due)
        tardy += lateness
        weighted += lateness * order.weight
        late += lateness > 0
        leads.append(float(ends[order.id] - order.release))
    return ends, tardy, weighted, late, leads


def _setup_minutes(problem: Problem, schedule: Schedule) -> int:
    setups = problem.setup_map()
    family = {op.id: op.setup_family for op in problem.operations}
    lines: dict[str, list[Assignment]] = defaultdict(list)
    for a in schedule.assignments:
        lines[a.machine_id].append(a)
    total = 0
    for line in lines.values():
        line.sort(key=lambda a: a.start)
        for p, n in zip(line, line[1:], strict=False):
            total += setups.get((family.get(p.operation_id, ""), family.get(n.operation_id, "")), 0)
    return total
