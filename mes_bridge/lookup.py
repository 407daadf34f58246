"""Asking the MES what it holds of one work order: the plant's reconciliation pull.

`GET <push url>/<work order id>` answers 200 with the revisions the MES holds and the status
events it has recorded so far, or 404 naming the work order when it has none (B2MML:
GetOperationsPerformance -> ShowOperationsPerformance). Anything else (no answer, another
status, a body that is not that document) means "cannot tell": the caller changes nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from mes_bridge import signing
from mes_bridge.delivery import Endpoint
from mes_bridge.errors import EventParseError
from mes_bridge.events_in import parse_json_event
from mes_bridge.model import Event


@dataclass(frozen=True)
class MesView:
    """What the MES holds of one work order. `sequence` 0: nothing (the push never arrived)."""

    work_order_id: str
    sequence: int = 0
    events: list[Event] = field(default_factory=list)
    unreadable_events: int = 0  # event documents that did not parse (logged by the caller)

    @property
    def held(self) -> bool:
        return self.sequence > 0


class LookupFailed(Exception):
    """No usable answer: the MES is unreachable, or said something we cannot read."""

    def __init__(self, reason: str, transport: bool = False) -> None:
        super().__init__(reason)
        self.transport = transport  # the MES did not answer at all: later lookups would not


def work_order_url(endpoint: Endpoint, work_order_id: str) -> str:
    return f"{endpoint.url.rstrip('/')}/{quote(work_order_id, safe='')}"


def look_up(
    endpoint: Endpoint, work_order_id: str, session: requests.Session | None = None
) -> MesView:
    """One GET, signed like a push (over an empty body) so an MES can tell it is us."""
    lookup_id = f"lookup-{uuid.uuid4().hex}"
    headers = {
        "User-Agent": "c2m-mes-bridge/1",
        **signing.sign_headers(endpoint.secret, lookup_id, b""),
    }
    if endpoint.bearer_token:
        headers["Authorization"] = f"Bearer {endpoint.bearer_token}"
    try:
        response = (session or requests).get(
            work_order_url(endpoint, work_order_id),
            headers=headers,
            timeout=(endpoint.connect_timeout, endpoint.read_timeout),
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise LookupFailed(f"no answer: {type(error).__name__}", transport=True) from None
    return read_answer(work_order_id, response.status_code, response.content)


def read_answer(work_order_id: str, status: int, body: bytes) -> MesView:
    """Pure: the MES's answer about `work_order_id` -> what it holds, or LookupFailed."""
    try:
        document = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        document = None
    if not isinstance(document, dict) or document.get("work_order_id") != work_order_id:
        # A 404 from an MES without this endpoint says nothing about the work order.
        raise LookupFailed(f"HTTP {status} without a document about {work_order_id}")
    if status == 404:
        return MesView(work_order_id)
    if status != 200:
        raise LookupFailed(f"HTTP {status}")
    return MesView(work_order_id, _held_sequence(document), *_events(document, work_order_id))


def _held_sequence(document: dict[str, Any]) -> int:
    revisions = document.get("revisions")
    if not isinstance(revisions, list):
        raise LookupFailed("the answer has no revisions list")
    held = [
        r["sequence"]
        for r in revisions
        if isinstance(r, dict) and isinstance(r.get("sequence"), int) and not r.get("rejected")
    ]
    return max(held, default=0)


def _events(document: dict[str, Any], work_order_id: str) -> tuple[list[Event], int]:
    events: list[Event] = []
    unreadable = 0
    raw = document.get("events")
    for item in raw if isinstance(raw, list) else []:
        try:
            event = parse_json_event(json.dumps(item).encode())
        except (EventParseError, TypeError, ValueError):
            unreadable += 1
            continue
        if event.work_order_id == work_order_id:
            events.append(event)
        else:
            unreadable += 1
    return events, unreadable
