"""The delivery promise shown while configuring: when would this product be ready?

With a live schedule of modest size, the planner's promise query inserts the hypothetical
order into the current schedule (nothing is stored). Otherwise, or if planning fails, the
promise is the critical-path lead time from engineering counted in working days from now.
Results are cached per schedule version and configuration, so repeated clicks are cheap.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2m import planning, planning_input, products
from c2m import planning_data as data
from c2m.clock import business_now
from c2m.models import MachineDowntime, Order, ProductModelRecord
from planner import api as planner_api
from planner.model import PlanningError
from routing.engineer import EngineeredOrder, engineer
from routing.export import planner_operations

PLANNER_LIMIT_OPERATIONS = 400  # above this, insertion per click would be too slow
HYPOTHETICAL_LINE = 0  # line ids start at 1, so 0 never collides with a real line
_CACHE: OrderedDict[str, DeliveryPromise] = OrderedDict()
_CACHE_LOCK = threading.Lock()  # web requests share the cache from several threads
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
    now = business_now()
    key = json.dumps(
        [record.id, _plant_version(session), sorted(choices.items(), key=str),
         now.strftime("%Y%m%d%H")],
        default=str,
    )
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    engineered = engineer(products.engineering_for(record), choices)
    lead_days = engineered.routing.lead_time_days
    fallback = DeliveryPromise(now + _working_days(lead_days), lead_days, "lead_time")
    result = _from_planner(session, record, engineered, now, lead_days) or fallback
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _plant_version(session: Session) -> tuple[object, ...]:
    """What a promise depends on besides the product: the schedule in force and the planned
    downtime (recorded before the re-plan it queues has run)."""
    run = planning.current_run(session)
    downtime = session.execute(
        select(func.count(MachineDowntime.id), func.max(MachineDowntime.id))
    ).one()
    return (run.id if run else None, *downtime)


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
    """Insert the product as a hypothetical order into the schedule in force, with the same
    input a plan run reads (actuals, downtime, frozen horizon); nothing is stored."""
    live = planning_input.live_schedule(session, now)
    if len(live.stored) > PLANNER_LIMIT_OPERATIONS:
        return None
    try:
        factory = planning.factory_of(products.product_dir(record).parent)
    except OSError:
        return None
    new_ops = data.planner_operations(HYPOTHETICAL_LINE, planner_operations(engineered.routing))
    plan = planning_input.build(session, factory, now, extra_operations=new_ops)
    new_order = data.planner_order(HYPOTHETICAL_LINE, plan.origin, now, None)
    try:
        promised = planner_api.promise(
            plan.known, plan.schedule, new_order, new_ops, plan.frozen_until
        )
    except (PlanningError, ValueError, KeyError):
        return None
    return DeliveryPromise(data.moment_at(plan.origin, promised.completion), lead_days, "planner")


def promise_order(
    session: Session, order: Order, model: str, choices: Mapping[str, object]
) -> DeliveryPromise:
    """Record the promise on a newly placed order (the planner then plans against it)."""
    promised = promise_for(session, model, choices)
    order.promised_at = promised.ready_at
    return promised
