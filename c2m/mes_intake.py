"""Use case: status events from the MES move work orders, orders, the plan and traceability.

De-duplication by event id is a primary key, so a repeated callback stores nothing twice;
state changes follow the per-work-order sequence and never go backwards (mes_bridge.intake).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import mail, planning, shop_floor
from c2m.db import exclusive
from c2m.errors import InvalidInput, NotFound
from c2m.logging_setup import get_logger
from c2m.models import LockName, MailKind, MesEvent, OrderLine, Unit, WorkOrder, utc_now
from mes_bridge.errors import InvalidTransition
from mes_bridge.intake import Outcome, Progress, fold, quantity_problem
from mes_bridge.lifecycle import EventKind, WorkOrderState, transition
from mes_bridge.model import Event

log = get_logger(__name__)
REPLAN_ON = {EventKind.ABORTED, EventKind.INTERRUPTED}


@dataclass(frozen=True)
class IntakeReport:
    event_id: str
    outcome: str  # applied | stale | conflict | duplicate


def take_in(session: Session, events: list[Event]) -> list[IntakeReport]:
    """Apply `events` in this unit of work; all or nothing (a bad quantity refuses the batch).

    Intake is a read-modify-write of the work order's sequence, state and totals, so it holds
    the intake lock from its first statement to the commit: two events for one work order (or
    one event posted twice) are taken in one after the other, each seeing what the other wrote.
    `with_for_update` alone does nothing on SQLite, and there the reads would precede the
    transaction."""
    exclusive(session, LockName.MES_INTAKE)
    return [_take_one(session, event) for event in events]


def _take_one(session: Session, event: Event) -> IntakeReport:
    if session.get(MesEvent, event.event_id) is not None:
        return IntakeReport(event.event_id, "duplicate")
    work_order = session.scalar(
        select(WorkOrder).filter_by(number=event.work_order_id).with_for_update()
    )
    if work_order is None:
        raise NotFound(f"no work order {event.work_order_id!r} (event {event.event_id})")
    _check_quantities(event, session.get_one(OrderLine, work_order.order_line_id).quantity)
    result = fold(_progress(work_order), event)
    session.add(_stored(event, work_order, applied=result.outcome is Outcome.APPLIED))
    if result.outcome is Outcome.CONFLICT:
        log.warning(
            "MES event conflicts with the lifecycle",
            extra={"event": event.event_id, "note": result.note},
        )
    if result.outcome is not Outcome.CONFLICT:
        _apply(session, work_order, result.progress, event)
    return IntakeReport(event.event_id, result.outcome.value)


def _check_quantities(event: Event, ordered: int) -> None:
    """Refuse (422, naming the field) a good count the work order cannot have: it would become
    that many units. Nothing of the batch is stored, so the MES can send it again corrected."""
    problem = quantity_problem(event, ordered)
    if problem is not None:
        field, reason = problem
        raise InvalidInput(f"event {event.event_id}: {field}: {reason}", field)


def _stored(event: Event, work_order: WorkOrder, applied: bool) -> MesEvent:
    return MesEvent(
        id=event.event_id,
        work_order_id=work_order.id,
        sequence=event.sequence,
        kind=event.kind.value,
        occurred_at=event.occurred_at,
        body=_event_body(event),
        applied=applied,
    )


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
    late = shop_floor.record(session, line, event.operations)
    if changed and progress.state is WorkOrderState.COMPLETED:
        _create_units(session, work_order, line.quantity)
    if changed and line.order.status is WorkOrderState.COMPLETED:
        mail.enqueue(session, line.order, MailKind.COMPLETED)
    if late or (changed and event.kind in REPLAN_ON):
        planning.request_replan_once(session)


def _mirror_order(line: OrderLine, state: WorkOrderState) -> None:
    """A one-line order follows its work order; forward only."""
    try:
        line.order.status = transition(line.order.status, state)
    except InvalidTransition:
        return


def unit_code(work_order_id: int, serial: int, key: bytes | None = None) -> str:
    """Stable (the traveller prints it before the unit exists) and keyed: a code is an HMAC
    of the unit under the app's secret, so codes cannot be enumerated from work order ids."""
    secret = key if key is not None else unit_code_key()
    digest = hmac.new(secret, f"unit:{work_order_id}:{serial}".encode(), hashlib.sha256)
    return "U" + base64.b32encode(digest.digest()).decode()[:16]


def unit_code_key() -> bytes:
    """Derived from the app's secret key, so it is kept and rotated with it."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"c2m-unit-codes", hashlib.sha256).digest()


def _create_units(session: Session, work_order: WorkOrder, ordered: int) -> None:
    """One unit per good piece; a completion that reports no good count completes the order as
    ordered. Never more than ordered: intake refuses a larger count."""
    existing = len(session.scalars(select(Unit.id).filter_by(work_order_id=work_order.id)).all())
    for serial in range(existing + 1, min(work_order.quantity_good or ordered, ordered) + 1):
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
