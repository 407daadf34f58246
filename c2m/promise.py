"""The delivery promise: when will this product be ready, as a commitment the plant can keep?

The promise is the planned completion of the product inserted, as a hypothetical order, into
the schedule in force *after* the orders already placed and still waiting for a plan run
(earliest placed first): they were promised first and take capacity first. Nothing is stored.
A safety margin is added to the planned completion (plans slip: actual durations spread,
machines break, later re-plans re-sequence) and the result is rounded up to the end of that
working day of the last work centre, in the factory's time zone.

Clicks stay cheap at any plant size: the live schedule (`planner.live`) with the waiting orders
inserted is cached per plant version (current plan run, planned downtime) and extended by
newly waiting orders; a click is one hypothetical insertion into it, undone right after, so it
costs the work the insertion touches, not the size of the plan. Promises are cached per
configuration, plant version and hour. Only if planning fails is the promise the critical-path
lead time counted in working days, with the same margin and rounding.
The configurator panel and checkout call the same `promise_for`, so they agree.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2m import planning, planning_input, products
from c2m import planning_data as data
from c2m.clock import business_now
from c2m.models import MachineDowntime, Order, OrderLine, ProductModelRecord
from c2m.settings import SettingsError
from mes_bridge.lifecycle import WorkOrderState
from planner.live import LiveSchedule
from planner.model import Operation, PlanningError
from routing.engineer import engineer
from routing.export import planner_operations
from routing.factory import Calendar, Factory

HYPOTHETICAL_LINE = 0  # line ids start at 1, so 0 never collides with a real line
# The margin, as a fraction of the planned lead time (now → planned completion) with a floor.
# 0.25: the shop floor's actual/planned durations spread about ±25 % (one sigma; the plant
# simulator's MES draws them lognormal with sigma 0.25), and a planned lead time is mostly
# queue behind work that spreads the same way; a quarter of it also leaves slack for orders
# placed later to be inserted ahead without making this one late. The 2 h floor is the frozen
# horizon: work that near is no longer re-sequenced, so a short promise cannot be rescued.
MARGIN_FRACTION = Decimal("0.25")
MARGIN_MIN_HOURS = Decimal("2")
MARGIN_ENV = "C2M_PROMISE_MARGIN"  # fraction, e.g. 0.25
MARGIN_MIN_ENV = "C2M_PROMISE_MARGIN_MIN_HOURS"
_CACHE: OrderedDict[str, DeliveryPromise] = OrderedDict()
_CACHE_LOCK = threading.Lock()  # web requests share the caches from several threads
_CACHE_SIZE = 256
SEARCH_DAYS = 60  # the planning horizon: no working day in it, no rounding
_PLANTS: dict[str, _Plant] = {}  # per factory file: the schedule with waiting orders inserted
# One thread at a time builds, extends or tries an insertion into a plant (a hypothetical
# insertion changes the shared live schedule until it is undone); the others wait.
_PLANTS_LOCK = threading.Lock()


Waiting = tuple[tuple[int, str], ...]  # (line id, placed at) of each waiting line, as placed


@dataclass(frozen=True)
class DeliveryPromise:
    ready_at: datetime
    lead_time_days: Decimal
    source: str  # "planner" (inserted into the live schedule) | "lead_time" (engineering)


@dataclass(frozen=True)
class Margin:
    fraction: Decimal
    minimum: timedelta

    def after(self, now: datetime, completion: datetime) -> datetime:
        """The planned completion plus the margin over the planned lead time."""
        lead = max(completion - now, timedelta(0))
        return completion + max(lead * float(self.fraction), self.minimum)


def margin_setting(env: Mapping[str, str] | None = None) -> Margin:
    """`C2M_PROMISE_MARGIN` (fraction of the planned lead time) and
    `C2M_PROMISE_MARGIN_MIN_HOURS`, read at each promise so a deployment can tune them."""
    env = os.environ if env is None else env
    fraction = _non_negative(env, MARGIN_ENV, MARGIN_FRACTION)
    hours = _non_negative(env, MARGIN_MIN_ENV, MARGIN_MIN_HOURS)
    return Margin(fraction, timedelta(hours=float(hours)))


def _non_negative(env: Mapping[str, str], name: str, default: Decimal) -> Decimal:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = Decimal(raw.strip())
    except ArithmeticError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise SettingsError(f"{name}={raw!r} must be a number of at least 0")
    return value


@dataclass(frozen=True)
class _Plant:
    """The schedule in force with the waiting orders inserted."""

    version: tuple[object, ...]  # plan run and downtime: what forces a rebuild
    waiting: Waiting  # lines inserted (id, placed at), as placed
    factory: Factory
    origin: datetime
    built_at: datetime
    live: LiveSchedule | None  # None: planning failed for this version (lead-time promise)


def promise_for(
    session: Session, model: str, choices: Mapping[str, object], products_dir: object = None
) -> DeliveryPromise:
    """`choices` must be a complete valid configuration of the newest version of `model`."""
    record = products.record_for(session, model)
    now, margin = business_now(), margin_setting()
    version, waiting = _plant_version(session), _waiting_line_ids(session)
    key = json.dumps(
        [record.id, record.model, record.version, version, waiting, now.strftime("%Y%m%d%H"),
         sorted(choices.items(), key=str), margin.fraction, margin.minimum.total_seconds()],
        default=str,
    )
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None and cached.ready_at > now:  # within the hour a promise may fall due
        return cached
    result = _promise(session, record, choices, now, margin, (version, waiting))
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _promise(
    session: Session,
    record: ProductModelRecord,
    choices: Mapping[str, object],
    now: datetime,
    margin: Margin,
    state: tuple[tuple[object, ...], Waiting],
) -> DeliveryPromise:
    engineered = engineer(products.engineering_for(record), choices)
    lead_days = engineered.routing.lead_time_days
    factory = _factory(record)
    new_ops = data.planner_operations(HYPOTHETICAL_LINE, planner_operations(engineered.routing))
    plant = _plant(session, factory, now, *state) if factory is not None else None
    planned = _from_planner(plant, new_ops, now) if plant is not None else None
    if planned is not None:
        ready = _commitment(factory, planned[1], margin.after(now, planned[0]))
        return DeliveryPromise(ready, lead_days, "planner")
    estimate = margin.after(now, now + _working_days(lead_days))
    return DeliveryPromise(_commitment(factory, _last_machine(new_ops), estimate),
                           lead_days, "lead_time")


def _factory(record: ProductModelRecord) -> Factory | None:
    try:
        return planning.factory_of(products.product_dir(record).parent)
    except OSError:
        return None


def _plant_version(session: Session) -> tuple[object, ...]:
    """What a promise depends on besides the product, the waiting orders and the hour: the
    schedule in force (shop-floor news queues a re-plan, so actuals reach it through a new
    run) and the planned downtime (recorded before the re-plan it queues has run). Creation
    times go with ids: an id alone may be reused after rows are deleted (SQLite)."""
    run = planning.current_run(session)
    downtime = session.execute(
        select(
            func.count(MachineDowntime.id),
            func.max(MachineDowntime.id),
            func.max(MachineDowntime.created_at),
        )
    ).one()
    current = (run.id, str(run.created_at)) if run else None
    return (current, *map(str, downtime))


def _waiting_line_ids(session: Session) -> Waiting:
    """Lines placed and engineered but in no schedule yet, earliest placed first."""
    query = (
        select(OrderLine.id, Order.created_at)
        .join(Order)
        .where(Order.status == WorkOrderState.ENGINEERED)
        .order_by(OrderLine.id)
    )
    return tuple((line_id, str(created)) for line_id, created in session.execute(query))


def _working_days(days: Decimal) -> timedelta:
    """Five working days a week: a lead time of d working days spans d × 7/5 calendar days."""
    return timedelta(days=float(days) * 7 / 5)


def _plant(
    session: Session,
    factory: Factory,
    now: datetime,
    version: tuple[object, ...],
    waiting: Waiting,
) -> _Plant | None:
    """The cached plant for this version, extended by orders placed since, or built anew."""
    with _PLANTS_LOCK:
        cached = _PLANTS.get(factory.file)
        if cached is None or not _still_good(cached, version, waiting, now):
            cached = _built(session, factory, now, version)
        if cached.waiting != waiting:
            cached = _extended(session, cached, waiting, now)
        _PLANTS[factory.file] = cached
    return cached if cached.live is not None else None


def _still_good(
    plant: _Plant, version: tuple[object, ...], waiting: Waiting, now: datetime
) -> bool:
    """Same plant version, no waiting order gone, and young enough: once the frozen horizon
    has passed since, the waiting orders it placed would start in the past (no plan run
    took them in meanwhile), so they are placed again from now."""
    return (
        plant.version == version
        and waiting[: len(plant.waiting)] == plant.waiting
        and now - plant.built_at < planning_input.FROZEN_HORIZON
    )


def _built(
    session: Session, factory: Factory, now: datetime, version: tuple[object, ...]
) -> _Plant:
    """The schedule in force as the shop floor left it (the input a plan run reads)."""
    plan = planning_input.build(session, factory, now)
    frozen_until = data.minutes_between(plan.origin, now + planning_input.FROZEN_HORIZON)
    try:
        live: LiveSchedule | None = LiveSchedule(plan.known, plan.schedule, frozen_until)
    except (PlanningError, KeyError):
        live = None
    return _Plant(version, (), factory, plan.origin, now, live)


def _extended(session: Session, plant: _Plant, waiting: Waiting, now: datetime) -> _Plant:
    """`plant` with the waiting lines it lacks inserted one by one, earliest placed first, as
    a plan run would take them in; unusable (no live schedule) if planning fails."""
    live = plant.live
    if live is None:
        return replace(plant, waiting=waiting)
    lines = _lines(session, [line_id for line_id, _ in waiting[len(plant.waiting):]])
    frozen_until = data.minutes_between(plant.origin, now + planning_input.FROZEN_HORIZON)
    for line in lines:
        ops = data.planner_operations(line.id, line.routing["planner_operations"])
        order = data.planner_order(line.id, plant.origin, line.order.created_at,
                                   line.order.promised_at)
        try:
            _add_setups(live, plant.factory, ops)
            live.insert_order(order, ops, frozen_until)
        except (PlanningError, ValueError, KeyError):
            return replace(plant, waiting=waiting, live=None)
    return replace(plant, waiting=waiting)


def _lines(session: Session, ids: Sequence[int]) -> list[OrderLine]:
    query = select(OrderLine).where(OrderLine.id.in_(ids)).order_by(OrderLine.id)
    return list(session.scalars(query))


def _add_setups(live: LiveSchedule, factory: Factory, new_ops: Sequence[Operation]) -> None:
    """The changeovers of every setup family in use, the new operations' included."""
    families = set(live.fam_ix) | {op.setup_family for op in new_ops}
    live.add_setups(data.planner_setups(factory, families))


