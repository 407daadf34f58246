"""Plan runs as a queue the database serialises: one run computes at a time, under a lease.

A run is taken with one conditional UPDATE; the partial unique index on running runs makes a
second concurrent take fail in the database, on SQLite and PostgreSQL alike. The worker renews
the lease while it computes (wall clock: it measures silence, not business time); a run whose
lease ran out lost its worker and is queued again, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from c2m.clock import business_now
from c2m.db import unit_of_work
from c2m.models import PlanRun, PlanRunStatus, utc_now
from c2m.planning_input import engineered_lines

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
RENEW_EVERY_S = 5.0
MAX_ATTEMPTS = 3
QUEUED_GRACE = timedelta(seconds=2)  # a fresh run's own task is still on its way
RETRY_FAILED_AFTER = timedelta(seconds=30)


def request(session: Session, kind: str, parameters: dict[str, str] | None = None) -> PlanRun:
    """A queued plan run the worker will carry out; the web shows its progress."""
    now = business_now()
    run = PlanRun(
        kind=kind,
        status=PlanRunStatus.QUEUED,
        origin=now,
        frozen_until=now,
        parameters=parameters or {},
    )
    session.add(run)
    session.flush()
    return run


def request_once(session: Session, kind: str) -> PlanRun:
    """One waiting run of a kind serves every request made before it starts: it reads the
    plant when it starts, so it takes in every order and report so far."""
    waiting = session.scalar(
        select(PlanRun).filter_by(kind=kind, status=PlanRunStatus.QUEUED).order_by(PlanRun.id)
    )
    return waiting if waiting is not None else request(session, kind)


def request_breakdown(session: Session, window: dict[str, str]) -> PlanRun:
    """A breakdown joins the repair already waiting, if any: one run re-plans around every
    breakdown reported before it starts, instead of one search per breakdown."""
    waiting = session.scalar(
        select(PlanRun)
        .filter_by(kind="breakdown", status=PlanRunStatus.QUEUED)
        .order_by(PlanRun.id)
    )
    if waiting is not None:
        windows = [*breakdown_windows(waiting.parameters or {}), window]
        joined = session.execute(
            update(PlanRun)
            .where(PlanRun.id == waiting.id, PlanRun.status == PlanRunStatus.QUEUED)
            .values(parameters={**windows[0], "more": windows[1:]})
            .execution_options(synchronize_session=False)
        )
        if joined.rowcount == 1:  # type: ignore[attr-defined]
            return waiting
    return request(session, "breakdown", window)  # the waiting one started meanwhile


def breakdown_windows(parameters: dict[str, Any]) -> list[dict[str, str]]:
    """Every (machine, from, until) a breakdown run repairs around."""
    first = {key: parameters[key] for key in ("machine", "from", "until") if key in parameters}
    return ([first] if first else []) + list(parameters.get("more") or [])


def take(sessions: sessionmaker[Session], run_id: int) -> bool:
    """Take a queued run for this worker. False: not queued any more, or another run is being
    computed (it hands on to the next queued run when it ends)."""
    requeue_abandoned(sessions)
    try:
        with unit_of_work(sessions) as session:
            taken = session.execute(
                update(PlanRun)
                .where(PlanRun.id == run_id, PlanRun.status == PlanRunStatus.QUEUED)
                .values(
                    status=PlanRunStatus.RUNNING,
                    lease_until=utc_now() + LEASE,
                    attempts=PlanRun.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(taken.rowcount == 1)  # type: ignore[attr-defined]
    except IntegrityError:
        return False  # the one-running index: another run is computing


def requeue_abandoned(sessions: sessionmaker[Session]) -> list[int]:
    """Runs whose worker stopped renewing the lease go back to the queue (or fail for good)."""
    now = utc_now()
    with unit_of_work(sessions) as session:
        lost = session.scalars(
            select(PlanRun).where(
                PlanRun.status == PlanRunStatus.RUNNING, PlanRun.lease_until < now
            )
        ).all()
        for run in lost:
            _give_back(run)
        return [run.id for run in lost if run.status is PlanRunStatus.QUEUED]


def _give_back(run: PlanRun) -> None:
    log.warning("plan run lost its worker", extra={"plan_run": run.id, "attempt": run.attempts})
    run.lease_until = None
    if run.attempts >= MAX_ATTEMPTS:
        run.status, run.finished_at = PlanRunStatus.FAILED, utc_now()
        run.message = f"the worker computing this run was lost {run.attempts} times"
    else:
        run.status = PlanRunStatus.QUEUED


@contextmanager
def leased(sessions: sessionmaker[Session], run_id: int) -> Iterator[None]:
    """Renew the run's lease in a thread while the body computes."""
    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(sessions, run_id, stop), name=f"lease-{run_id}", daemon=True
    )
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


