"""A consumer places an order; a worker inserts it into the live schedule."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from c2m import plan_versions, planning
from c2m.models import Order, PlanRun, PlanRunStatus
from mes_bridge.lifecycle import WorkOrderState
from tests.conftest import api_log_in
from tests.flow.conftest import named_configuration, samples_dir

# Plans are carried out in-process here; the session's worker would race for them.
pytestmark = pytest.mark.usefixtures("no_background_worker")


def place(client, customer, key: str, name: str = "compact_grey"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", name),
            "customer": customer,
        },
        headers={"Idempotency-Key": key},
    )


def run_queued_plans(app: Flask) -> list[PlanRun]:
    sessions = app.extensions["c2m.sessions"]
    with sessions() as session:
        queued = session.scalars(select(PlanRun.id).filter_by(status=PlanRunStatus.QUEUED)).all()
    for run_id in queued:
        planning.carry_out(sessions, samples_dir(), run_id)
    with sessions() as session:
        return list(session.scalars(select(PlanRun).order_by(PlanRun.id)))


def test_placing_an_order_engineers_it_and_queues_its_insertion(shop: Flask, customer) -> None:  # type: ignore[no-untyped-def]
    response = place(shop.test_client(), customer, "order-key-0001")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["order"].startswith("C2M-")
    with shop.extensions["c2m.sessions"]() as session:
        order = session.scalars(select(Order)).one()
        assert order.status is WorkOrderState.ENGINEERED
        line = order.lines[0]
        assert line.model == "sofa" and line.bom["parts"] and line.routing["planner_operations"]
        assert order.total_price == line.price["total"]


def test_a_double_submit_places_one_order(shop: Flask, customer) -> None:  # type: ignore[no-untyped-def]
    client = shop.test_client()
    first, second = (
        place(client, customer, "double-click-1"),
        place(client, customer, "double-click-1"),
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["order"] == second.get_json()["order"]
    with shop.extensions["c2m.sessions"]() as session:
        assert len(session.scalars(select(Order)).all()) == 1


def test_an_incomplete_configuration_is_refused_naming_the_feature(shop: Flask, customer) -> None:  # type: ignore[no-untyped-def]
    choices = named_configuration("sofa", "compact_grey")
    del choices["colour"]
    response = shop.test_client().post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": choices,
            "customer": customer,
            "idempotency_key": "partial-001",
        },
    )
    assert response.status_code == 422
    assert "colour" in response.get_json()["detail"]


def test_bad_customer_details_are_all_named(shop: Flask) -> None:
    response = shop.test_client().post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": {"name": "", "email": "nope", "phone": "x", "address": "?"},
            "idempotency_key": "bad-customer-1",
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"name", "email", "phone", "address"}


def test_the_worker_inserts_new_orders_into_a_checked_schedule(shop: Flask, customer) -> None:  # type: ignore[no-untyped-def]
    client = shop.test_client()
    place(client, customer, "first-order-1")
    runs = run_queued_plans(shop)
    assert [r.status for r in runs] == [PlanRunStatus.SUCCEEDED] and runs[0].is_current
    place(client, customer, "second-order-2", "family_corner_leather")
    runs = run_queued_plans(shop)
    assert runs[-1].is_current and runs[-1].based_on_id == runs[0].id
    assert not runs[0].is_current
    with shop.extensions["c2m.sessions"]() as session:
        statuses = {o.status for o in session.scalars(select(Order))}
    assert statuses == {WorkOrderState.PLANNED}


def test_a_machine_breakdown_moves_work_out_of_its_window(shop: Flask, customer) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from c2m import auth
    from c2m.db import unit_of_work
    from c2m.models import PlannedOperation, utc_now

    client = shop.test_client()
    place(client, customer, "breakdown-order-1")
    place(client, customer, "breakdown-order-2", "family_corner_leather")
    run_queued_plans(shop)
    sessions = shop.extensions["c2m.sessions"]
    start, end = utc_now(), utc_now() + timedelta(days=3)
    with sessions() as session:
        earliest = session.scalars(
            select(PlannedOperation).order_by(PlannedOperation.start)
        ).first()
        machine = earliest.machine
    assert earliest.start < end, "the window must hit planned work, or the test proves nothing"
    with unit_of_work(sessions) as session:
        auth.create_user(session, "lin", "correct horse", "planner")
    api_log_in(client, "lin", "correct horse")
    refused = client.post(
        "/api/v1/plan-runs",
        json={
            "kind": "breakdown",
            "machine": machine,
            "from": end.isoformat(),
            "until": start.isoformat(),
        },
    )
    assert refused.status_code == 422 and refused.get_json()["where"] == "until"
    asked = client.post(
        "/api/v1/plan-runs",
        json={
            "kind": "breakdown",
            "machine": machine,
            "from": start.isoformat(),
            "until": end.isoformat(),
        },
    )
    assert asked.status_code == 202
    runs = run_queued_plans(shop)
    assert runs[-1].kind == "breakdown" and runs[-1].is_current, runs[-1].message
    with sessions() as session:
        on_machine = session.scalars(
            select(PlannedOperation).where(
                plan_versions.rows_of(runs[-1]), PlannedOperation.machine == machine
            )
        ).all()
    assert all(row.end <= start or row.start >= end for row in on_machine)


def test_a_plan_run_that_crashes_fails_and_leaves_the_schedule_in_force(
    shop: Flask,
    customer,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    client = shop.test_client()
    place(client, customer, "crash-order-1")
    [first] = run_queued_plans(shop)
    place(client, customer, "crash-order-2")

    def time_limit_hit(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise TimeoutError("soft time limit exceeded")

    monkeypatch.setattr(planning.planner_api, "insert_orders", time_limit_hit)
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        queued = session.scalars(select(PlanRun.id).filter_by(status=PlanRunStatus.QUEUED)).one()
    with pytest.raises(TimeoutError):  # the worker sees the crash; the run is marked first
        planning.carry_out(sessions, samples_dir(), queued)
    with sessions() as session:
        crashed = session.get_one(PlanRun, queued)
        assert crashed.status is PlanRunStatus.FAILED and "TimeoutError" in crashed.message
        assert session.get_one(PlanRun, first.id).is_current
