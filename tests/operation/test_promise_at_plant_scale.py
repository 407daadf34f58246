"""The promise at a click is a hypothetical insertion into the full live schedule, whatever
its size: no lead-time fallback for a large plant (it used to start above 2,000 operations),
and nothing of the try is kept."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from c2m import planning, promise
from c2m import planning_data as data
from planner.live import LiveSchedule, Policy
from planner.model import Operation, Order, Problem, Schedule
from tests.flow.conftest import SAMPLES


def _plant_of(machines: tuple, n_orders: int, rng: random.Random) -> LiveSchedule:
    """A live schedule loaded by gap insertion: `n_orders` six-op chains on the real
    machines and shift calendars of the sample factory."""
    problem = Problem(machines, (), ())
    live = LiveSchedule(problem, Schedule(()), 0)
    for k in range(n_orders):
        live.insert_order(Order(f"o{k}", 0, 14 * 24 * 60), _chain(f"o{k}", machines, rng), 0,
                          Policy.GAP_ONLY)
    return live


def _chain(order_id: str, machines: tuple, rng: random.Random) -> tuple[Operation, ...]:
    ops: list[Operation] = []
    for step in range(6):
        where = rng.sample([m.id for m in machines], 2)
        ops.append(Operation(f"{order_id}.{step}", order_id,
                             tuple((m, rng.randint(5, 40)) for m in sorted(where)),
                             (ops[-1].id,) if ops else ()))
    return tuple(ops)


def test_a_click_against_a_plant_above_the_old_size_limit_is_planned_and_stores_nothing() -> None:
    factory = planning.factory_of(SAMPLES)
    origin = datetime.now(UTC).replace(second=0, microsecond=0)
    machines = data.planner_machines(factory, origin)
    rng = random.Random(7)
    live = _plant_of(machines, 500, rng)  # 3,000 operations
    assert live.n == 3000
    before = live.schedule()
    plant = promise._Plant((), (), factory, origin, origin, live)
    new_ops = tuple(replace(op, order_id=data.planner_order(
        promise.HYPOTHETICAL_LINE, origin, origin, None).id)
        for op in _chain("hypothetical", machines, rng))
    now = origin + timedelta(minutes=1)
    planned = promise._from_planner(plant, new_ops, now)
    assert planned is not None  # the planner answered: no size fallback
    completion, machine = planned
    assert completion > now + promise.planning_input.FROZEN_HORIZON
    assert machine in {m.id for m in machines}
    assert live.schedule() == before and live.n == 3000  # the try was undone
