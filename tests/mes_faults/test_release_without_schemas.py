"""c2m runs wherever it is installed: B2MML validation finds its schema set through
C2M_B2MML_DIR. Without one, c2m says so in one line at start and in /healthz, still releases
(B2MML rendered unvalidated, JSON unaffected) and never answers 500."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree
from sqlalchemy import select

from c2m import bootstrap, orders, planning
from c2m.app import create_app
from c2m.db import unit_of_work
from c2m.models import OutboxMessage, OutboxStatus, PlanRun
from c2m.settings import Settings, load_settings
from mes_bridge import b2mml_schema
from mes_bridge.b2mml_schema import NS_V0701
from tests.conftest import require
from tests.flow.conftest import named_configuration
from tests.flow.test_order_to_mes import planner_client
from tests.mes_faults.conftest import SAMPLES

pytestmark = pytest.mark.usefixtures("no_background_worker")


@pytest.fixture()
def restore_schema_choice(settings: Settings) -> Iterator[None]:
    """The schema folder is per process: later tests get the session's again."""
    yield
    b2mml_schema.use_standards_dir(settings.b2mml_dir)


@pytest.fixture()
def empty_schema_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_schema_choice: None
) -> Path:
    """C2M_B2MML_DIR pointing at a folder without the XSDs, for c2m and the library alike."""
    monkeypatch.setenv("C2M_B2MML_DIR", str(tmp_path))
    return tmp_path


def app_with(settings: Settings, clean_database: str, **changes: object) -> Flask:
    app = create_app(settings.with_changes(**changes))
    bootstrap.load_catalogue(settings.with_changes(products_dir=SAMPLES))
    return app


def release_one_order(app: Flask) -> OutboxMessage:
    """A customer order, planned, released by a planner over the API; returns its outbox row."""
    sessions = app.extensions["c2m.sessions"]
    customer = orders.Customer("王芳", "wangfang@example.com", "+86 139 0000 0000", "佛山市 12 号")
    with unit_of_work(sessions) as session:
        orders.place_order(
            session,
            model="sofa",
            choices=named_configuration("sofa", "compact_grey"),
            customer=customer,
            idempotency_key="no-schemas-0001",
        )
        run_id = planning.request_plan(session, "insert").id
    planning.carry_out(sessions, SAMPLES, run_id)
    with sessions() as session:
        assert session.get_one(PlanRun, run_id).is_current
    released = planner_client(app).post(f"/api/v1/plan-runs/{run_id}/release")
    assert released.status_code == 200, released.get_data(as_text=True)
    assert len(released.get_json()["work_orders"]) == 1
    with sessions() as session:
        return session.scalars(select(OutboxMessage)).one()


def test_a_release_without_schemas_sends_unvalidated_b2mml_and_health_says_so(
    settings: Settings,
    clean_database: str,
    empty_schema_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    configured = load_settings(
        {
            "C2M_B2MML_DIR": str(empty_schema_dir),
            "C2M_SECRET_KEY": "x",
            "C2M_INSTANCE_DIR": str(settings.instance_dir),
            "C2M_MES_SECRET": settings.mes_secret,
        }
    )
    assert configured.b2mml_dir == empty_schema_dir
    with caplog.at_level(logging.WARNING, logger="c2m.release"):
        app = app_with(settings, clean_database, b2mml_dir=empty_schema_dir)
    lines = [r.getMessage() for r in caplog.records if "B2MML schemas not found" in r.getMessage()]
    assert len(lines) == 1 and str(empty_schema_dir) in lines[0]
    row = release_one_order(app)
    assert row.status is OutboxStatus.PENDING, row.last_error
    root = etree.fromstring(row.body.encode())
    assert root.tag == f"{{{NS_V0701}}}ProcessOperationsSchedule"
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "ok"
    assert health["b2mml"] == lines[0]


def test_without_the_setting_there_is_no_schema_set_even_beside_a_shared_folder(
    settings: Settings,
    clean_database: str,
    monkeypatch: pytest.MonkeyPatch,
    restore_schema_choice: None,
) -> None:
    monkeypatch.delenv("C2M_B2MML_DIR", raising=False)
    bare = load_settings(
        {
            "C2M_INSTANCE_DIR": str(settings.instance_dir),
            "C2M_SECRET_KEY": "x",
            "C2M_MES_SECRET": settings.mes_secret,
        }
    )
    assert bare.b2mml_dir is None
    app = app_with(settings, clean_database, b2mml_dir=None)
    health = app.test_client().get("/healthz").get_json()
    assert "C2M_B2MML_DIR is not set" in health["b2mml"]
    row = release_one_order(app)
    assert row.status is OutboxStatus.PENDING and row.body.startswith("<?xml")


def test_a_json_release_is_unaffected_by_missing_schemas(
    settings: Settings, clean_database: str, empty_schema_dir: Path
) -> None:
    app = app_with(settings, clean_database, b2mml_dir=empty_schema_dir, mes_format="json")
    row = release_one_order(app)
    assert row.status is OutboxStatus.PENDING
    assert json.loads(row.body)["work_order"]["quantity"] == 1


def test_with_the_schema_set_installed_health_says_ok(settings: Settings, app: Flask) -> None:
    require(settings.b2mml_dir is not None, "no B2MML schema set (C2M_B2MML_DIR or ../shared)")
    assert app.test_client().get("/healthz").get_json()["b2mml"] == "ok"
