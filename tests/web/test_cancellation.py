"""Cancelling an order before production starts: the customer from the tracking page (until the
order goes to the factory), a planner until an operation starts; the MES is told and withdraws
the work order; the plan follows; a second cancel answers the same; too late is a 409."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from c2m import auth, dispatch, mes_intake, plan_versions, planning, release
from c2m.db import unit_of_work
from c2m.models import (
    Order,
    OrderLine,
    OutboxMessage,
    OutboxStatus,
    PlannedOperation,
    PlanRun,
    PlanRunStatus,
    WorkOrder,
)
from c2m.settings import Settings
from mes_bridge.delivery import Endpoint, RetryPolicy
from mes_bridge.lifecycle import EventKind, WorkOrderState
from mes_bridge.model import Event, PayloadFormat
from mes_bridge.simulator import SimSettings, Simulator
from planner.clock import Clock
from tests.flow.conftest import SAMPLES, named_configuration
from tests.web.conftest import csrf_of

pytestmark = pytest.mark.usefixtures("no_background_worker")
PHONE = {"width": 375, "height": 740}
CUSTOMER = {
    "name": "李雷",
    "email": "lilei@example.com",
    "phone": "+86 138 0000 0000",
    "address": "广东省佛山市顺德区大良街道 88 号",
}


def place(client: FlaskClient, key: str) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": CUSTOMER,
        },
        headers={"Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.get_json()
    placed = dict(answer.get_json())
    placed["order"] = placed["id"]
    placed["tracking_token"] = placed["tracking_url"].rstrip("/").rsplit("/", 1)[-1]
    return placed


def carry_out_queued(app: Flask) -> int:
    """Carry out every queued plan run (oldest first); the id of the last one."""
    sessions = app.extensions["c2m.sessions"]
    with sessions() as session:
        queued = session.scalars(
            select(PlanRun.id).filter_by(status=PlanRunStatus.QUEUED).order_by(PlanRun.id)
        ).all()
    assert queued, "no plan run was requested"
    for run_id in queued:
        planning.carry_out(sessions, SAMPLES, run_id)
    return queued[-1]


def release_current(app: Flask, fmt: PayloadFormat = PayloadFormat.JSON) -> list[int]:
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        run = session.scalars(select(PlanRun).filter_by(is_current=True)).one()
        return release.release(session, run.id, fmt)


def order_of(app: Flask, order_id: int) -> Order:
    with app.extensions["c2m.sessions"]() as session:
        order = session.get_one(Order, order_id)
        session.expunge(order)
        return order


def planned_lines(app: Flask) -> set[int]:
    """Order lines in the current schedule."""
    with app.extensions["c2m.sessions"]() as session:
        run = session.scalars(select(PlanRun).filter_by(is_current=True)).one()
        in_run = plan_versions.rows_of(run)
        rows = session.scalars(select(PlannedOperation.order_line_id).where(in_run))
        return set(rows)


def line_of(app: Flask, order_id: int) -> int:
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(OrderLine.id).filter_by(order_id=order_id)).one()


def planner_token(app: Flask) -> dict[str, str]:
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        token = auth.issue_client_token(session, "cancel-script", ("planner",))
    return {"Authorization": f"Bearer {token}"}


def cancel_rows(app: Flask) -> list[OutboxMessage]:
    with app.extensions["c2m.sessions"]() as session:
        rows = session.scalars(select(OutboxMessage).filter_by(kind="cancel")).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


@pytest.fixture()
def slow_mes(settings: Settings) -> Iterator[Simulator]:
    """The reference MES in this process, its shop floor a year behind, so nothing it was given
    starts during the test (a cancel must reach it before the floor does); no callbacks."""
    now = datetime.now(UTC)
    behind = Clock(anchor=now, speed=1.0, start=now - timedelta(days=365))
    simulator = Simulator(SimSettings(secret=settings.mes_secret, clock=behind))
    simulator.start_in_thread()
    yield simulator
    simulator.shutdown()


def deliver_all(app: Flask, simulator: Simulator, settings: Settings) -> None:
    endpoint = Endpoint(simulator.url + "/work-orders", settings.mes_secret, 1.0, 5.0)
    config = dispatch.DispatchConfig(endpoint, RetryPolicy(3, 0.01, 0.05), timedelta(seconds=15))
    sessions = app.extensions["c2m.sessions"]
    deadline = time.monotonic() + 30
    while (due := dispatch.due_messages(sessions)) and time.monotonic() < deadline:
        for message_id in due:
            dispatch.deliver(sessions, config, message_id)
    assert not dispatch.due_messages(sessions), "the outbox did not drain"


def test_a_customer_cancels_from_the_tracking_page_and_the_next_schedule_leaves_it_out(
    shop: Flask, client: FlaskClient
) -> None:
    kept = place(client, "cancel-kept-0001")
    cancelled = place(client, "cancel-gone-0001")
    carry_out_queued(shop)
    assert line_of(shop, cancelled["order"]) in planned_lines(shop)
    track = f"/track/{cancelled['tracking_token']}"
    page = client.get(track).get_data(as_text=True)
    assert 'id="cancel-button"' in page
    answer = client.post(f"{track}/cancel", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 303
    assert order_of(shop, cancelled["order"]).status is WorkOrderState.CANCELLED
    assert "This order is cancelled." in client.get(track + "?lang=en").get_data(as_text=True)
    assert "此订单已取消。" in client.get(track + "?lang=zh").get_data(as_text=True)
    carry_out_queued(shop)  # the re-plan the cancel asked for
    lines = planned_lines(shop)
    assert line_of(shop, cancelled["order"]) not in lines
    assert line_of(shop, kept["order"]) in lines
    assert order_of(shop, kept["order"]).status is WorkOrderState.PLANNED


def test_the_tracking_form_without_its_csrf_token_cancels_nothing(
    shop: Flask, client: FlaskClient
) -> None:
    placed = place(client, "cancel-csrf-0001")
    answer = client.post(f"/track/{placed['tracking_token']}/cancel")
    assert answer.status_code == 400
    assert order_of(shop, placed["order"]).status is WorkOrderState.ENGINEERED


@pytest.mark.parametrize("fmt", list(PayloadFormat))
def test_a_planner_cancels_a_released_order_and_the_mes_withdraws_it_over_http(
    shop: Flask,
    client: FlaskClient,
    settings: Settings,
    slow_mes: Simulator,
    fmt: PayloadFormat,
) -> None:
    placed = place(client, f"cancel-mes-{fmt.value}")
    carry_out_queued(shop)
    (work_order_id,) = release_current(shop, fmt)
    deliver_all(shop, slow_mes, settings)  # the MES holds it now
    with shop.extensions["c2m.sessions"]() as session:
        number = session.get_one(WorkOrder, work_order_id).number
    assert slow_mes.state.held(number)[0]["status"] != "cancelled"

    customer = client.post(f"/api/v1/track/{placed['tracking_token']}/cancel")
    assert customer.status_code == 409  # released: the customer has to ask a planner
    assert customer.get_json()["reason"] == "cancel_refused_released"
    answer = client.post(f"/api/v1/orders/{placed['order']}/cancel", headers=planner_token(shop))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "cancelled"
    deliver_all(shop, slow_mes, settings)

    (row,) = cancel_rows(shop)
    assert (row.status, row.sequence, row.format) == (OutboxStatus.DELIVERED, 2, fmt.value)
    revisions = requests.get(f"{slow_mes.url}/work-orders/{number}", timeout=5).json()
    assert [r["status"] for r in revisions["revisions"]] == ["cancelled", "cancelled"]
    assert slow_mes.executor.pending() == 0  # nothing of it will run
    with shop.extensions["c2m.sessions"]() as session:
        assert session.get_one(WorkOrder, work_order_id).state is WorkOrderState.CANCELLED


def test_a_report_about_a_cancelled_work_order_changes_nothing_however_often_it_comes(
    shop: Flask, client: FlaskClient
) -> None:
    placed = place(client, "cancel-late-report")
    carry_out_queued(shop)
    (work_order_id,) = release_current(shop)
    client.post(f"/api/v1/orders/{placed['order']}/cancel", headers=planner_token(shop))
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        number = session.get_one(WorkOrder, work_order_id).number
    started = Event("late-start-1", number, 1, EventKind.STARTED, datetime.now(UTC))
    outcomes = []
    for _ in range(2):
        with unit_of_work(sessions) as session:
            outcomes.append([r.outcome for r in mes_intake.take_in(session, [started])])
    assert outcomes == [["conflict"], ["duplicate"]]
    assert order_of(shop, placed["order"]).status is WorkOrderState.CANCELLED


def test_cancelling_after_production_started_is_a_409_and_the_pages_say_why(
    shop: Flask, client: FlaskClient
) -> None:
    placed = place(client, "cancel-too-late")
    carry_out_queued(shop)
    (work_order_id,) = release_current(shop)
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        number = session.get_one(WorkOrder, work_order_id).number
    with unit_of_work(sessions) as session:
        started = Event("started-1", number, 1, EventKind.STARTED, datetime.now(UTC))
        mes_intake.take_in(session, [started])
    answer = client.post(f"/api/v1/orders/{placed['order']}/cancel", headers=planner_token(shop))
    assert answer.status_code == 409
    assert answer.get_json()["reason"] == "cancel_refused_started"
    assert "has started" in answer.get_json()["detail"]
    page = client.get(f"/track/{placed['tracking_token']}?lang=en").get_data(as_text=True)
    assert 'id="cancel-button"' not in page
    assert "Production of this order has started" in page
    assert order_of(shop, placed["order"]).status is not WorkOrderState.CANCELLED
    assert cancel_rows(shop) == []


def test_cancelling_twice_gives_the_same_answer_and_one_effect(
    shop: Flask, client: FlaskClient
) -> None:
    placed = place(client, "cancel-twice-0001")
    carry_out_queued(shop)
    url = f"/api/v1/track/{placed['tracking_token']}/cancel"
    first, second = client.post(url), client.post(url)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.get_json() == second.get_json()
    with shop.extensions["c2m.sessions"]() as session:
        queued = session.scalar(
            select(func.count()).select_from(PlanRun).filter_by(status=PlanRunStatus.QUEUED)
        )
    assert queued == 1


def test_several_planners_cancelling_at_once_get_one_cancel_message_and_no_error(
    shop: Flask, client: FlaskClient, live_server: str
) -> None:
    placed = place(client, "cancel-race-0001")
    carry_out_queued(shop)
    release_current(shop)
    headers = planner_token(shop)
    url = f"{live_server}/api/v1/orders/{placed['order']}/cancel"
    barrier, answers = threading.Barrier(6), []

    def cancel() -> None:
        barrier.wait()
        answers.append(requests.post(url, headers=headers, timeout=30))

    threads = [threading.Thread(target=cancel) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200] * 6
    assert len({a.text for a in answers}) == 1
    assert len(cancel_rows(shop)) == 1


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_phone_user_cancels_from_the_tracking_page_in_either_language(
    shop: Flask, client: FlaskClient, live_server: str, browser: Any, lang: str
) -> None:
    placed = place(client, f"cancel-phone-{lang}")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/track/{placed['tracking_token']}?lang={lang}")
    words = {"en": ("Cancel order", "Yes, cancel the order"), "zh": ("取消订单", "确定取消订单")}
    button, confirm = words[lang]
    page.get_by_text(button, exact=True).click()
    assert page.locator("#confirm-cancel").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name=confirm).click()
    page.wait_for_selector("#order-cancelled")
    expected = {"en": "This order is cancelled.", "zh": "此订单已取消。"}[lang]
    assert page.locator("#order-cancelled").inner_text() == expected
    assert page.locator("#cancel-button").count() == 0
    assert order_of(shop, placed["order"]).status is WorkOrderState.CANCELLED
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
    assert errors == []


def test_a_planner_cancels_from_the_operation_card_of_the_order(
    shop: Flask, client: FlaskClient, planner: FlaskClient
) -> None:
    placed = place(client, "cancel-card-0001")
    carry_out_queued(shop)
    with shop.extensions["c2m.sessions"]() as session:
        op_id = session.scalars(
            select(PlannedOperation.id).filter_by(order_line_id=line_of(shop, placed["order"]))
        ).first()
    card = planner.get(f"/planning/operations/{op_id}?lang=zh").get_data(as_text=True)
    assert "取消订单" in card and 'id="planner-cancel"' in card
    answer = planner.post(
        f"/planning/orders/{placed['order']}/cancel", data={"csrf_token": csrf_of(card)}
    )
    assert answer.status_code == 303
    assert order_of(shop, placed["order"]).status is WorkOrderState.CANCELLED
    card = planner.get(f"/planning/operations/{op_id}?lang=en").get_data(as_text=True)
    assert "This order is cancelled." in card and 'id="planner-cancel"' not in card
