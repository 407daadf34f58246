"""Celery wired to Flask as in Flask's Celery guide: tasks run inside the app context.

The database is the truth: tasks receive ids only and read the rows themselves.

Queues per kind of work (DESIGN.md, Operation and scale): `plan` for plan runs, `mes` for
deliveries to the MES and the reconciliation pull, the default queue for the rest (the sweep,
health pings). A long plan run thus never holds up a push: give each queue its own worker
(`c2m worker --queues plan --concurrency 1`, `c2m worker --queues mes`, ...); one worker on
every queue (the default) still does everything on a small plant. Exactly one scheduler per
deployment: `c2m beat`, or `c2m worker --beat` when one worker is the whole back end.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from celery import Celery, Task
from flask import Flask

from c2m.embedded_broker import EMBEDDED_PREFIX, TRANSPORT_PATH
from c2m.settings import Settings, SettingsError

# Below the Redis visibility timeout, so a late-acked task is never delivered twice while
# it is still running (DESIGN.md: task limits below the broker's visibility timeout).
VISIBILITY_TIMEOUT_S = 3600
TASK_TIME_LIMIT_S = 900
SWEEP_EVERY_S = 5.0
PLAN_QUEUE, MES_QUEUE, MAIL_QUEUE, DEFAULT_QUEUE = "plan", "mes", "mail", "celery"
QUEUES = (PLAN_QUEUE, MES_QUEUE, MAIL_QUEUE, DEFAULT_QUEUE)
TASK_ROUTES = {
    "c2m.plan": {"queue": PLAN_QUEUE},
    "c2m.deliver": {"queue": MES_QUEUE},
    "c2m.reconcile": {"queue": MES_QUEUE},
    # A release schedules an e-mail per order at once: on the default queue the sweep waited
    # behind them, and an outbox row claimed by a killed worker stayed in flight for a minute.
    "c2m.send_mail": {"queue": MAIL_QUEUE},
    # Anything else (c2m.sweep, c2m.ping, ...) goes to DEFAULT_QUEUE.
}
# How often the plant pulls the MES's view of the work orders it has sent (c2m.reconcile).
# Read here, not in c2m.settings: only the scheduler and the task need it. 0 turns it off.
RECONCILE_ENV = "C2M_MES_RECONCILE_EVERY_S"
RECONCILE_EVERY_S = 60.0


def reconcile_every_s(env: Mapping[str, str] | None = None) -> float:
    raw = (os.environ if env is None else env).get(RECONCILE_ENV) or ""
    try:
        value = float(raw) if raw.strip() else RECONCILE_EVERY_S
    except ValueError:
        raise SettingsError(f"{RECONCILE_ENV}={raw!r} is not a number of seconds") from None
    if not value >= 0:
        raise SettingsError(f"{RECONCILE_ENV}={raw!r} must be 0 (off) or more seconds")
    return value


def beat_schedule(reconcile_every: float) -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = {
        "sweep": {"task": "c2m.sweep", "schedule": SWEEP_EVERY_S},
    }
    if reconcile_every > 0:
        schedule["reconcile-mes"] = {
            "task": "c2m.reconcile",
            "schedule": reconcile_every,
            # A pass still waiting when the next is due (a backlog in `mes`) is dropped.
            "options": {"expires": reconcile_every},
        }
    return schedule


def celery_config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": TASK_TIME_LIMIT_S,
        "task_soft_time_limit": TASK_TIME_LIMIT_S - 60,
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": 3,
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_S},
        "worker_hijack_root_logger": False,
        "include": ["c2m.tasks"],
        "task_default_queue": DEFAULT_QUEUE,
        "task_routes": TASK_ROUTES,
        # The sweep and the reconciliation are idempotent and frequent: an in-memory schedule
        # needs no file that two beats could share or a killed process could leave half-written.
        "beat_scheduler": "celery.beat:Scheduler",
        "beat_schedule": beat_schedule(reconcile_every_s()),
    }
    if settings.embedded_broker:
        config["broker_url"] = settings.broker_url.removeprefix(EMBEDDED_PREFIX)
        config["broker_transport"] = TRANSPORT_PATH
        config["broker_transport_options"] = {}
    return config


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    from c2m import celery_logging  # noqa: F401  (its hooks put the task id on log lines)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(settings))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def parse_queues(text: str | None) -> list[str]:
    """`plan,mes` -> ["plan", "mes"]; empty or None: every queue. Unknown names are refused
    (a typo would leave a worker consuming a queue nothing is sent to)."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    unknown = sorted(set(names) - set(QUEUES))
    if unknown:
        raise ValueError(
            f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(QUEUES)}"
        )
    return list(dict.fromkeys(names)) or list(QUEUES)


def worker_argv(
    settings: Settings, concurrency: int, queues: Sequence[str] = QUEUES, beat: bool = False
) -> list[str]:
    """What `c2m worker` hands to Celery: no scheduler unless asked (`c2m beat` is the one)."""
    argv = ["worker", "--loglevel", settings.log_level, "--concurrency", str(concurrency)]
    argv += ["--queues", ",".join(queues)]
    argv += ["--pool", "threads"] if settings.embedded_broker else []
    return argv + (["--beat"] if beat else [])


def beat_argv(settings: Settings) -> list[str]:
    """What `c2m beat` hands to Celery: the scheduler alone, in-memory (beat_scheduler)."""
    return ["beat", "--loglevel", settings.log_level]