def _from_planner(
    plant: _Plant, new_ops: tuple[Operation, ...], now: datetime
) -> tuple[datetime, str] | None:
    """Planned completion (and its machine) of the product inserted after the waiting orders,
    with the same frozen horizon a plan run keeps; undone at once, so nothing is kept."""
    live = plant.live
    assert live is not None
    order = data.planner_order(HYPOTHETICAL_LINE, plant.origin, now, None)
    frozen_until = data.minutes_between(plant.origin, now + planning_input.FROZEN_HORIZON)
    with _PLANTS_LOCK:
        mark = live.mark()
        try:
            _add_setups(live, plant.factory, new_ops)
            live.insert_order(order, new_ops, frozen_until)
            last = max((live.ix[op.id] for op in new_ops), key=lambda i: live.end[i])
            done, machine = live.end[last], live.machine_ids[live.mach[last]]
        except (PlanningError, ValueError, KeyError):
            return None
        finally:
            live.rollback(mark)
    return data.moment_at(plant.origin, done), machine


def _last_machine(ops: Sequence[Operation]) -> str | None:
    """A machine of the routing's final operation (the one no other waits for)."""
    waited_for = {p for op in ops for p in op.predecessors}
    finals = [op for op in ops if op.id not in waited_for]
    return finals[-1].durations[0][0] if finals and finals[-1].durations else None


