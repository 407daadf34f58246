"""Use case: cancel an order before production starts.

Who may cancel when, checked in one place (`refusal`):
- the customer (tracking link) while the order has not gone to the factory (ENGINEERED or
  PLANNED): once released, the factory may already be preparing it, so a planner decides;
- a planner (web or API) also after release, as long as no operation of it has started on the
  shop floor (no operation actual, no work order running or past it).

In ONE transaction the order and its work orders become CANCELLED, each work order the MES holds
gets a cancel message in the outbox (the next revision of the work order with request state
Cancelled, in the configured format), and a re-plan is requested so the plan follows. The
caller hands the outbox rows and the plan run to the workers after the commit. Cancelling a
cancelled order answers the same again and changes nothing.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import mail, planning, release
from c2m.db import exclusive
from c2m.errors import Conflict, NotFound
from c2m.logging_setup import get_logger
from c2m.models import (
    LockName,
    MailKind,
    OperationActual,
    Order,
    OrderLine,
    OutboxMessage,
    OutboxStatus,
    PlanRun,
    WorkOrder,
    utc_now,
)
from mes_bridge.errors import PayloadInvalid
from mes_bridge.lifecycle import B2MML_REQUEST_STATE, WorkOrderState, can_cancel, is_at_mes
from mes_bridge.model import PayloadFormat
from mes_bridge.payloads import render

log = get_logger(__name__)
S = WorkOrderState
BEFORE_RELEASE = frozenset({S.CONFIGURED, S.ENGINEERED, S.PLANNED, S.REJECTED})


class Actor(enum.StrEnum):
    CUSTOMER = "customer"
    PLANNER = "planner"


class Reason(enum.StrEnum):
    """Why an order cannot be cancelled; the value is the i18n message key for the web."""

    STARTED = "cancel_refused_started"
    RELEASED = "cancel_refused_released"
    FINISHED = "cancel_refused_finished"


EXPLANATION = {
    Reason.STARTED: "production of this order has started; it can no longer be cancelled",
    Reason.RELEASED: "the order has gone to the factory; ask the planner to cancel it",
    Reason.FINISHED: "the order is finished and can no longer be cancelled",
}


class CannotCancel(Conflict):
    def __init__(self, number: str, reason: Reason) -> None:
        super().__init__(f"order {number} cannot be cancelled: {EXPLANATION[reason]}")
        self.reason = reason

    def details(self) -> dict[str, object]:
        return {"reason": self.reason.value}


@dataclass(frozen=True)
class Cancellation:
    order_id: int
    number: str
    cancelled_at: datetime | None  # None when this call found it cancelled already
    message_ids: tuple[str, ...] = ()  # cancel messages to hand to the dispatcher
    plan_run_id: int | None = None  # the re-plan that takes the order off the schedule

    def as_dict(self) -> dict[str, object]:
        return {"order": self.order_id, "number": self.number, "status": S.CANCELLED.value}


def refusal(
    order_state: WorkOrderState,
    work_order_states: Iterable[WorkOrderState],
    started: bool,
    actor: Actor,
) -> Reason | None:
    """None when `actor` may cancel an order in this state (pure: the one place it is decided)."""
    states = [order_state, *work_order_states]
    if started or any(not can_cancel(s) and s is not S.CANCELLED for s in states[1:]):
        return Reason.STARTED if order_state not in (S.COMPLETED, S.CLOSED) else Reason.FINISHED
    if not can_cancel(order_state):
        running = order_state in (S.RUNNING, S.INTERRUPTED)
        return Reason.STARTED if running else Reason.FINISHED
    if actor is Actor.CUSTOMER and order_state not in BEFORE_RELEASE:
        return Reason.RELEASED
    return None


def why_not(session: Session, order: Order, actor: Actor) -> Reason | None:
    """For pages: the reason the cancel button is absent (None: it is shown)."""
    if order.status is S.CANCELLED:
        return None
    work_orders = _work_orders(session, order)
    return refusal(order.status, [w.state for w in work_orders], _started(session, order), actor)


def cancel(session: Session, order_id: int, actor: Actor, fmt: PayloadFormat) -> Cancellation:
    """Cancel in this unit of work (see the module doc); raises CannotCancel (409)."""
    # Serialised with MES events (a "started" racing the cancel) and with other cancels.
    exclusive(session, LockName.MES_INTAKE)
    order = session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFound(f"no order {order_id}")
    if order.status is S.CANCELLED:
        return Cancellation(order.id, order.number, None)
    work_orders = _work_orders(session, order)
    reason = refusal(order.status, [w.state for w in work_orders], _started(session, order), actor)
    if reason is not None:
        raise CannotCancel(order.number, reason)
    order.status = S.CANCELLED
    mail.enqueue(session, order, MailKind.CANCELLED)
    message_ids = tuple(
        _withdraw(session, work_order, fmt)
        for work_order in work_orders
        if is_at_mes(work_order.state)
    )
    for work_order in work_orders:
        if can_cancel(work_order.state):
            work_order.state, work_order.updated_at = S.CANCELLED, utc_now()
    run = planning.request_replan_once(session)
    log.info(
        "order cancelled",
        extra={"order": order.number, "actor": actor.value, "messages": len(message_ids)},
    )
    return Cancellation(order.id, order.number, utc_now(), message_ids, run.id)


def _work_orders(session: Session, order: Order) -> list[WorkOrder]:
    line_ids = [line.id for line in order.lines]
    query = select(WorkOrder).where(WorkOrder.order_line_id.in_(line_ids)).order_by(WorkOrder.id)
    return list(session.scalars(query.with_for_update()))


def _started(session: Session, order: Order) -> bool:
    line_ids = [line.id for line in order.lines]
    query = select(OperationActual.id).where(OperationActual.order_line_id.in_(line_ids))
    return session.scalar(query.limit(1)) is not None


def _withdraw(session: Session, work_order: WorkOrder, fmt: PayloadFormat) -> str:
    """The cancel message: the work order's next revision, request state Cancelled, in the
    format its release went in (`fmt`, the configured one, when none is found)."""
    sequence = work_order.last_sequence_out + 1
    work_order.last_sequence_out = sequence
    line = session.get_one(OrderLine, work_order.order_line_id)
    run = session.get_one(PlanRun, work_order.plan_run_id)
    snapshot = replace(release.work_order_data(session, run, line, work_order), sequence=sequence)
    fmt = _released_format(session, work_order) or fmt
    message_id = uuid.uuid4().hex
    row = OutboxMessage(
        id=message_id,
        work_order_id=work_order.id,
        sequence=sequence,
        kind="cancel",
        format=fmt.value,
        body="",
        status=OutboxStatus.PENDING,
    )
    try:
        row.body = cancel_body(render(snapshot, fmt, message_id, utc_now()), fmt)
    except PayloadInvalid as error:
        row.status, row.last_error = OutboxStatus.DEAD, str(error)
    session.add(row)
    session.flush()
    return message_id


def _released_format(session: Session, work_order: WorkOrder) -> PayloadFormat | None:
    """The cancel goes in the format the work order went in: what that endpoint reads."""
    query = select(OutboxMessage.format).filter_by(work_order_id=work_order.id, kind="release")
    sent = session.scalar(query.order_by(OutboxMessage.sequence).limit(1))
    return None if sent is None else PayloadFormat(sent)


def cancel_body(released: bytes, fmt: PayloadFormat) -> str:
    """A rendered work order turned into its cancellation: JSON gains `"state": "cancelled"`,
    B2MML's RequestState becomes Cancelled (V0701's RequestStateType; in V0600, which lacks
    it, Other with OtherValue="Cancelled")."""
    if fmt is PayloadFormat.JSON:
        document = json.loads(released)
        document["work_order"]["state"] = S.CANCELLED.value
        return json.dumps(document, sort_keys=True, ensure_ascii=False)
    root = etree.fromstring(released)
    states = [e for e in root.iter() if etree.QName(e).localname == "RequestState"]
    if not states:
        raise PayloadInvalid(fmt.value, "RequestState", "the rendered work order has none")
    for element in states:
        if fmt is PayloadFormat.B2MML_V0600:  # V0600 knows only Forecast, Released, Other
            element.text = "Other"
            element.set("OtherValue", B2MML_REQUEST_STATE[S.CANCELLED])
        else:
            element.text = B2MML_REQUEST_STATE[S.CANCELLED]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()
