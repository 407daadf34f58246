"""Planner and admin pages through the test client: roles, the Gantt, runs, release, admin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from c2m import planning
from c2m.db import unit_of_work
from c2m.models import (
    ApiClient,
    OutboxMessage,
    OutboxStatus,
    PlannedOperation,
    PlanRun,
    ProductModelRecord,
    User,
)
from tests.flow.conftest import samples_dir
from tests.web.conftest import PASSWORD, add_user, finished, named_configuration, token


def planned_order(shop: Flask, customer: dict[str, str]) -> str:
    response = shop.test_client().post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": customer,
        },
        headers={"Idempotency-Key": "planning-page-01"},
    )
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        run_id = session.scalars(select(PlanRun.id)).one()
    planning.carry_out(sessions, samples_dir(), run_id)
    finished(sessions, run_id)
    return str(response.get_json()["order"])


def test_consumers_cannot_reach_planner_or_admin_pages(shop: Flask) -> None:
    client = shop.test_client()
    for path in ("/planning", "/admin", "/planning/gantt.pdf", "/planning/runs/1/status"):
        assert client.get(path).status_code == 401, path


def test_planners_cannot_reach_admin_pages(planner: FlaskClient) -> None:
    assert planner.get("/admin").status_code == 403
    assert planner.post("/admin/users", data={"csrf_token": token(planner)}).status_code == 403


def test_admins_may_plan_too(admin: FlaskClient) -> None:
    assert admin.get("/planning").status_code == 200


def test_a_wrong_password_shows_the_form_again(shop: Flask) -> None:
    add_user(shop, "mei", "planner")
    client = shop.test_client()
    response = client.post(
        "/login",
        data={"username": "mei", "password": "wrong password!", "csrf_token": token(client)},
    )
    assert response.status_code == 401 and "Wrong user name or password" in response.get_data(
        as_text=True
    )
    assert client.get("/planning").status_code == 401


def test_logging_out_ends_the_session(planner: FlaskClient) -> None:
    assert planner.post("/logout", data={"csrf_token": token(planner)}).status_code == 303
    assert planner.get("/planning").status_code == 401


def test_the_gantt_shows_the_planned_order_and_its_operations(
    shop: Flask, customer, planner: FlaskClient
) -> None:  # type: ignore[no-untyped-def]
    number = planned_order(shop, customer)
    with shop.extensions["c2m.sessions"]() as session:
        op = session.scalars(select(PlannedOperation).order_by(PlannedOperation.start)).first()
        assert op is not None
    html = planner.get(f"/planning?zoom=week&day={op.start:%Y-%m-%d}").get_data(as_text=True)
    assert f'data-order="{number}"' in html and 'class="frozen"' in html
    assert 'class="setup"' in html
    assert f'hx-get="/planning/operations/{op.id}"' in html
    detail = planner.get(f"/planning/operations/{op.id}").get_data(as_text=True)
    assert number in detail and op.machine in detail and "tech_fabric" in detail


def test_an_unknown_zoom_or_day_is_refused_clearly(planner: FlaskClient) -> None:
    assert planner.get("/planning?zoom=year").status_code == 422
    assert planner.get("/planning?day=tomorrow").status_code == 422


def test_replan_queues_a_run_and_shows_polled_progress(shop: Flask, planner: FlaskClient) -> None:
    response = planner.post(
        "/planning/runs",
        data={"kind": "replan", "csrf_token": token(planner)},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "replan" in html and 'class="run-status"' in html
    with shop.extensions["c2m.sessions"]() as session:
        run = session.scalars(select(PlanRun)).one()
    assert run.kind == "replan"
    planning.carry_out(shop.extensions["c2m.sessions"], samples_dir(), run.id)
    finished(shop.extensions["c2m.sessions"], run.id)
    done = planner.get(f"/planning/runs/{run.id}/status").get_data(as_text=True)
    assert "every 1s" not in done and "show-new-plan" in done


def test_an_unknown_run_kind_is_refused(planner: FlaskClient) -> None:
    response = planner.post("/planning/runs", data={"kind": "magic", "csrf_token": token(planner)})
    assert response.status_code == 422


@pytest.mark.usefixtures("no_background_worker")  # it would deliver the row marked dead
def test_release_then_replay_a_dead_letter(shop: Flask, customer, planner: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    number = planned_order(shop, customer)
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        run_id = session.scalars(select(PlanRun.id)).one()
    released = planner.post(f"/planning/runs/{run_id}/release", data={"csrf_token": token(planner)})
    assert released.status_code == 303
    page = planner.get(released.headers["Location"]).get_data(as_text=True)
    assert f"WO-{number}" in page and "released" in page
    with sessions.begin() as session:
        message = session.scalars(select(OutboxMessage)).one()
        message.status, message.last_error = OutboxStatus.DEAD, "MES unreachable"
        message_id = message.id
    page = planner.get("/planning").get_data(as_text=True)
    assert message_id in page and "MES unreachable" in page
    replay = planner.post(
        f"/planning/dead-letters/{message_id}/replay", data={"csrf_token": token(planner)}
    )
    assert replay.status_code == 303
    with sessions() as session:
        assert session.get_one(OutboxMessage, message_id).status is not OutboxStatus.DEAD
    again = planner.post(
        f"/planning/dead-letters/{message_id}/replay", data={"csrf_token": token(planner)}
    )
    assert again.status_code == 409


def _upload(admin: FlaskClient, files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": token(admin),
        "files": [(io.BytesIO(body), f"sofa/{name}") for name, body in files.items()],
    }
    return admin.post("/admin/products", data=data, content_type="multipart/form-data")


def _sofa_files() -> dict[str, bytes]:
    folder = samples_dir() / "sofa"
    return {path.name: path.read_bytes() for path in Path(folder).glob("*.yaml")}


def test_an_invalid_model_upload_names_file_and_line_and_stores_nothing(
    shop: Flask, admin: FlaskClient
) -> None:
    files = _sofa_files()
    files["model.yaml"] = (
        files["model.yaml"]
        .replace(b'version: "2026.1"', b'version: "2026.7"')
        .replace(b"type: integer", b"type: intger", 1)
    )
    response = _upload(admin, files)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "model.yaml:" in html and "intger" in html
    with shop.extensions["c2m.sessions"]() as session:
        versions = {r.version for r in session.scalars(select(ProductModelRecord))}
    assert versions == {"2026.1"}


def test_a_valid_model_upload_adds_a_version(shop: Flask, admin: FlaskClient) -> None:
    files = _sofa_files()
    files["model.yaml"] = files["model.yaml"].replace(b'version: "2026.1"', b'version: "2026.8"')
    response = _upload(admin, files)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "sofa 2026.8 loaded" in response.get_data(as_text=True)
    assert "2026.8" in shop.test_client().get("/configure/sofa").get_data(as_text=True)


def test_an_upload_with_a_stray_file_is_refused(admin: FlaskClient) -> None:
    response = _upload(admin, {"model.yaml": b"model: x", "evil.sh": b"rm -rf /"})
    assert response.status_code == 422 and "evil.sh" in response.get_data(as_text=True)


def test_admin_issues_a_token_once_and_revokes_it(shop: Flask, admin: FlaskClient) -> None:
    response = admin.post(
        "/admin/clients",
        data={"name": "line-mes", "scopes": ["pull", "events"], "csrf_token": token(admin)},
    )
    assert response.status_code == 201 and 'id="new-token">c2m_' in response.get_data(as_text=True)
    assert "c2m_" not in admin.get("/admin").get_data(as_text=True)
    duplicate = admin.post(
        "/admin/clients", data={"name": "line-mes", "scopes": ["pull"], "csrf_token": token(admin)}
    )
    assert duplicate.status_code == 409
    admin.post("/admin/clients/line-mes/revoke", data={"csrf_token": token(admin)})
    with shop.extensions["c2m.sessions"]() as session:
        assert (
            session.scalars(select(ApiClient).filter_by(name="line-mes")).one().revoked_at
            is not None
        )


def test_admin_creates_a_planner_who_can_then_log_in(shop: Flask, admin: FlaskClient) -> None:
    response = admin.post(
        "/admin/users",
        data={
            "username": "lin",
            "password": PASSWORD,
            "role": "planner",
            "csrf_token": token(admin),
        },
    )
    assert response.status_code == 303
    short = admin.post(
        "/admin/users",
        data={"username": "x", "password": "short", "role": "planner", "csrf_token": token(admin)},
    )
    assert short.status_code == 422 and "8 characters" in short.get_data(as_text=True)
    with shop.extensions["c2m.sessions"]() as session:
        assert {u.username for u in session.scalars(select(User))} == {"root", "lin"}


def test_admin_sees_the_machines_and_their_calendars(admin: FlaskClient) -> None:
    html = admin.get("/admin").get_data(as_text=True)
    assert 'id="machines"' in html and "SEW-01" in html


def test_the_planning_page_speaks_chinese(planner: FlaskClient) -> None:
    html = planner.get("/planning?lang=zh").get_data(as_text=True)
    assert "重新排程" in html and "插入新订单" in html and "计划排程" in html


def test_a_queued_run_shows_a_progress_bar_that_polls(shop: Flask, planner: FlaskClient) -> None:
    with unit_of_work(shop.extensions["c2m.sessions"]) as session:
        run_id = planning.request_plan(session, "replan").id
    html = planner.get(f"/planning/runs/{run_id}/status").get_data(as_text=True)
    assert "<progress" in html and 'hx-trigger="every 1s"' in html
    assert planner.get("/planning/runs/999999/status").status_code == 404
