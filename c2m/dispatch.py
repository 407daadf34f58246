"""The outbox dispatcher: delivers outbox rows to the MES, one in flight per work order, in
sequence order, at least once (the idempotency key makes repeats harmless).

A delivery claims its row in one transaction, sends with no transaction open, and records the
verdict in another. A worker killed mid-push leaves the row IN_FLIGHT; the sweeper re-sends it
once its claim has expired.

The sweeper hands a row to the broker only when no task for it is plausibly waiting: each row
remembers when a task was last enqueued (`enqueued_at`), a worker taking the row clears it, and
a row already enqueued is sent again only once that is older than the redelivery window (the
claim timeout: a task neither taken nor finished by then is presumed lost). A backlog thus
holds one task per row, not one per row and sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from c2m.db import exclusive, hand_to_broker, take_claim, unit_of_work
from c2m.errors import Conflict
from c2m.logging_setup import get_logger
from c2m.models import LockName, OrderLine, OutboxMessage, OutboxStatus, WorkOrder, utc_now
from mes_bridge import delivery
from mes_bridge.errors import InvalidTransition
from mes_bridge.lifecycle import WorkOrderState, transition
from mes_bridge.model import PayloadFormat

log = get_logger(__name__)
POLICY = delivery.RetryPolicy(max_attempts=8, base_delay=1.0, max_delay=300.0)


@dataclass(frozen=True)
class DispatchConfig:
    endpoint: delivery.Endpoint
    policy: delivery.RetryPolicy = POLICY
    # Longer than connect + read timeout of one push, so a live push is never taken over.
    claim_timeout: timedelta = timedelta(minutes=2)


@dataclass(frozen=True)
class Claim:
    message: delivery.OutboundMessage
    attempt: int


def claim(
    sessions: sessionmaker[Session], message_id: str, claim_timeout: timedelta
) -> Claim | None:
    """Take the row if it is due and first in line for its work order.

    The take is one conditional UPDATE, atomic on SQLite and PostgreSQL alike: of two workers
    (or two redelivered copies of the task) exactly one wins."""
    with unit_of_work(sessions) as session:
        row = session.get(OutboxMessage, message_id)
        if row is None or _blocked(session, row):
            return None
        statuses = (OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT)
        if not take_claim(session, OutboxMessage, row, statuses, claim_timeout):
            return None
        work_order = session.get_one(WorkOrder, row.work_order_id)
        message = delivery.OutboundMessage(
            message_id=row.id,
            work_order_id=work_order.number,
            sequence=row.sequence,
            format=PayloadFormat(row.format),
            body=row.body.encode(),
        )
        return Claim(message, row.attempts + 1)


def _blocked(session: Session, row: OutboxMessage) -> bool:
    """An earlier message of the same work order is not settled yet: keep the order."""
    earlier = select(OutboxMessage.id).where(
        _unsettled_before(OutboxMessage, row.work_order_id, row.sequence)
    )
    return session.scalar(earlier.limit(1)) is not None


def _unsettled_before(
    rows: type[OutboxMessage], work_order_id: Any, sequence: Any
) -> ColumnElement[bool]:
    """Messages among `rows` of the work order, earlier in its sequence, not settled yet."""
    return and_(
        rows.work_order_id == work_order_id,
        rows.sequence < sequence,
        rows.status.in_([OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]),
    )


def record(sessions: sessionmaker[Session], message_id: str, decision: delivery.Decision) -> None:
    now = utc_now()
    with unit_of_work(sessions) as session:
        # The work order's state is read, changed and written here as MES events change it:
        # the same lock first, or an event taken in meanwhile (the MES may report before its
        # answer to the push is recorded) is overwritten with DISPATCHED. On SQLite the reads
        # would otherwise precede the transaction, on PostgreSQL the work order is not locked.
        exclusive(session, LockName.MES_INTAKE)
        row = session.get_one(OutboxMessage, message_id, with_for_update=True)
        work_order = session.get_one(WorkOrder, row.work_order_id)
        row.last_error = "" if decision.verdict is delivery.Verdict.DELIVERED else decision.reason
        if decision.verdict is delivery.Verdict.DELIVERED:
            row.status, row.delivered_at = OutboxStatus.DELIVERED, now
            _advance(work_order, WorkOrderState.DISPATCHED)
        elif decision.verdict is delivery.Verdict.RETRY:
            row.status = OutboxStatus.PENDING
            row.next_attempt_at = now + timedelta(seconds=decision.delay_seconds)
        elif decision.verdict is delivery.Verdict.REJECTED:
            row.status = OutboxStatus.REJECTED
            work_order.reason = decision.reason
            _advance(work_order, WorkOrderState.REJECTED)
            _back_to_planning(session, work_order)
        else:
            row.status = OutboxStatus.DEAD
        log.info(
            "outbox delivery",
            extra={
                "message_id": message_id,
                "verdict": decision.verdict.value,
                "reason": decision.reason,
                "attempt": row.attempts,
            },
        )


def _back_to_planning(session: Session, work_order: WorkOrder) -> None:
    """The MES refused it: the order returns to PLANNED with the reason, to be fixed and
    released again (as a new work order)."""
    order = session.get_one(OrderLine, work_order.order_line_id).order
    try:
        order.status = transition(
            transition(order.status, WorkOrderState.REJECTED), WorkOrderState.PLANNED
        )
    except InvalidTransition:
        log.warning(
            "rejected work order's order cannot go back to planning",
            extra={"work_order": work_order.number, "order_state": order.status},
        )


def _advance(work_order: WorkOrder, target: WorkOrderState) -> None:
    """Only forward: an MES event may already have moved the work order past `target`."""
    try:
        work_order.state = transition(work_order.state, target)
    except InvalidTransition:
        return
    work_order.updated_at = utc_now()


def deliver(sessions: sessionmaker[Session], config: DispatchConfig, message_id: str) -> str:
    """One delivery attempt of one outbox row; returns the verdict (or 'skipped')."""
    claimed = claim(sessions, message_id, config.claim_timeout)
    if claimed is None:
        return "skipped"
    outcome = delivery.push(config.endpoint, claimed.message)
    decision = delivery.decide(outcome, claimed.attempt, config.policy)
    record(sessions, message_id, decision)
    return decision.verdict.value


def due_messages(sessions: sessionmaker[Session], limit: int = 500) -> list[str]:
    """Rows to (re)send now: pending and due, or claimed by a worker that never came back."""
    with unit_of_work(sessions) as session:
        query = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]),
                OutboxMessage.next_attempt_at <= utc_now(),
            )
            .order_by(OutboxMessage.work_order_id, OutboxMessage.sequence)
            .limit(limit)
        )
        return list(session.scalars(query))


def enqueue_due(
    sessions: sessionmaker[Session],
    send: Callable[[str], object],
    window: timedelta,
    limit: int = 500,
) -> list[str]:
    """The sweeper's part: hand each due row without a waiting task to `send` (the broker),
    marking it enqueued first in one conditional UPDATE, so two sweepers cannot both send it."""
    return hand_to_broker(sessions, OutboxMessage, _needs_task(utc_now(), window), send, limit)


def _needs_task(now: datetime, window: timedelta) -> ColumnElement[bool]:
    """Due, first in line for its work order, and no task for it sent within `window`."""
    earlier = aliased(OutboxMessage)
    blocked = exists().where(
        _unsettled_before(earlier, OutboxMessage.work_order_id, OutboxMessage.sequence)
    )
    return and_(
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.enqueued_at.is_(None), OutboxMessage.enqueued_at <= now - window),
        ~blocked,
    )


def mark_enqueued(session: Session, message_ids: Sequence[str]) -> None:
    """In the transaction that wrote the rows: their tasks are sent right after the commit, so
    the sweeper need not send them again unless those tasks are lost."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids))
        .values(enqueued_at=utc_now())
        .execution_options(synchronize_session=False)
    )


def replay(session: Session, message_id: str) -> None:
    """An operator sends a dead-lettered message again (same id: the MES de-duplicates)."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.status is not OutboxStatus.DEAD:
        raise Conflict(f"message {message_id} is not dead-lettered")
    if not row.body:
        raise Conflict(f"message {message_id} has no valid payload to send: {row.last_error}")
    row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, utc_now()
    row.enqueued_at = None  # the sweeper sends it at its next pass
