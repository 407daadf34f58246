"""/healthz and a real Celery worker on the broker under test."""

from __future__ import annotations

import time

from flask import Flask

from c2m import jobs
from c2m.models import JobStatus
from c2m.settings import Settings


def test_healthz_reports_database_and_broker_reachable(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok", "b2mml": "ok"}


def test_healthz_is_degraded_when_the_broker_is_down(
    settings: Settings, clean_database: str
) -> None:
    from c2m.app import create_app

    app = create_app(settings.with_changes(broker_url="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "ok"
    assert "C2M_BROKER_URL" in body["broker"]


def test_a_real_worker_runs_a_task_sent_through_the_broker(
    app: Flask, celery_worker_process: object
) -> None:
    with app.app_context():
        job_id = jobs.create("ping")
        app.extensions["celery"].send_task("c2m.ping", args=[job_id])
        deadline = time.monotonic() + 60
        job = jobs.get(job_id)
        while job is not None and job.status is not JobStatus.SUCCEEDED:
            assert time.monotonic() < deadline, f"worker did not run the task: {job.status}"
            time.sleep(0.2)
            job = jobs.get(job_id)
    assert job is not None and job.message == "pong"
