"""Celery tasks: thin shells that take ids and call services. The database is the truth."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from celery import shared_task
from celery.signals import worker_ready
from flask import current_app

from c2m import dispatch, jobs, mail, planning, reconciliation
from c2m.celery_app import MAIL_QUEUE, RECONCILE_EVERY_S, reconcile_every_s
from c2m.db import session_factory
from c2m.logging_setup import get_logger
from c2m.settings import load_settings
from mes_bridge import lookup
from mes_bridge.delivery import Endpoint

log = get_logger(__name__)


@shared_task(name="c2m.ping", acks_late=True, max_retries=3)
def ping(job_id: int) -> None:
    """Proves the whole chain (broker → worker → database) works; used by health checks."""
    jobs.complete(job_id, message="pong")


# Redelivered after a lost worker (acks_late + reject_on_worker_lost); the run's lease in the
# database decides whether it is taken again, so a copy of the message does no harm.
@shared_task(name="c2m.plan", acks_late=True, reject_on_worker_lost=True, max_retries=0)
def plan(plan_run_id: int) -> None:
    settings = current_app.extensions["c2m.settings"]
    following = planning.carry_out(
        session_factory(), settings.products_dir, plan_run_id, settings.replan_time_limit_s
    )
    if following is not None:
        plan.delay(following)


def dispatch_config() -> dispatch.DispatchConfig:
    settings = current_app.extensions["c2m.settings"]
    endpoint = Endpoint(
        url=settings.mes_url.rstrip("/") + "/work-orders",
        secret=settings.mes_secret,
        read_timeout=settings.mes_read_timeout_s,
    )
    return dispatch.DispatchConfig(
        endpoint, claim_timeout=timedelta(seconds=settings.mes_claim_timeout_s)
    )


# A push killed with its worker is redelivered by the broker (acks_late +
# reject_on_worker_lost); the database claim keeps one message in flight per work order.
@shared_task(name="c2m.deliver", acks_late=True, reject_on_worker_lost=True, max_retries=0)
def deliver(message_id: str) -> str:
    return dispatch.deliver(session_factory(), dispatch_config(), message_id)


@shared_task(name="c2m.sweep")
def sweep() -> None:
    """Re-enqueue work whose message was lost or is due again; the database says which."""
    sessions = session_factory()
    for run_id in planning.stale_queued_runs(sessions):
        plan.delay(run_id)
    settings = current_app.extensions["c2m.settings"]
    window = timedelta(seconds=settings.mes_claim_timeout_s)
    dispatch.enqueue_due(sessions, deliver.delay, window)
    mail.enqueue_due(sessions, send_mail.delay)


# On the default queue. A send killed with its worker is redelivered by the broker; the
# database claim makes one copy send it. Retries are due times in the database, sent by the
# sweeper (c2m.mail), so no retry waits in the broker.
@shared_task(name="c2m.send_mail", acks_late=True, reject_on_worker_lost=True, max_retries=0)
def send_mail(message_id: str) -> str:
    """One attempt at one order e-mail: over SMTP, or as an .eml file when none is set."""
    settings = current_app.extensions["c2m.settings"]
    return mail.deliver(session_factory(), mail.config_from(settings), message_id)


@worker_ready.connect
def say_where_mail_goes(sender: Any = None, **_: object) -> None:
    """One line at the start of a worker that sends mail (one on the `mail` queue): the SMTP
    server, or the folder of .eml files. The worker read its settings from the environment,
    as this does (a signal has no app context)."""
    if MAIL_QUEUE in _consumed_queues(sender):
        log.info(mail.transport_line(load_settings()))


def _consumed_queues(consumer: Any) -> set[str]:
    try:
        return set(consumer.app.amqp.queues.consume_from)
    except AttributeError:  # not a Celery consumer: say it rather than stay silent
        return {MAIL_QUEUE}


# On the `mes` queue, scheduled by beat every C2M_MES_RECONCILE_EVERY_S (c2m.celery_app). A
# lost or repeated pass does no harm: every change it makes is conditional (c2m.reconciliation).
@shared_task(name="c2m.reconcile", acks_late=True, max_retries=0)
def reconcile() -> dict[str, object]:
    """Ask the MES what it holds of the work orders sent to it: send again what it lacks, take
    in the status events that never reached us."""
    endpoint = dispatch_config().endpoint
    every = reconcile_every_s() or RECONCILE_EVERY_S  # 0 only turns off the schedule
    with requests.Session() as http:
        report = reconciliation.reconcile(
            session_factory(),
            lambda number: lookup.look_up(endpoint, number, http),
            deliver.delay,
            quiet=timedelta(seconds=every),
            budget_s=every / 2,
        )
    return {"checked": report.checked, "resent": report.resent, "events": report.events_taken}
