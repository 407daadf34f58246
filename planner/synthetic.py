"""A seeded synthetic flexible line (calendars, setups, join DAGs) for tests and benchmarks."""

from __future__ import annotations

import random
from dataclasses import replace

from planner.model import (
    Assignment,
    Machine,
    Operation,
    Order,
    Problem,
    Schedule,
    Status,
    Window,
)

DAY = 24 * 60


def shifts(days: int) -> tuple[Window, ...]:
    """Two shifts a day, 06:00-22:00 with a break at 14:00-14:30."""
    out = []
    for d in range(days):
        out += [Window(d * DAY + 360, d * DAY + 840), Window(d * DAY + 870, d * DAY + 1320)]
    return tuple(out)


def line(machines: int = 10, days: int = 60) -> tuple[tuple[Machine, ...], tuple]:
    ms = tuple(Machine(f"m{k}", shifts(days)) for k in range(machines))
    fams = ("oak", "walnut", "white")
    setups = tuple(((a, b), 0 if a == b else 15 + 5 * (i + j))
                   for i, a in enumerate(fams) for j, b in enumerate(fams))
    return ms, setups


def order_ops(rng: random.Random, order_id: str, machines: int) -> tuple[Operation, ...]:
    """Two sub-assembly branches of four ops that join into two assembly ops."""
    fam = rng.choice(("oak", "walnut", "white"))
    ops: list[Operation] = []

    def op(name: str, preds: tuple[str, ...]) -> str:
        elig = rng.sample(range(machines), rng.randint(1, 3))
        durations = tuple((f"m{m}", rng.randint(20, 90)) for m in sorted(elig))
        ops.append(Operation(f"{order_id}.{name}", order_id, durations, preds, fam))
        return f"{order_id}.{name}"

    a = op("a1", ())
    b = op("b1", ())
    for k in range(2, 5):
        a = op(f"a{k}", (a,))
        b = op(f"b{k}", (b,))
    j = op("join", (a, b))
    op("pack", (j,))
    return tuple(ops)


def loaded_line(total_ops: int, seed: int = 0, machines: int = 10) -> Problem:
    rng = random.Random(seed)
    orders: list[Order] = []
    ops: list[Operation] = []
    n_orders = max(1, total_ops // 10)
    # about 5.5 machine-hours per order over 10 machines at 15.5 h a day: the load
    # spans `busy` days; orders are released in the first half of it and due within it,
    # so the line is dense and some slack remains to absorb an insertion
    busy = max(2, n_orders * 330 // (machines * 930) + 1)
    ms, setups = line(machines, busy * 4 + 10)
    for k in range(n_orders):
        release = DAY * rng.randint(0, busy // 2)
        orders.append(Order(f"o{k}", release, release + rng.randint(busy // 2 + 2, busy + 4) * DAY,
                            rng.choice((1.0, 2.0))))
        ops += order_ops(rng, f"o{k}", machines)
    return Problem(ms, tuple(orders), tuple(ops), setups)


def plant(total_ops: int, seed: int = 0, done_until: int = 0) -> tuple[Problem, Schedule]:
    """A plant-scale live plan: about one machine per 800 operations (50,000 ops: 62
    machines), orders released over the horizon and due 2-5 days later, loaded by serial
    list scheduling (each op on the eligible machine where it ends first), so the plan is
    dense but leaves the idle gaps real precedence waits leave. Work ending by `done_until`
    is done and work across it is running."""
    rng = random.Random(seed)
    machines = max(10, total_ops // 800)
    n_orders = max(1, total_ops // 10)
    # ~550 machine-minutes per order at about 60 % of 930 available minutes a day (random
    # eligibility loads some machines more); the calendar runs well past the last order
    busy = max(3, n_orders * 550 // (machines * 560) + 1)
    ms, setups = line(machines, 3 * busy + 30)
    orders: list[Order] = []
    ops: list[Operation] = []
    for k in range(n_orders):
        release = rng.randint(0, max(1, busy - 3) * DAY)
        orders.append(Order(f"o{k}", release, release + rng.randint(2, 5) * DAY,
                            rng.choice((1.0, 2.0))))
        ops += order_ops(rng, f"o{k}", machines)
    problem = Problem(ms, tuple(orders), tuple(ops), setups)
    return problem, Schedule(tuple(_serial(problem, done_until)))


def _serial(problem: Problem, done_until: int) -> list[Assignment]:
    """Orders by release, each op into the earliest idle gap of an eligible machine."""
    from planner.live import LiveSchedule, Policy  # live builds on this module's neighbours

    live = LiveSchedule(replace(problem, orders=(), operations=()), Schedule(()), 0)
    by_order: dict[str, list[Operation]] = {}
    for op in problem.operations:
        by_order.setdefault(op.order_id, []).append(op)
    for order in sorted(problem.orders, key=lambda o: (o.release, o.due)):
        live.insert_order(order, by_order[order.id], order.release, Policy.GAP_ONLY)
    return [replace(a, status=Status.DONE if a.end <= done_until else
                    Status.RUNNING if a.start < done_until else Status.MOVABLE)
            for a in live.schedule().assignments]
