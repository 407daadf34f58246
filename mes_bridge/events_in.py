"""Incoming MES status in either format -> Event dataclasses, with errors naming the field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from mes_bridge import bounds, signing
from mes_bridge.b2mml_status import parse_sync_operations_performance
from mes_bridge.errors import EventParseError
from mes_bridge.lifecycle import EventKind
from mes_bridge.model import Event, OperationActual

SOURCE = "json event"


def receive_events(
    secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
) -> list[Event]:
    """What POST /api/mes/v1/events does before touching the database: check the signature and
    its ±5 minute window, parse by Content-Type, and insist that the events carry the signed
    webhook-id (so de-duplicating by event id cannot be dodged by re-wrapping a body).

    Raises SignatureError (answer 401 and log it) or EventParseError (answer 400/415).
    """
    webhook_id = signing.verify(secret, headers, body, now=now)
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    events = parse_events(body, content_type)
    for event in events:
        if event.event_id != webhook_id and not event.event_id.startswith(webhook_id + "/"):
            raise EventParseError(
                "request",
                "webhook-id",
                f"signed id {webhook_id!r} does not match the event id {event.event_id!r}",
            )
    return events


def parse_events(body: bytes, content_type: str) -> list[Event]:
    """Events in a POST /api/mes/v1/events body; the format follows the Content-Type."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("application/xml", "text/xml"):
        return parse_sync_operations_performance(body)
    if media == "application/json":
        return [parse_json_event(body)]
    raise EventParseError(
        "request",
        "Content-Type",
        f"unsupported media type {media!r}; send application/json or application/xml",
    )


def parse_json_event(body: bytes) -> Event:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise EventParseError(SOURCE, "/", f"not JSON: {error}") from None
    except RecursionError:  # nested deeper than the parser recurses: unreadable, not a crash
        raise EventParseError(SOURCE, "/", "not JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise EventParseError(SOURCE, "/", "expected a JSON object")
    operations = document.get("operations") or []
    if not isinstance(operations, list):
        raise EventParseError(SOURCE, "/operations", "expected an array")
    return Event(
        event_id=_string(document, "id", "/"),
        work_order_id=_string(document, "work_order_id", "/"),
        sequence=_sequence(document),
        kind=_kind(document, "kind", "/"),
        occurred_at=_required_time(document, "occurred_at", "/"),
        good=_quantity(document, "good", "/"),
        scrap=_quantity(document, "scrap", "/"),
        reason=_optional_string(document, "reason", "/"),
        operations=tuple(_operation(op, f"/operations/{i}/") for i, op in enumerate(operations)),
    )


def _operation(document: Any, where: str) -> OperationActual:
    if not isinstance(document, dict):
        raise EventParseError(SOURCE, where, "expected an object")
    return OperationActual(
        operation_id=_string(document, "operation_id", where),
        state=_kind(document, "state", where),
        machine_id=_optional_string(document, "machine_id", where),
        actual_start=_time(document, "actual_start", where),
        actual_end=_time(document, "actual_end", where),
        good=_quantity(document, "good", where),
        scrap=_quantity(document, "scrap", where),
    )


def _string(document: dict[str, Any], key: str, where: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value.strip():
        raise EventParseError(SOURCE, where + key, "required non-empty string")
    return value


def _optional_string(document: dict[str, Any], key: str, where: str) -> str | None:
    return None if document.get(key) is None else _string(document, key, where)


def _sequence(document: dict[str, Any]) -> int:
    value = document.get("sequence")
    try:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be an integer >= 1, got {value!r}")
        return bounds.sequence_number(value)
    except ValueError as error:
        raise EventParseError(SOURCE, "/sequence", str(error)) from None


def _kind(document: dict[str, Any], key: str, where: str) -> EventKind:
    value = document.get(key)
    try:
        return EventKind(str(value))
    except ValueError:
        known = ", ".join(kind.value for kind in EventKind)
        raise EventParseError(SOURCE, where + key, f"{value!r} is not one of {known}") from None


def _time(document: dict[str, Any], key: str, where: str) -> datetime | None:
    value = document.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise EventParseError(
            SOURCE, where + key, f"expected an ISO 8601 date-time with zone, got {value!r}"
        )
    return moment


def _required_time(document: dict[str, Any], key: str, where: str) -> datetime:
    moment = _time(document, key, where)
    if moment is None:
        raise EventParseError(SOURCE, where + key, "required date-time")
    return moment


def _quantity(document: dict[str, Any], key: str, where: str) -> Decimal | None:
    value = document.get(key)
    if value is None:
        return None
    try:
        return bounds.quantity(value)
    except ValueError as error:
        raise EventParseError(SOURCE, where + key, str(error)) from None
