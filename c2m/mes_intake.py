"""Use case: status events from the MES move work orders, orders, the plan and traceability.

De-duplication by event id is a primary key, so a repeated callback stores nothing twice;
state changes follow the per-work-order sequence and never go backwards (mes_bridge.intake).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import planning
from c2m.errors import NotFound
from c2m.models import MesEvent, OrderLine, PlannedOperation, Unit, WorkOrder, utc_now
from mes_bridge.errors import InvalidTransition
from mes_bridge.intake import Outcome, Progress, fold
from mes_bridge.lifecycle import EventKind, WorkOrderState, transition
from mes_bridge.model import Event, OperationActual

log = logging.getLogger(__name__)
REPLAN_ON = {EventKind.ABORTED, EventKind.INTERRUPTED}
LATE_AFTER = timedelta(minutes=30)  # drift that moves the plan; less is absorbed by slack


@dataclass(frozen=True)
class IntakeReport:
    event_id: str
    outcome: str  # applied | stale | conflict | duplicate


def take_in(session: Session, events: list[Event]) -> list[IntakeReport]:
    return [_take_one(session, event) for event in events]


def _take_one(session: Session, event: Event) -> IntakeReport:
    if session.get(MesEvent, event.event_id) is not None:
        return IntakeReport(event.event_id, "duplicate")
    work_order = session.scalar(
        select(WorkOrder).filter_by(number=event.work_order_id).with_for_update()
    )
    if work_order is None:
        raise NotFound(f"no work order {event.work_order_id!r} (event {event.event_id})")
    result = fold(_progress(work_order), event)
    session.add(
        MesEvent(
            id=event.event_id,
            work_order_id=work_order.id,
            sequence=event.sequence,
            kind=event.kind.value,
            occurred_at=event.occurred_at,
            body=_event_body(event),
            applied=result.outcome is Outcome.APPLIED,
        )
    )
    if result.outcome is Outcome.CONFLICT:
        log.warning(
            "MES event conflicts with the lifecycle",
            extra={"event": event.event_id, "note": result.note},
        )
    if result.outcome is not Outcome.CONFLICT:
        _apply(session, work_order, result.progress, event)
    return IntakeReport(event.event_id, result.outcome.value)


def _progress(work_order: WorkOrder) -> Progress:
    return Progress(
        work_order.state,
        work_order.last_sequence_in,
        Decimal(work_order.quantity_good),
        Decimal(work_order.quantity_scrap),
    )


def _apply(session: Session, work_order: WorkOrder, progress: Progress, event: Event) -> None:
    changed = progress.state is not work_order.state
    work_order.state, work_order.last_sequence_in = progress.state, progress.last_sequence
    work_order.quantity_good, work_order.quantity_scrap = int(progress.good), int(progress.scrap)
    work_order.updated_at = utc_now()
    if event.reason:
        work_order.reason = event.reason
    line = session.get_one(OrderLine, work_order.order_line_id)
    if changed:
        _mirror_order(line, progress.state)
    late = _record_actuals(session, line, event.operations)
    if changed and progress.state is WorkOrderState.COMPLETED:
        _create_units(session, work_order)
    if late or (changed and event.kind in REPLAN_ON):
        planning.request_replan_once(session)


def _mirror_order(line: OrderLine, state: WorkOrderState) -> None:
    """A one-line order follows its work order; forward only."""
    try:
        line.order.status = transition(line.order.status, state)
    except InvalidTransition:
        return


def _record_actuals(
    session: Session, line: OrderLine, actuals: tuple[OperationActual, ...]
) -> bool:
    """Running work becomes fixed in the plan at its actual times; finished work too.
    Returns whether any operation runs late enough that the plan behind it should follow."""
    run = planning.current_run(session)
    if run is None:
        return False
    late = False
    for actual in actuals:
        row = session.scalar(
            select(PlannedOperation).filter_by(
                plan_run_id=run.id, order_line_id=line.id, operation_id=actual.operation_id
            )
        )
        if row is None:
            continue
        late |= _is_late(row, actual)
        row.fixed = True
        if actual.machine_id:
            row.machine = actual.machine_id
        if actual.actual_start:
            duration = row.end - row.start
            row.start = actual.actual_start
            row.end = actual.actual_end or max(row.end, actual.actual_start + duration)
        elif actual.actual_end:
            row.end = actual.actual_end
    return late


def _is_late(row: PlannedOperation, actual: OperationActual) -> bool:
    started_late = actual.actual_start is not None and actual.actual_start > row.start + LATE_AFTER
    ended_late = actual.actual_end is not None and actual.actual_end > row.end + LATE_AFTER
    return started_late or ended_late


def unit_code(work_order_id: int, serial: int) -> str:
    """Short, unguessable-enough, stable: the same unit always gets the same code."""
    digest = hashlib.sha256(f"c2m-unit:{work_order_id}:{serial}".encode()).hexdigest()
    return f"U{work_order_id:05d}{serial:02d}{digest[:6].upper()}"


def _create_units(session: Session, work_order: WorkOrder) -> None:
    existing = len(session.scalars(select(Unit.id).filter_by(work_order_id=work_order.id)).all())
    for serial in range(existing + 1, max(work_order.quantity_good, 1) + 1):
        session.add(
            Unit(code=unit_code(work_order.id, serial), work_order_id=work_order.id, serial=serial)
        )


def _event_body(event: Event) -> dict[str, object]:
    return {
        "kind": event.kind.value,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "good": str(event.good) if event.good is not None else None,
        "scrap": str(event.scrap) if event.scrap is not None else None,
        "reason": event.reason,
        "operations": [
            {
                "operation": op.operation_id,
                "state": op.state.value,
                "machine": op.machine_id,
                "start": op.actual_start.isoformat() if op.actual_start else None,
                "end": op.actual_end.isoformat() if op.actual_end else None,
                "good": str(op.good) if op.good is not None else None,
                "scrap": str(op.scrap) if op.scrap is not None else None,
            }
            for op in event.operations
        ],
    }
