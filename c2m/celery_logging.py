"""Every line a Celery task logs carries its task id and name (see c2m.logging_setup): Celery
runs a task's prerun hook, the task and its postrun hook in the thread that runs the task."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextvars import Token
from typing import Any

from celery import Task
from celery.signals import task_postrun, task_prerun

from c2m.logging_setup import bind_log_context, unbind_log_context

_tokens: dict[str, Token[Mapping[str, object]]] = {}
_lock = threading.Lock()  # the threads pool runs several tasks at once


@task_prerun.connect
def bind_task(task_id: str, task: Task, **_: Any) -> None:
    token = bind_log_context(task_id=task_id, task=task.name)
    with _lock:
        _tokens[task_id] = token


@task_postrun.connect
def unbind_task(task_id: str, **_: Any) -> None:
    with _lock:
        token = _tokens.pop(task_id, None)
    if token is not None:
        unbind_log_context(token)
