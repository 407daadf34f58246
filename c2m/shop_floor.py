"""Shop-floor actuals: what the MES reported each operation did, kept as facts of their own.

A plan version is never edited after it is stored; plan runs and the promise overlay these
facts on the current version (c2m.planning_input), so an actual that arrives while a run
computes is taken in by the next run instead of being lost with the old version's rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import plan_versions
from c2m.models import OperationActual, OrderLine, PlannedOperation, PlanRun, utc_now
from mes_bridge.model import OperationActual as ReportedActual

LATE_AFTER = timedelta(minutes=30)  # drift that moves the plan; less is absorbed by slack


def record(session: Session, line: OrderLine, reported: Iterable[ReportedActual]) -> bool:
    """Store what the MES reported; True when an operation runs late enough that the plan
    behind it should follow (a re-plan)."""
    planned = _planned(session, line)
    late = False
    for actual in reported:
        if actual.actual_start is None and actual.actual_end is None:
            continue
        row = planned.get(actual.operation_id)
        machine = actual.machine_id or (row.machine if row is not None else None)
        if machine is None:
            continue  # nothing says where it ran: neither the MES nor any plan
        _keep(session, line.id, actual, machine)
        late |= row is not None and is_late(row, actual)
    return late


def _planned(session: Session, line: OrderLine) -> dict[str, PlannedOperation]:
    run = session.scalar(select(PlanRun).where(PlanRun.is_current.is_(True)))
    if run is None:
        return {}
    rows = session.scalars(
        select(PlannedOperation).where(
            plan_versions.rows_of(run), PlannedOperation.order_line_id == line.id
        )
    )
    return {row.operation_id: row for row in rows}


def _keep(session: Session, line_id: int, actual: ReportedActual, machine: str) -> None:
    row = session.scalar(
        select(OperationActual).filter_by(order_line_id=line_id, operation_id=actual.operation_id)
    )
    started = actual.actual_start or (row.started_at if row else None) or actual.actual_end
    assert started is not None  # one of the two times is set (checked by the caller)
    if row is None:
        row = OperationActual(order_line_id=line_id, operation_id=actual.operation_id)
        session.add(row)
    row.machine, row.started_at, row.updated_at = machine, started, utc_now()
    if actual.actual_end is not None:
        row.ended_at = max(actual.actual_end, started)
    session.flush()


def is_late(row: PlannedOperation, actual: ReportedActual) -> bool:
    started_late = actual.actual_start is not None and actual.actual_start > row.start + LATE_AFTER
    ended_late = actual.actual_end is not None and actual.actual_end > row.end + LATE_AFTER
    return started_late or ended_late


def actuals_of(session: Session, line_ids: set[int]) -> dict[tuple[int, str], OperationActual]:
    """The reported actuals of these lines, by (line, operation): what views overlay."""
    rows = session.scalars(
        select(OperationActual).where(OperationActual.order_line_id.in_(line_ids))
    )
    return {(row.order_line_id, row.operation_id): row for row in rows}
