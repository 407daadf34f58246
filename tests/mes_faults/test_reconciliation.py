"""The periodic reconciliation pull (DESIGN.md: "A periodic pull reconciles anything missed"):
the plant asks the MES what it holds of the work orders it delivered. A push the plant counts
as delivered but the MES lacks is sent again, once; one the MES holds is never sent twice; status
events the MES recorded but never got through are taken in."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from flask import Flask
from sqlalchemy import select, update

from c2m import dispatch, reconciliation
from c2m.models import OutboxMessage, OutboxStatus, WorkOrder, utc_now
from c2m.settings import Settings
from mes_bridge import lookup
from mes_bridge.lifecycle import WorkOrderState
from tests.flow.test_order_to_mes import wait_until
from tests.mes_faults.conftest import config_for

pytestmark = pytest.mark.usefixtures("no_background_worker")
NOWHERE = "http://127.0.0.1:9/none"  # callbacks that never arrive: only the pull brings news


def numbers_of(app: Flask, message_ids: list[str]) -> dict[str, str]:
    with app.extensions["c2m.sessions"]() as session:
        rows = session.execute(
            select(OutboxMessage.id, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == OutboxMessage.work_order_id)
            .where(OutboxMessage.id.in_(message_ids))
        )
        return {row.id: row.number for row in rows}


def work_order(app: Flask, number: str) -> WorkOrder:
    with app.extensions["c2m.sessions"]() as session:
        row = session.scalars(select(WorkOrder).filter_by(number=number)).one()
        session.expunge(row)
        return row


def outbox_row(app: Flask, message_id: str) -> OutboxMessage:
    with app.extensions["c2m.sessions"]() as session:
        row = session.get_one(OutboxMessage, message_id)
        session.expunge(row)
        return row


def lose_the_push(app: Flask, message_id: str) -> None:
    """The plant recorded a delivery the MES never kept (it lost it, or something between
    answered for it): the outbox says DELIVERED, the work order DISPATCHED."""
    with app.extensions["c2m.sessions"].begin() as session:
        row = session.get_one(OutboxMessage, message_id)
        row.status, row.delivered_at, row.attempts = OutboxStatus.DELIVERED, utc_now(), 1
        session.execute(
            update(WorkOrder)
            .where(WorkOrder.id == row.work_order_id)
            .values(state=WorkOrderState.DISPATCHED, updated_at=utc_now())
        )


def test_a_delivered_push_the_mes_lacks_is_sent_again_and_one_it_holds_is_not(
    app: Flask, settings: Settings, start_simulator, release_orders  # type: ignore[no-untyped-def]
) -> None:
    simulator = start_simulator("--callback-url", NOWHERE, "--callback-attempts", "1")
    config = config_for(simulator.url, settings)
    sessions = app.extensions["c2m.sessions"]
    held_id, lost_id = sorted(release_orders(2))
    numbers = numbers_of(app, [held_id, lost_id])
    held, lost = numbers[held_id], numbers[lost_id]
    assert dispatch.deliver(sessions, config, held_id) == "delivered"
    lose_the_push(app, lost_id)
    # The MES runs the order it holds; its callbacks go nowhere.
    wait_until(
        lambda: any(
            e["kind"] == "completed"
            for e in requests.get(f"{simulator.url}/work-orders/{held}", timeout=5).json()["events"]
        ),
        timeout=60,
        what="the held work order completed at the MES",
    )
    assert work_order(app, held).state is WorkOrderState.DISPATCHED  # no callback got through

    def look_up(number: str) -> lookup.MesView:
        return lookup.look_up(config.endpoint, number)

    sent: list[str] = []
    with app.app_context():
        assert reconciliation.candidates(sessions, quiet=timedelta(hours=1)) == []  # just news
        first = reconciliation.reconcile(sessions, look_up, sent.append, quiet=timedelta(0))

    assert first.checked == 2 and sent == first.resent == [lost_id]
    resent = outbox_row(app, lost_id)
    assert resent.status is OutboxStatus.PENDING and resent.enqueued_at is not None
    assert outbox_row(app, held_id).status is OutboxStatus.DELIVERED
    # The events the MES recorded for the held order were pulled and taken in.
    assert first.events_taken > 0
    assert work_order(app, held).state is WorkOrderState.COMPLETED

    # The dispatcher sends the re-opened row: same message id, so the MES applies it once.
    assert dispatch.deliver(sessions, config, lost_id) == "delivered"
    state = simulator.state()
    assert state["effects"] == {held: 1, lost: 1}
    assert state["duplicates_total"] == 0

    # Again: the MES holds both now, nothing is sent, nothing changes twice.
    with app.app_context():
        second = reconciliation.reconcile(sessions, look_up, sent.append, quiet=timedelta(0))
    assert second.checked == 1  # the completed work order is not asked about any more
    assert second.resent == [] and sent == [lost_id]
    after = simulator.state()
    assert after["effects"] == {held: 1, lost: 1} and after["duplicates_total"] == 0
    assert after["requests"] == state["requests"]  # lookups are GETs, never pushes


def test_the_scheduled_task_asks_the_configured_mes_and_sends_through_the_mes_queue(
    settings: Settings,
    clean_database: str,
    start_simulator,
    release_orders,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from c2m import tasks
    from c2m.app import create_app
    from c2m.celery_app import RECONCILE_ENV

    simulator = start_simulator("--callback-url", NOWHERE, "--callback-attempts", "1")
    app = create_app(settings.with_changes(mes_url=simulator.url))
    [lost_id] = release_orders(1)
    lose_the_push(app, lost_id)
    monkeypatch.setenv(RECONCILE_ENV, "3")  # asked about once quiet for one interval
    handed: list[str] = []
    monkeypatch.setattr(tasks.deliver, "delay", handed.append)
    with app.app_context():
        assert tasks.reconcile.run()["resent"] == []  # news from just now: not asked yet
        wait_until(lambda: tasks.reconcile.run()["resent"], timeout=10, what="a pass re-sends")
    assert handed == [lost_id]
    assert simulator.state()["effects"] == {}  # the dispatcher, not the pass, pushes


def test_a_pass_changes_nothing_when_the_mes_does_not_answer(
    app: Flask, settings: Settings, release_orders  # type: ignore[no-untyped-def]
) -> None:
    sessions = app.extensions["c2m.sessions"]
    [lost_id] = release_orders(1)
    lose_the_push(app, lost_id)
    unreachable = config_for("http://127.0.0.1:9", settings).endpoint
    with app.app_context():
        report = reconciliation.reconcile(
            sessions, lambda n: lookup.look_up(unreachable, n), pytest.fail, quiet=timedelta(0)
        )
    assert report.checked == 0 and report.resent == [] and len(report.failed) == 1
    assert outbox_row(app, lost_id).status is OutboxStatus.DELIVERED


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b'{"error": "no such path /work-orders/WO-1"}'),  # an MES without this endpoint
        (404, b"not found"),
        (500, b'{"work_order_id": "WO-1"}'),
        (200, b'{"work_order_id": "WO-2", "revisions": []}'),  # about another work order
    ],
)
def test_an_answer_that_is_not_about_the_work_order_is_no_reason_to_send_it_again(
    status: int, body: bytes
) -> None:
    with pytest.raises(lookup.LookupFailed):
        lookup.read_answer("WO-1", status, body)


def test_what_the_mes_holds_is_read_from_its_answer() -> None:
    unknown = lookup.read_answer("WO-1", 404, b'{"error": "unknown", "work_order_id": "WO-1"}')
    assert not unknown.held
    document = (
        b'{"work_order_id": "WO-1", "events": [], "revisions": '
        b'[{"sequence": 1, "status": "running", "rejected": null},'
        b' {"sequence": 2, "status": "rejected", "rejected": "no"}]}'
    )
    view = lookup.read_answer("WO-1", 200, document)
    assert view.held and view.sequence == 1