def _renew(sessions: sessionmaker[Session], run_id: int, stop: threading.Event) -> None:
    while not stop.wait(RENEW_EVERY_S):
        try:
            with unit_of_work(sessions) as session:
                session.execute(
                    update(PlanRun)
                    .where(PlanRun.id == run_id, PlanRun.status == PlanRunStatus.RUNNING)
                    .values(lease_until=utc_now() + LEASE)
                    .execution_options(synchronize_session=False)
                )
        except OperationalError:  # a busy database: the next renewal comes well within LEASE
            log.warning("plan run lease not renewed this time", extra={"plan_run": run_id})


def next_to_run(sessions: sessionmaker[Session]) -> int | None:
    """The oldest queued run, when none is computing: what a finished run hands on to."""
    with unit_of_work(sessions) as session:
        running = select(PlanRun.id).where(PlanRun.status == PlanRunStatus.RUNNING)
        if session.scalar(running.limit(1)) is not None:
            return None
        queued = select(PlanRun.id).where(PlanRun.status == PlanRunStatus.QUEUED)
        return session.scalar(queued.order_by(PlanRun.id).limit(1))


def due_for_sweep(sessions: sessionmaker[Session]) -> list[int]:
    """What the sweeper sends: runs given back by a lost worker, and the oldest queued run
    when nothing computes and its own message is overdue (lost with a broker, say)."""
    requeued = requeue_abandoned(sessions)
    retry = _insert_for_waiting_orders(sessions)
    requeued += [retry] if retry is not None else []
    oldest = next_to_run(sessions)
    if oldest is None:
        return requeued
    with unit_of_work(sessions) as session:
        run = session.get_one(PlanRun, oldest)
        overdue = run.created_at < utc_now() - QUEUED_GRACE
    return sorted({*requeued, oldest}) if overdue else requeued


def _insert_for_waiting_orders(sessions: sessionmaker[Session]) -> int | None:
    """Orders still waiting for a plan with no run on its way (their run failed, say) get an
    insertion, at most one per RETRY_FAILED_AFTER, so a plan that keeps failing cannot spin."""
    with unit_of_work(sessions) as session:
        if not engineered_lines(session):
            return None
        busy = select(PlanRun.id).where(
            PlanRun.status.in_([PlanRunStatus.QUEUED, PlanRunStatus.RUNNING])
        )
        recent_failure = select(PlanRun.id).where(
            PlanRun.status == PlanRunStatus.FAILED,
            PlanRun.finished_at > utc_now() - RETRY_FAILED_AFTER,
        )
        waiting = session.scalar(busy.limit(1)) is None
        if waiting and session.scalar(recent_failure.limit(1)) is None:
            return request(session, "insert").id
        return None


def queued_runs(sessions: sessionmaker[Session]) -> list[int]:
    with unit_of_work(sessions) as session:
        query = select(PlanRun.id).where(PlanRun.status == PlanRunStatus.QUEUED)
        return list(session.scalars(query))
