"""Status callbacks: signed, fresh, once. Duplicates and reordering never move a state back."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from c2m.models import MesEvent, Order, WorkOrder
from c2m.settings import Settings
from mes_bridge import signing
from mes_bridge.lifecycle import WorkOrderState

pytestmark = pytest.mark.usefixtures("no_background_worker")


@pytest.fixture()
def work_order(release_orders, app: Flask) -> str:  # type: ignore[no-untyped-def]
    release_orders(1)
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(WorkOrder.number)).one()


def event(number: str, sequence: int, kind: str, good: int = 0) -> tuple[str, bytes]:
    event_id = f"evt-{number}-{sequence}-{kind}"
    body = {
        "id": event_id,
        "work_order_id": number,
        "sequence": sequence,
        "kind": kind,
        "occurred_at": datetime.now(UTC).isoformat(),
        "good": str(good),
        "scrap": "0",
    }
    return event_id, json.dumps(body).encode()


def post(
    app: Flask,
    settings: Settings,
    event_id: str,
    body: bytes,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
):  # type: ignore[no-untyped-def]
    headers = signing.sign_headers(secret or settings.mes_secret, event_id, body, timestamp)
    return app.test_client().post(
        "/api/mes/v1/events",
        data=body,
        headers={**headers, **EVENTS_TOKEN, "Content-Type": "application/json"},
    )


EVENTS_TOKEN = {"Authorization": "Bearer c2m_test-simulator-events-token"}


def state_of(app: Flask) -> WorkOrderState:
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(WorkOrder.state)).one()


def test_events_walk_the_work_order_and_its_order_to_completed(app, settings, work_order) -> None:  # type: ignore[no-untyped-def]
    for sequence, kind in enumerate(("accepted", "started", "progress", "completed"), 1):
        assert post(app, settings, *event(work_order, sequence, kind, good=1)).status_code == 200
    assert state_of(app) is WorkOrderState.COMPLETED
    with app.extensions["c2m.sessions"]() as session:
        assert session.scalars(select(Order.status)).one() is WorkOrderState.COMPLETED


def test_a_duplicated_callback_is_stored_once(app, settings, work_order) -> None:  # type: ignore[no-untyped-def]
    first = post(app, settings, *event(work_order, 1, "accepted"))
    again = post(app, settings, *event(work_order, 1, "accepted"))
    assert first.get_json()["events"][0]["outcome"] == "applied"
    assert again.get_json()["events"][0]["outcome"] == "duplicate"
    with app.extensions["c2m.sessions"]() as session:
        assert len(session.scalars(select(MesEvent)).all()) == 1


def test_a_late_older_event_never_moves_the_state_back(app, settings, work_order) -> None:  # type: ignore[no-untyped-def]
    post(app, settings, *event(work_order, 3, "started"))
    stale = post(app, settings, *event(work_order, 2, "accepted"))
    assert stale.get_json()["events"][0]["outcome"] == "stale"
    assert state_of(app) is WorkOrderState.RUNNING


def test_a_tampered_callback_is_refused_and_logged(app, settings, work_order, caplog) -> None:  # type: ignore[no-untyped-def]
    event_id, body = event(work_order, 1, "completed")
    headers = signing.sign_headers(settings.mes_secret, event_id, body)
    tampered = body.replace(b'"good": "0"', b'"good": "9"')
    with caplog.at_level(logging.WARNING):
        response = app.test_client().post(
            "/api/mes/v1/events",
            data=tampered,
            headers={**headers, **EVENTS_TOKEN, "Content-Type": "application/json"},
        )
    assert response.status_code == 401
    assert state_of(app) is WorkOrderState.RELEASED
    assert any("refused" in record.message for record in caplog.records)


def test_a_stale_or_foreign_callback_is_refused(app, settings, work_order) -> None:  # type: ignore[no-untyped-def]
    old = post(app, settings, *event(work_order, 1, "completed"), timestamp=int(time.time()) - 600)
    foreign = post(app, settings, *event(work_order, 2, "completed"), secret=signing.new_secret())
    assert (old.status_code, foreign.status_code) == (401, 401)
    assert state_of(app) is WorkOrderState.RELEASED


def test_a_replayed_callback_has_no_second_effect(app, settings, work_order) -> None:  # type: ignore[no-untyped-def]
    event_id, body = event(work_order, 1, "started")
    headers = signing.sign_headers(settings.mes_secret, event_id, body)
    client = app.test_client()
    for _ in range(3):
        client.post(
            "/api/mes/v1/events",
            data=body,
            headers={**headers, **EVENTS_TOKEN, "Content-Type": "application/json"},
        )
    with app.extensions["c2m.sessions"]() as session:
        assert len(session.scalars(select(MesEvent)).all()) == 1


def test_an_mes_client_cannot_use_planner_pages_and_planners_cannot_pull(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.get("/api/mes/v1/work-orders").status_code == 401
    assert client.post("/api/v1/plan-runs", json={"kind": "insert"}).status_code == 401
    assert (
        client.get(
            "/api/mes/v1/work-orders", headers={"Authorization": "Bearer c2m_not-a-token"}
        ).status_code
        == 401
    )


def test_shop_floor_times_are_kept_as_actuals_and_a_late_start_asks_for_a_replan(
    app,
    settings,
    work_order,  # type: ignore[no-untyped-def]
) -> None:
    from datetime import timedelta

    from c2m.models import OperationActual, PlannedOperation, PlanRun

    with app.extensions["c2m.sessions"]() as session:
        first = session.scalars(select(PlannedOperation).order_by(PlannedOperation.start)).first()
        op_id, planned_start = first.operation_id, first.start
    late_start = planned_start + timedelta(hours=2)
    event_id = f"evt-{work_order}-late"
    body = json.dumps(
        {
            "id": event_id,
            "work_order_id": work_order,
            "sequence": 1,
            "kind": "started",
            "occurred_at": late_start.isoformat(),
            "operations": [
                {
                    "operation_id": op_id,
                    "state": "started",
                    "machine_id": first.machine,
                    "actual_start": late_start.isoformat(),
                }
            ],
        }
    ).encode()
    assert post(app, settings, event_id, body).status_code == 200
    with app.extensions["c2m.sessions"]() as session:
        actual = session.scalars(select(OperationActual).filter_by(operation_id=op_id)).one()
        assert (actual.started_at, actual.machine) == (late_start, first.machine)
        row = session.scalars(select(PlannedOperation).filter_by(operation_id=op_id)).first()
        assert row.start == planned_start, "a stored plan version is never edited"
        kinds = [(run.kind, run.status.value) for run in session.scalars(select(PlanRun))]
    assert ("replan", "queued") in kinds


def test_events_need_a_token_with_the_events_scope(app, settings, work_order) -> None:  # type: ignore[no-untyped-def]
    from c2m import auth
    from c2m.db import unit_of_work

    event_id, body = event(work_order, 1, "started")
    headers = {
        **signing.sign_headers(settings.mes_secret, event_id, body),
        "Content-Type": "application/json",
    }
    client = app.test_client()
    assert client.post("/api/mes/v1/events", data=body, headers=headers).status_code == 401
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        pull_only = auth.issue_client_token(session, "puller", ("pull",))
    refused = client.post(
        "/api/mes/v1/events", data=body, headers={**headers, "Authorization": f"Bearer {pull_only}"}
    )
    assert refused.status_code == 403
    assert state_of(app) is WorkOrderState.RELEASED
