"""The one builder of the planner's input: the live schedule with shop-floor actuals laid over
it, the machines with their shifts and planned downtime, and the lines to insert.

Plan runs, the delivery promise and breakdown repairs all read the plant through here, so
they never disagree about what is fixed, what is down or when an operation really ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import plan_versions, shop_floor
from c2m import planning_data as data
from c2m.models import (
    MachineDowntime,
    OperationActual,
    Order,
    OrderLine,
    PlannedOperation,
    PlanRun,
)
from mes_bridge.lifecycle import WorkOrderState
from planner.api import freeze_horizon
from planner.model import Operation, Problem, Schedule, Status
from planner.settle import settle
from routing.factory import Factory

FROZEN_HORIZON = timedelta(hours=2)
AT_OR_AFTER_RELEASE = frozenset(
    {
        WorkOrderState.RELEASED,
        WorkOrderState.DISPATCHED,
        WorkOrderState.ACCEPTED,
        WorkOrderState.RUNNING,
        WorkOrderState.INTERRUPTED,
        WorkOrderState.COMPLETED,
        WorkOrderState.CLOSED,
    }
)
# Lines whose work is over leave the live schedule: they hold no machine from now on.
FINISHED = frozenset(
    {
        WorkOrderState.COMPLETED,
        WorkOrderState.CLOSED,
        WorkOrderState.CANCELLED,
        WorkOrderState.ABORTED,
    }
)


@dataclass(frozen=True)
class LiveSchedule:
    """The current plan run's assignments as the shop floor left them."""

    run: PlanRun | None
    stored: tuple[data.StoredAssignment, ...]


@dataclass(frozen=True)
class PlanInput:
    parent_id: int | None  # the run this input was read from
    origin: datetime
    now: int  # minutes from origin
    frozen_until: int
    known: Problem  # the lines already in the schedule
    schedule: Schedule
    new_line_ids: tuple[int, ...]
    new: Problem  # the lines still to insert (machines and setups shared)

    @property
    def merged(self) -> Problem:
        return Problem(
            self.known.machines,
            self.known.orders + self.new.orders,
            self.known.operations + self.new.operations,
            self.known.setups,
        )


def current_run(session: Session) -> PlanRun | None:
    return session.scalar(select(PlanRun).where(PlanRun.is_current.is_(True)))


def live_schedule(session: Session, now: datetime) -> LiveSchedule:
    run = current_run(session)
    if run is None:
        return LiveSchedule(None, ())
    rows = session.scalars(
        select(PlannedOperation)
        .join(OrderLine, OrderLine.id == PlannedOperation.order_line_id)
        .join(Order)
        .where(plan_versions.rows_of(run), Order.status.not_in(FINISHED))
    ).all()
    released = _released_line_ids(session, {row.order_line_id for row in rows})
    actuals = shop_floor.actuals_of(session, {row.order_line_id for row in rows})
    stored = tuple(
        _as_run(row, actuals.get((row.order_line_id, row.operation_id)), released, now)
        for row in rows
    )
    return LiveSchedule(run, stored)


def _as_run(
    row: PlannedOperation, actual: OperationActual | None, released: set[int], now: datetime
) -> data.StoredAssignment:
    """Reported work is taken at its actual machine and times: done work as it ran, running
    work until the later of its planned span and now. Released or started work stays put."""
    if actual is None:
        fixed = row.fixed or row.order_line_id in released or row.start < now
        status = Status.FROZEN if fixed else Status.MOVABLE
        return data.StoredAssignment(row.operation_key, row.machine, row.start, row.end, status)
    if actual.ended_at is not None:
        end, status = max(actual.ended_at, actual.started_at), Status.DONE
    else:
        planned_span = row.end - row.start
        end = max(actual.started_at + planned_span, now + timedelta(minutes=1))
        status = Status.RUNNING
    return data.StoredAssignment(row.operation_key, actual.machine, actual.started_at, end, status)


def _released_line_ids(session: Session, line_ids: set[int]) -> set[int]:
    query = (
        select(OrderLine.id)
        .join(Order)
        .where(OrderLine.id.in_(line_ids), Order.status.in_(AT_OR_AFTER_RELEASE))
    )
    return set(session.scalars(query))


def downtime_windows(session: Session) -> dict[str, list[tuple[datetime, datetime]]]:
    """Planned downtime per machine (admin-recorded exceptions to the shift calendars)."""
    by_machine: dict[str, list[tuple[datetime, datetime]]] = {}
    for row in session.scalars(select(MachineDowntime).order_by(MachineDowntime.start)):
        by_machine.setdefault(row.machine, []).append((row.start, row.end))
    return by_machine


def engineered_lines(session: Session) -> list[OrderLine]:
    """Lines placed and engineered, waiting for a plan run to take them in."""
    query = (
        select(OrderLine)
        .join(Order)
        .where(Order.status == WorkOrderState.ENGINEERED)
        .order_by(OrderLine.id)
    )
    return list(session.scalars(query))


def build(
    session: Session,
    factory: Factory,
    now: datetime,
    new_lines: Sequence[OrderLine] = (),
    extra_operations: Iterable[Operation] = (),
) -> PlanInput:
    """Everything a plan run (or a promise) needs, read in one go.

    `extra_operations` (a hypothetical order's) only widen the setup families in use."""
    live = live_schedule(session, now)
    origin = min([now, *(a.start for a in live.stored)]).replace(second=0, microsecond=0)
    known_ids = sorted({data.line_of(a.operation_key) for a in live.stored})
    known_lines = list(session.scalars(select(OrderLine).where(OrderLine.id.in_(known_ids))))
    known_ops, new_ops = _operations(known_lines), _operations(new_lines)
    machines = data.planner_machines(factory, origin, downtime_windows(session))
    families = {op.setup_family for op in (*known_ops, *new_ops, *extra_operations)}
    setups = data.planner_setups(factory, families)
    known = Problem(machines, _orders(known_lines, origin), known_ops, setups)
    now_minutes = data.minutes_between(origin, now)
    frozen_until = data.minutes_between(origin, now + FROZEN_HORIZON)
    # Work starting inside the frozen horizon is fixed from here on (the planner would freeze
    # it anyway); fixed work waits for late work before it: plan on what the floor can follow.
    in_force = freeze_horizon(data.planner_schedule(origin, live.stored), frozen_until)
    return PlanInput(
        parent_id=live.run.id if live.run else None,
        origin=origin,
        now=now_minutes,
        frozen_until=frozen_until,
        known=known,
        schedule=settle(known, in_force, now_minutes),
        new_line_ids=tuple(line.id for line in new_lines),
        new=Problem(machines, _orders(new_lines, origin), new_ops, setups),
    )


def _operations(lines: Sequence[OrderLine]) -> tuple[Operation, ...]:
    ops: list[Operation] = []
    for line in lines:
        ops.extend(data.planner_operations(line.id, line.routing["planner_operations"]))
    return tuple(ops)


def _orders(lines: Sequence[OrderLine], origin: datetime) -> tuple[data.Order, ...]:
    return tuple(
        data.planner_order(line.id, origin, line.order.created_at, line.order.promised_at)
        for line in lines
    )
