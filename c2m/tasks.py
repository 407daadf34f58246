"""Celery tasks: thin shells that take ids and call services."""

from __future__ import annotations

from celery import shared_task

from c2m import jobs


@shared_task(name="c2m.ping", acks_late=True, max_retries=3)
def ping(job_id: int) -> None:
    """Proves the whole chain (broker → worker → database) works; used by health checks."""
    jobs.complete(job_id, message="pong")