def _commitment(factory: Factory | None, machine: str | None, moment: datetime) -> datetime:
    """`moment` rounded up to the end of its working day at the machine that finishes the
    product (the packing line's calendar), in the factory's zone."""
    if factory is None or machine not in factory.machines:
        return moment
    return end_of_working_day(factory.calendar_of(machine), factory.zone, moment)


def end_of_working_day(calendar: Calendar, zone: ZoneInfo, moment: datetime) -> datetime:
    """The end of the last shift of the working day `moment` falls in; if it falls after that
    day's work or on a day off, the end of the next working day (in UTC)."""
    local_day = moment.astimezone(zone).date()
    for offset in range(-1, SEARCH_DAYS):  # -1: a night shift of yesterday may still run
        end = _day_end(calendar, zone, local_day + timedelta(days=offset))
        if end is not None and end >= moment:
            return end
    return moment  # no working day ahead in the calendar: nothing to round up to


def _day_end(calendar: Calendar, zone: ZoneInfo, day: date) -> datetime | None:
    if day.weekday() not in calendar.weekdays or day in calendar.holidays or not calendar.shifts:
        return None
    last = max(end for _, end in calendar.shifts)
    return (datetime.combine(day, time(), zone) + timedelta(minutes=last)).astimezone(UTC)


def promise_order(
    session: Session, order: Order, model: str, choices: Mapping[str, object]
) -> DeliveryPromise:
    """Record the promise on a newly placed order (the planner then plans against it)."""
    promised = promise_for(session, model, choices)
    order.promised_at = promised.ready_at
    return promised
