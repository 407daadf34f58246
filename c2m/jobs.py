"""Background jobs as database rows: queued here, advanced by workers, read by the web."""

from __future__ import annotations

from c2m.db import session_factory, unit_of_work
from c2m.models import BackgroundJob, JobStatus, utc_now


def create(kind: str) -> int:
    with unit_of_work(session_factory()) as session:
        job = BackgroundJob(kind=kind)
        session.add(job)
        session.flush()
        return job.id


def complete(job_id: int, message: str = "") -> None:
    with unit_of_work(session_factory()) as session:
        job = session.get_one(BackgroundJob, job_id)
        job.status, job.message, job.finished_at = JobStatus.SUCCEEDED, message, utc_now()
        job.progress = 100


def get(job_id: int) -> BackgroundJob | None:
    with unit_of_work(session_factory()) as session:
        return session.get(BackgroundJob, job_id)
