"""Admins record planned machine downtime; the re-plan that follows keeps the machine free."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from c2m import plan_versions
from c2m.models import MachineDowntime, PlannedOperation, utc_now
from tests.flow.test_place_and_plan import place, run_queued_plans
from tests.web.conftest import token

pytestmark = pytest.mark.usefixtures("no_background_worker")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def test_downtime_moves_planned_work_out_of_the_window(
    shop: Flask,
    admin: FlaskClient,
    customer,  # type: ignore[no-untyped-def]
) -> None:
    place(shop.test_client(), customer, "downtime-order-1")
    run_queued_plans(shop)
    start, end = utc_now().replace(second=0, microsecond=0), utc_now() + timedelta(days=3)
    with shop.extensions["c2m.sessions"]() as session:
        earliest = session.scalars(
            select(PlannedOperation).order_by(PlannedOperation.start)
        ).first()
    assert earliest.start < end, "the window must hit planned work, or the test proves nothing"
    response = admin.post(
        "/admin/downtime",
        data={
            "csrf_token": token(admin),
            "machine": earliest.machine,
            "from": local(start),
            "until": local(end),
            "reason": "spindle bearing",
        },
    )
    assert response.status_code == 303
    assert earliest.machine in admin.get("/admin").get_data(as_text=True)
    runs = run_queued_plans(shop)
    assert runs[-1].kind == "replan" and runs[-1].is_current, runs[-1].message
    with shop.extensions["c2m.sessions"]() as session:
        on_machine = session.scalars(
            select(PlannedOperation).where(
                plan_versions.rows_of(runs[-1]), PlannedOperation.machine == earliest.machine
            )
        ).all()
        window = session.scalars(select(MachineDowntime)).one()
    assert all(row.end <= window.start or row.start >= window.end for row in on_machine)


def test_a_bad_downtime_is_refused_with_the_reason_and_nothing_stored(
    shop: Flask, admin: FlaskClient
) -> None:
    now = utc_now()
    backwards = admin.post(
        "/admin/downtime",
        data={
            "csrf_token": token(admin),
            "machine": "SAW-01",
            "from": local(now + timedelta(hours=5)),
            "until": local(now),
        },
    )
    unknown = admin.post(
        "/admin/downtime",
        data={
            "csrf_token": token(admin),
            "machine": "NOPE-9",
            "from": local(now),
            "until": local(now + timedelta(hours=5)),
        },
    )
    assert backwards.status_code == 422 and "end after it starts" in backwards.get_data(
        as_text=True
    )
    assert unknown.status_code == 422 and "NOPE-9" in unknown.get_data(as_text=True)
    with shop.extensions["c2m.sessions"]() as session:
        assert session.scalars(select(MachineDowntime)).all() == []


def test_planners_cannot_record_downtime(planner: FlaskClient) -> None:
    assert planner.post("/admin/downtime", data={"csrf_token": token(planner)}).status_code == 403


def test_the_planner_board_speaks_chinese_too(
    shop: Flask, planner: FlaskClient, customer  # type: ignore[no-untyped-def]
) -> None:
    place(shop.test_client(), customer, "zh-board-order-1")
    run_queued_plans(shop)
    page = planner.get("/planning?lang=zh").get_data(as_text=True)
    assert "准时率" in page and "关键指标" in page and "on-time rate" not in page
