"""Celery tasks: thin shells that take ids and call services. The database is the truth."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from c2m import jobs, planning
from c2m.db import session_factory


@shared_task(name="c2m.ping", acks_late=True, max_retries=3)
def ping(job_id: int) -> None:
    """Proves the whole chain (broker → worker → database) works; used by health checks."""
    jobs.complete(job_id, message="pong")


@shared_task(name="c2m.plan", acks_late=True, max_retries=3)
def plan(plan_run_id: int) -> None:
    settings = current_app.extensions["c2m.settings"]
    planning.carry_out(session_factory(), settings.products_dir, plan_run_id)


@shared_task(name="c2m.sweep")
def sweep() -> None:
    """Re-enqueue work whose message was lost (broker restart, enqueue after commit failed)."""
    for run_id in planning.stale_queued_runs(session_factory()):
        plan.delay(run_id)
