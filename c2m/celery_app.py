"""Celery wired to Flask as in Flask's Celery guide: tasks run inside the app context.

The database is the truth: tasks receive ids only and read the rows themselves.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from c2m.embedded_broker import EMBEDDED_PREFIX, TRANSPORT_PATH
from c2m.settings import Settings

# Below the Redis visibility timeout, so a late-acked task is never delivered twice while
# it is still running (DESIGN.md: task limits below the broker's visibility timeout).
VISIBILITY_TIMEOUT_S = 3600
TASK_TIME_LIMIT_S = 900
SWEEP_EVERY_S = 5.0


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
        # The sweep is idempotent and frequent: an in-memory schedule needs no file that two
        # beats could share or a killed worker could leave half-written.
        "beat_scheduler": "celery.beat:Scheduler",
        "beat_schedule": {
            "sweep": {"task": "c2m.sweep", "schedule": SWEEP_EVERY_S},
        },
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

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_config(settings))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
