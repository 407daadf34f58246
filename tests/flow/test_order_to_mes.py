"""The whole flow with real processes: order → plan → release → a real worker pushes the
work order over HTTP to the MES simulator → signed events come back → the order completes."""

from __future__ import annotations

import time

import requests
from flask import Flask
from sqlalchemy import select

from c2m import auth, planning
from c2m.db import unit_of_work
from c2m.models import Order, OutboxMessage, OutboxStatus, PlanRun, Unit, WorkOrder
from mes_bridge.lifecycle import WorkOrderState
from tests.conftest import api_log_in
from tests.flow.conftest import named_configuration, samples_dir


def planner_client(app: Flask):  # type: ignore[no-untyped-def]
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        auth.create_user(session, "mei", "correct horse", "planner")
    client = app.test_client()
    assert api_log_in(client, "mei", "correct horse").status_code == 200
    return client


def wait_until(check, timeout: float = 180.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll `check` until it returns something truthy; generous, since CI machines are busy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what} not reached in {timeout:.0f} s")


def test_a_released_order_reaches_the_mes_once_and_comes_back_completed(
    shop: Flask,
    customer,
    celery_worker_process,
    mes_simulator: str,  # type: ignore[no-untyped-def]
) -> None:
    sessions = shop.extensions["c2m.sessions"]
    client = shop.test_client()
    # The session's simulator saw earlier tests, whose work-order numbers may repeat ours.
    before = requests.get(mes_simulator + "/_sim/state", timeout=5).json()["effects"]
    client.post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": customer,
        },
        headers={"Idempotency-Key": "e2e-order-0001"},
    )
    with sessions() as session:
        run_id = session.scalars(select(PlanRun.id)).one()
    planning.carry_out(sessions, samples_dir(), run_id)  # the worker would do the same
    planner = planner_client(shop)
    released = planner.post(f"/api/v1/plan-runs/{run_id}/release")
    assert released.status_code == 200, released.get_json()

    def delivered_and_completed() -> bool:
        with sessions() as session:
            work_order = session.scalars(select(WorkOrder)).one()
            return work_order.state is WorkOrderState.COMPLETED

    wait_until(delivered_and_completed)
    with sessions() as session:
        work_order = session.scalars(select(WorkOrder)).one()
        assert session.scalars(select(Order)).one().status is WorkOrderState.COMPLETED
        assert session.scalars(select(OutboxMessage)).one().status is OutboxStatus.DELIVERED
        assert len(session.scalars(select(Unit)).all()) == 1
        number = work_order.number
    state = requests.get(mes_simulator + "/_sim/state", timeout=5).json()
    assert state["effects"][number] - before.get(number, 0) == 1, state
