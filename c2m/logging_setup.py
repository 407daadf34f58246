"""Structured logging: one JSON object per line, so logs can be searched by field.

Fields go in with `extra={...}`. The standard library raises KeyError when such a field shares
a name with a LogRecord attribute (`message`, `name`, `args`, ...), and it does so only when the
level is enabled: a collision stays invisible at WARNING and crashes the caller at INFO. Loggers
from `get_logger` rename a colliding field (`message` -> `message_`) instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

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
        # Fields passed with `extra={...}` become top-level keys.
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel("WARNING")
