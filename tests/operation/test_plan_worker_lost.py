"""A plan run whose worker is killed is taken up again (issue 11, point 6).

A real worker is SIGKILLed while it computes a re-plan; the run must not stay RUNNING for
ever: its lease runs out, the sweeper of the worker started in its place queues it again and
it completes. A run whose worker is lost again and again fails and stops blocking planning."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from c2m import plan_runs, planning
from c2m.db import unit_of_work
from c2m.models import PlanRun, PlanRunStatus, utc_now
from tests.conftest import WorkerHandle
from tests.flow.conftest import SAMPLES

pytestmark = pytest.mark.usefixtures("no_background_worker")


def status_of(app, run_id: int) -> PlanRunStatus:  # type: ignore[no-untyped-def]
    with app.extensions["c2m.sessions"]() as session:
        return session.get_one(PlanRun, run_id).status


def wait_for(app, run_id: int, wanted: PlanRunStatus, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while (seen := status_of(app, run_id)) is not wanted:
        assert time.monotonic() < deadline, f"run {run_id} is {seen}, not {wanted}"
        time.sleep(0.1)


def test_a_replan_whose_worker_is_killed_completes_on_the_next_worker(
    plant, planner, place, service_env, clean_broker  # type: ignore[no-untyped-def]
) -> None:
    for number in range(2):
        planning.carry_out(plant.extensions["c2m.sessions"], SAMPLES,
                           place(f"lost-worker-{number:04d}")["plan_run"])
    # Long enough that the run is surely computing when the worker dies.
    worker = WorkerHandle({**service_env, "C2M_REPLAN_TIME_LIMIT_S": "12"})
    worker.start()
    try:
        run_id = planner.post("/api/v1/plan-runs", json={"kind": "replan"}).get_json()["plan_run"]
        wait_for(plant, run_id, PlanRunStatus.RUNNING, timeout=60)
        worker.kill()
        assert status_of(plant, run_id) is PlanRunStatus.RUNNING
        worker.start()
        wait_for(plant, run_id, PlanRunStatus.SUCCEEDED, timeout=150)
    finally:
        worker.stop()
    with plant.extensions["c2m.sessions"]() as session:
        run = session.get_one(PlanRun, run_id)
        assert run.is_current and run.attempts == 2


def test_a_run_lost_with_its_worker_too_often_fails_and_frees_planning(app) -> None:  # type: ignore[no-untyped-def]
    sessions = app.extensions["c2m.sessions"]
    with unit_of_work(sessions) as session:
        lost = plan_runs.request(session, "replan")
        waiting = plan_runs.request(session, "insert")
    for _ in range(plan_runs.MAX_ATTEMPTS):
        assert plan_runs.take(sessions, lost.id)
        assert not plan_runs.take(sessions, waiting.id)  # one run computes at a time
        with unit_of_work(sessions) as session:  # the worker dies: nobody renews the lease
            session.execute(update(PlanRun).where(PlanRun.id == lost.id)
                            .values(lease_until=utc_now() - timedelta(seconds=1)))
        plan_runs.requeue_abandoned(sessions)
    assert status_of(app, lost.id) is PlanRunStatus.FAILED
    assert plan_runs.take(sessions, waiting.id)


def test_orders_whose_insertion_failed_get_another_once_the_retry_window_passed(
    plant, place  # type: ignore[no-untyped-def]
) -> None:
    sessions = plant.extensions["c2m.sessions"]
    failed_run = place("retry-after-failure-0001")["plan_run"]
    with unit_of_work(sessions) as session:
        session.execute(update(PlanRun).where(PlanRun.id == failed_run).values(
            status=PlanRunStatus.FAILED, finished_at=utc_now()))
    assert plan_runs.due_for_sweep(sessions) == []  # a plan that just failed is not re-run
    with unit_of_work(sessions) as session:
        session.execute(update(PlanRun).where(PlanRun.id == failed_run).values(
            finished_at=utc_now() - plan_runs.RETRY_FAILED_AFTER))
    [retry] = plan_runs.due_for_sweep(sessions)
    assert retry != failed_run
    planning.carry_out(sessions, SAMPLES, retry)
    assert status_of(plant, retry) is PlanRunStatus.SUCCEEDED
