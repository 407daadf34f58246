"""PostgreSQL crashes during release and during event intake: nothing half-written, and the
same request succeeds once the database is back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from c2m import auth, bootstrap, migrate, orders, planning, release
from c2m.app import create_app
from c2m.db import unit_of_work
from c2m.models import MesEvent, Order, OutboxMessage, PlanRun, WorkOrder
from c2m.settings import REPO_ROOT, Settings
from mes_bridge import signing
from mes_bridge.lifecycle import WorkOrderState
from mes_bridge.model import PayloadFormat
from tests.flow.conftest import named_configuration
from tests.mes_faults.test_callbacks import EVENTS_TOKEN

SAMPLES = REPO_ROOT / "sample_products"


@pytest.fixture()
def planned_app(private_postgres, settings: Settings):  # type: ignore[no-untyped-def]
    here = settings.with_changes(
        database_url=private_postgres.url.replace("postgresql://", "postgresql+psycopg://"),
        products_dir=SAMPLES,
    )
    migrate.upgrade(here.database_url)
    bootstrap.load_catalogue(here)
    app = create_app(here)
    sessions = app.extensions["c2m.sessions"]
    with unit_of_work(sessions) as session:
        auth.install_client_token(
            session, "mes-simulator", ("events",), EVENTS_TOKEN["Authorization"].split()[1]
        )
        orders.place_order(
            session,
            model="sofa",
            choices=named_configuration("sofa", "compact_grey"),
            customer=orders.Customer(
                "张伟", "zw@example.com", "+86 135 0000 0000", "广东省佛山市顺德区北滘镇 1 号"
            ),
            idempotency_key="pg-restart-0001",
        )
        run_id = planning.request_plan(session, "insert").id
    planning.carry_out(sessions, SAMPLES, run_id)
    return app, run_id


def counts(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.extensions["c2m.sessions"]() as session:
        return (
            len(session.scalars(select(WorkOrder)).all()),
            len(session.scalars(select(OutboxMessage)).all()),
        )


@pytest.mark.postgres
def test_a_release_cut_by_a_database_crash_leaves_nothing_and_succeeds_after(
    planned_app,
    private_postgres,  # type: ignore[no-untyped-def]
) -> None:
    app, run_id = planned_app
    sessions = app.extensions["c2m.sessions"]
    with pytest.raises(OperationalError), unit_of_work(sessions) as session:
        session.get_one(PlanRun, run_id)
        release.release(session, run_id, PayloadFormat.JSON)  # rows flushed, not committed
        private_postgres.stop()
    private_postgres.start()
    app.extensions["c2m.engine"].dispose()  # connections of the crashed server are dead
    assert counts(app) == (0, 0)
    with app.extensions["c2m.sessions"]() as session:
        assert session.scalars(select(Order.status)).one() is WorkOrderState.PLANNED
    with unit_of_work(sessions) as session:
        release.release(session, run_id, PayloadFormat.JSON)
    assert counts(app) == (1, 1)


@pytest.mark.postgres
def test_an_event_during_a_database_outage_gets_503_and_applies_once_when_retried(
    planned_app,
    private_postgres,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    app, run_id = planned_app
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        release.release(session, run_id, PayloadFormat.JSON)
    with app.extensions["c2m.sessions"]() as session:
        number = session.scalars(select(WorkOrder.number)).one()
    body = json.dumps(
        {
            "id": "evt-outage-1",
            "work_order_id": number,
            "sequence": 1,
            "kind": "started",
            "occurred_at": datetime.now(UTC).isoformat(),
        }
    ).encode()
    client = app.test_client()

    def send():  # type: ignore[no-untyped-def]
        headers = signing.sign_headers(settings.mes_secret, "evt-outage-1", body)
        return client.post(
            "/api/mes/v1/events",
            data=body,
            headers={**headers, **EVENTS_TOKEN, "Content-Type": "application/json"},
        )

    private_postgres.stop()
    refused = send()
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    private_postgres.start()
    assert send().status_code == 200 and send().status_code == 200
    with app.extensions["c2m.sessions"]() as session:
        assert len(session.scalars(select(MesEvent)).all()) == 1
        assert session.scalars(select(WorkOrder.state)).one() is WorkOrderState.RUNNING
