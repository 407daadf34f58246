"""Structured logging: one JSON object per line, so logs can be searched by field.

Fields go in with `extra={...}`. The standard library raises KeyError when such a field shares
a name with a LogRecord attribute (`message`, `name`, `args`, ...), and it does so only when the
level is enabled: a collision stays invisible at WARNING and crashes the caller at INFO. Loggers
from `get_logger` rename a colliding field (`message` -> `message_`) instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

# Celery reports every task it receives, runs and schedules at INFO. For the sweep (every 5 s)
# that buries the console of `make run` and every log search: those lines belong at DEBUG.
ROUTINE_TASKS = ("c2m.sweep",)
CELERY_TASK_LOGGERS = frozenset({"celery.beat", "celery.app.trace", "celery.worker.strategy"})
# `taskName` joins the record in Python 3.12; reserving it now keeps logs the same after.
RESERVED_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_STANDARD_ATTRIBUTES = RESERVED_FIELDS


def safe_fields(fields: Mapping[str, object]) -> dict[str, object]:
    """`fields` with every name a LogRecord reserves suffixed by `_` (never dropped)."""
    return {(f"{key}_" if key in RESERVED_FIELDS else key): value for key, value in fields.items()}


class FieldLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger whose `extra` fields can never collide with LogRecord attributes."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        if kwargs.get("extra"):
            kwargs["extra"] = safe_fields(kwargs["extra"])
        return msg, kwargs


# What the current request, task or plan run is: every line logged meanwhile carries it, so
# one search finds all a request or a plan run did across web and worker logs.
_NOTHING: Mapping[str, object] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, object]] = ContextVar("c2m_log_context", default=_NOTHING)


def bind_log_context(**fields: object) -> Token[Mapping[str, object]]:
    """Add fields to the current context; `unbind_log_context(token)` takes them away."""
    return _CONTEXT.set({**_CONTEXT.get(), **fields})


def unbind_log_context(token: Token[Mapping[str, object]]) -> None:
    _CONTEXT.reset(token)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    token = bind_log_context(**fields)
    try:
        yield
    finally:
        unbind_log_context(token)


def get_logger(name: str) -> FieldLogger:
    return FieldLogger(logging.getLogger(name))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(safe_fields(_CONTEXT.get()))
        # Fields passed with `extra={...}` become top-level keys.
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RoutineTasksAtDebug(logging.Filter):
    """Celery's INFO lines about a routine task become DEBUG lines: shown when the log level
    is DEBUG, dropped otherwise. Every other task keeps its INFO lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.name not in CELERY_TASK_LOGGERS:
            return True
        if not any(task in record.getMessage() for task in ROUTINE_TASKS):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """JSON lines at `level` to `stream` (standard error unless given)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RoutineTasksAtDebug())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel("WARNING")
