"""Orders placed close together, by many clients at once, over HTTP (issue 11, points 2, 10).

A real web server in threads and a real worker plan them: exactly one current schedule at
every moment, each version built on the one before, every order planned; one idempotency key
sent by twenty clients at once places one order and answers every client with it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from c2m.db import unit_of_work
from c2m.models import Order, PlanRun, PlanRunStatus, utc_now
from mes_bridge.lifecycle import WorkOrderState
from tests.operation.conftest import order_body


def current_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.extensions["c2m.sessions"]() as session:
        query = select(func.count()).select_from(PlanRun).where(PlanRun.is_current.is_(True))
        return int(session.scalar(query) or 0)


def orders_by_status(app) -> dict[WorkOrderState, int]:  # type: ignore[no-untyped-def]
    with app.extensions["c2m.sessions"]() as session:
        rows = session.execute(select(Order.status, func.count()).group_by(Order.status))
        return {status: count for status, count in rows}


def post_order(base: str, key: str) -> requests.Response:
    return requests.post(
        base + "/api/v1/orders", json=order_body(), headers={"Idempotency-Key": key}, timeout=120
    )


def test_ten_orders_in_a_burst_give_one_line_of_schedule_versions(
    plant, live_server, celery_worker_process  # type: ignore[no-untyped-def]
) -> None:
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda n: post_order(live_server, f"burst-{n:04d}"), range(10)))
    assert [a.status_code for a in answers] == [201] * 10
    samples = []
    deadline = time.monotonic() + 240
    while orders_by_status(plant).get(WorkOrderState.PLANNED, 0) < 10:
        assert time.monotonic() < deadline, orders_by_status(plant)
        samples.append(current_count(plant))
        time.sleep(0.2)
    assert set(samples) <= {0, 1} and current_count(plant) == 1
    with plant.extensions["c2m.sessions"]() as session:
        runs = session.scalars(select(PlanRun).order_by(PlanRun.id)).all()
    # Versions in the order they were stored (a later-queued run may compute first).
    versions = sorted((run for run in runs if run.status is PlanRunStatus.SUCCEEDED and run.kpis),
                      key=lambda run: run.finished_at or utc_now())
    assert [run.based_on_id for run in versions] == [None] + [run.id for run in versions[:-1]]
    assert not [run.message for run in runs if run.status is PlanRunStatus.FAILED]


def test_one_idempotency_key_from_twenty_clients_places_one_order(
    plant, live_server  # type: ignore[no-untyped-def]
) -> None:
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: post_order(live_server, "raced-key-0001"), range(20)))
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201]
    assert len({a.json()["order"] for a in answers}) == 1
    assert len({a.json()["tracking_url"] for a in answers}) == 1
    assert sum(orders_by_status(plant).values()) == 1


def test_the_database_refuses_a_second_current_schedule(app) -> None:  # type: ignore[no-untyped-def]
    sessions = app.extensions["c2m.sessions"]
    with unit_of_work(sessions) as session:
        for _ in range(2):
            now = utc_now()
            session.add(PlanRun(kind="insert", status=PlanRunStatus.SUCCEEDED, origin=now,
                                frozen_until=now))
    with pytest.raises(IntegrityError), unit_of_work(sessions) as session:
        session.execute(update(PlanRun).values(is_current=True))


def test_the_database_refuses_two_plan_runs_computing_at_once(app) -> None:  # type: ignore[no-untyped-def]
    sessions = app.extensions["c2m.sessions"]
    with unit_of_work(sessions) as session:
        for _ in range(2):
            now = utc_now()
            session.add(PlanRun(kind="insert", status=PlanRunStatus.QUEUED, origin=now,
                                frozen_until=now))
    with pytest.raises(IntegrityError), unit_of_work(sessions) as session:
        session.execute(update(PlanRun).values(status=PlanRunStatus.RUNNING))
