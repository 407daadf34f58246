"""Use case: the periodic reconciliation pull (DESIGN.md: "A periodic pull reconciles anything
missed").

Retries and the sweeper cover every push the plant knows to be unfinished. What they cannot
see is a push the plant counts as delivered that the MES does not hold (the MES lost it, or
something between answered for it), and status events the MES recorded but never got through
to us. So, every `C2M_MES_RECONCILE_EVERY_S` (60 s), the plant asks the MES about the work
orders it has delivered and not yet seen finish, and compares:

- the revisions the MES holds with the outbox rows delivered: a delivered row the MES lacks is
  sent again, with the same message id (idempotency key = BODID), through the ordinary
  dispatcher; one the MES holds is left alone, so it is never sent twice;
- the events the MES has recorded with those taken in: the missing ones are taken in like a
  callback (de-duplicated by id, applied in sequence, never regressing).

Only work orders without news for a full interval are asked about (one that just reported is
evidently there), at most `limit` per pass, drawn at random so that a large plant is covered
over a few passes. The pass stops at the first lookup that gets no answer (the MES is down:
the outbox and the sweeper deal with that) and changes nothing on an answer it cannot read.
Every change is a conditional UPDATE or an insert keyed by event id, so two passes at once, or
a pass repeated, do no harm.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from c2m import mes_intake
from c2m.db import unit_of_work
from c2m.errors import C2mError
from c2m.logging_setup import get_logger
from c2m.models import MesEvent, OutboxMessage, OutboxStatus, WorkOrder, utc_now
from mes_bridge.lifecycle import WorkOrderState
from mes_bridge.lookup import LookupFailed, MesView

log = get_logger(__name__)
# Sent and not yet finished: the MES should hold these, and may still report on them.
AT_THE_MES = (
    WorkOrderState.DISPATCHED,
    WorkOrderState.ACCEPTED,
    WorkOrderState.RUNNING,
    WorkOrderState.INTERRUPTED,
)
BATCH = 200
RESENT_NOTE = "reconciliation: the MES does not hold it; sent again"


@dataclass
class Report:
    checked: int = 0
    resent: list[str] = field(default_factory=list)  # outbox message ids sent again
    events_taken: int = 0
    failed: list[str] = field(default_factory=list)  # "WO-...: why" for lookups or intakes


def candidates(
    sessions: sessionmaker[Session], quiet: timedelta, limit: int = BATCH
) -> list[tuple[int, str]]:
    """(id, number) of work orders at the MES, with a delivered push and none still under way,
    and no news for `quiet`; at most `limit`, in random order."""
    delivered = exists().where(
        OutboxMessage.work_order_id == WorkOrder.id, OutboxMessage.status == OutboxStatus.DELIVERED
    )
    under_way = exists().where(
        OutboxMessage.work_order_id == WorkOrder.id,
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]),
    )
    query = (
        select(WorkOrder.id, WorkOrder.number)
        .where(
            and_(
                WorkOrder.state.in_(AT_THE_MES),
                WorkOrder.updated_at <= utc_now() - quiet,
                delivered,
                ~under_way,
            )
        )
        .order_by(func.random())
        .limit(limit)
    )
    with unit_of_work(sessions) as session:
        return [(row.id, row.number) for row in session.execute(query)]


def reconcile(
    sessions: sessionmaker[Session],
    look_up: Callable[[str], MesView],
    send: Callable[[str], object],
    quiet: timedelta,
    limit: int = BATCH,
    budget_s: float = 30.0,
) -> Report:
    """One pass. `look_up(number)` asks the MES (raises LookupFailed); `send(message_id)` hands
    a re-opened outbox row to the dispatcher (the broker)."""
    report = Report()
    deadline = time.monotonic() + budget_s
    for work_order_id, number in candidates(sessions, quiet, limit):
        if time.monotonic() > deadline:
            break
        try:
            view = look_up(number)
        except LookupFailed as error:
            report.failed.append(f"{number}: {error}")
            if error.transport:
                break  # the MES is not answering: the next pass asks again
            continue
        report.checked += 1
        if view.unreadable_events:
            report.failed.append(f"{number}: {view.unreadable_events} unreadable event(s)")
        report.events_taken += _take_missed_events(sessions, view, report)
        reopened = reopen_missing(sessions, work_order_id, view.sequence)
        for message_id in reopened:
            send(message_id)
        report.resent += reopened
        if reopened:
            log.warning(
                "the MES does not hold a delivered work order; sent again",
                extra={"work_order": number, "messages": reopened, "mes_sequence": view.sequence},
            )
    log.info(
        "MES reconciliation",
        extra={
            "checked": report.checked,
            "resent": len(report.resent),
            "events_taken": report.events_taken,
            "failed": report.failed[:5],
        },
    )
    return report


def reopen_missing(
    sessions: sessionmaker[Session], work_order_id: int, held_sequence: int
) -> list[str]:
    """Delivered rows of the work order above what the MES holds become due again, marked
    enqueued (their task is sent right after the commit; the sweeper sends it again only if
    that task is lost). Conditional on DELIVERED: of two passes, one re-opens a row."""
    now = utc_now()
    with unit_of_work(sessions) as session:
        reopened = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.work_order_id == work_order_id,
                OutboxMessage.status == OutboxStatus.DELIVERED,
                OutboxMessage.sequence > held_sequence,
            )
            .values(
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                enqueued_at=now,
                delivered_at=None,
                last_error=RESENT_NOTE,
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(reopened.scalars())


def _take_missed_events(sessions: sessionmaker[Session], view: MesView, report: Report) -> int:
    """Events the MES recorded that were never taken in, taken in now as a callback would be."""
    if not view.events:
        return 0
    wanted = [event.event_id for event in view.events]
    with unit_of_work(sessions) as session:
        known = set(session.scalars(select(MesEvent.id).where(MesEvent.id.in_(wanted))))
    missed = [event for event in view.events if event.event_id not in known]
    if not missed:
        return 0
    try:
        with unit_of_work(sessions) as session:
            taken = mes_intake.take_in(session, missed)
    except C2mError as error:
        report.failed.append(f"{view.work_order_id}: events refused: {error}")
        return 0
    return sum(1 for item in taken if item.outcome != "duplicate")
