"""The delivery promise shown while configuring: when would this product be ready?

With a live schedule of modest size, the planner's promise query inserts the hypothetical
order into the current schedule (nothing is stored). Otherwise, or if planning fails, the
promise is the critical-path lead time from engineering counted in working days from now.
Results are cached per schedule version and configuration, so repeated clicks are cheap.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import planning, products
from c2m import planning_data as data
from c2m.models import Order, OrderLine, ProductModelRecord, utc_now
from planner import api as planner_api
from planner.model import Operation, PlanningError, Problem
from planner.model import Order as PlannerOrder
from routing.engineer import EngineeredOrder, engineer
from routing.export import planner_operations
from routing.factory import Factory

PLANNER_LIMIT_OPERATIONS = 400  # above this, insertion per click would be too slow
HYPOTHETICAL_LINE = 0  # line ids start at 1, so 0 never collides with a real line
_CACHE: OrderedDict[str, DeliveryPromise] = OrderedDict()
_CACHE_SIZE = 256


@dataclass(frozen=True)
class DeliveryPromise:
    ready_at: datetime
    lead_time_days: Decimal
    source: str  # "planner" (inserted into the live schedule) | "lead_time" (engineering)


def promise_for(
    session: Session, model: str, choices: Mapping[str, object], products_dir: object = None
) -> DeliveryPromise:
    """`choices` must be a complete valid configuration of the newest version of `model`."""
    record = products.record_for(session, model)
    now = utc_now()
    run = planning.current_run(session)
    key = json.dumps(
        [
            record.id,
            run.id if run else None,
            sorted(choices.items(), key=str),
            now.strftime("%Y%m%d%H"),
        ],
        default=str,
    )
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    engineered = engineer(products.engineering_for(record), choices)
    lead_days = engineered.routing.lead_time_days
    fallback = DeliveryPromise(now + _working_days(lead_days), lead_days, "lead_time")
    result = _from_planner(session, record, engineered, now, lead_days) or fallback
    _CACHE[key] = result
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def _working_days(days: Decimal) -> timedelta:
    """Five working days a week: a lead time of d working days spans d × 7/5 calendar days."""
    return timedelta(days=float(days) * 7 / 5)


def _from_planner(
    session: Session,
    record: ProductModelRecord,
    engineered: EngineeredOrder,
    now: datetime,
    lead_days: Decimal,
) -> DeliveryPromise | None:
    live = planning.live_schedule(session, now)
    if len(live.stored) > PLANNER_LIMIT_OPERATIONS:
        return None
    try:
        factory = planning.factory_of(products.product_dir(record).parent)
    except OSError:
        return None
    starts = [a.start for a in live.stored]
    origin = min([now, *starts]).replace(second=0, microsecond=0)
    problem, new_order, new_ops = _problem(session, live, factory, origin, now, engineered)
    frozen = data.minutes_between(origin, now + planning.FROZEN_HORIZON)
    try:
        promised = planner_api.promise(
            problem, data.planner_schedule(origin, live.stored), new_order, new_ops, frozen
        )
    except (PlanningError, ValueError, KeyError):
        return None
    return DeliveryPromise(data.moment_at(origin, promised.completion), lead_days, "planner")


def _problem(
    session: Session,
    live: planning.LiveSchedule,
    factory: Factory,
    origin: datetime,
    now: datetime,
    engineered: EngineeredOrder,
) -> tuple[Problem, PlannerOrder, tuple[Operation, ...]]:
    ids = sorted({data.line_of(a.operation_key) for a in live.stored})
    lines = list(session.scalars(select(OrderLine).where(OrderLine.id.in_(ids))))
    known_ops = tuple(
        op
        for line in lines
        for op in data.planner_operations(line.id, line.routing["planner_operations"])
    )
    new_ops = data.planner_operations(HYPOTHETICAL_LINE, planner_operations(engineered.routing))
    families = {op.setup_family for op in known_ops + new_ops}
    orders = tuple(
        data.planner_order(line.id, origin, line.order.created_at, line.order.promised_at)
        for line in lines
    )
    problem = Problem(
        data.planner_machines(factory, origin),
        orders,
        known_ops,
        data.planner_setups(factory, families),
    )
    return problem, data.planner_order(HYPOTHETICAL_LINE, origin, now, None), new_ops


def promise_order(
    session: Session, order: Order, model: str, choices: Mapping[str, object]
) -> DeliveryPromise:
    """Record the promise on a newly placed order (the planner then plans against it)."""
    promised = promise_for(session, model, choices)
    order.promised_at = promised.ready_at
    return promised
