"""Malformed input from the MES is refused with a 4xx naming the field, and nothing of it is
stored: numbers too large for the database, quantities that are no plain numbers, documents
with a DOCTYPE, JSON nested too deep to parse, cursors beyond any id."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from c2m.models import MesEvent, WorkOrder
from c2m.settings import Settings
from mes_bridge import signing
from mes_bridge.b2mml_status import sync_operations_performance
from mes_bridge.lifecycle import EventKind, WorkOrderState
from mes_bridge.model import Event
from tests.mes_faults.test_callbacks import EVENTS_TOKEN, post, state_of
from tests.mes_faults.test_openapi_and_pull import pull_client

pytestmark = pytest.mark.usefixtures("no_background_worker")


@pytest.fixture()
def work_order(release_orders, app: Flask) -> str:  # type: ignore[no-untyped-def]
    release_orders(1)
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(WorkOrder.number)).one()


def json_event(number: str, **fields: Any) -> tuple[str, bytes]:
    body = {
        "id": f"evt-{number}-bad",
        "work_order_id": number,
        "sequence": 3,
        "kind": "progress",
        "occurred_at": datetime.now(UTC).isoformat(),
        **fields,
    }
    return body["id"], json.dumps(body).encode()


def nothing_stored(app: Flask) -> bool:
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(MesEvent)).all() == []


def post_xml(app: Flask, settings: Settings, event_id: str, body: bytes):  # type: ignore[no-untyped-def]
    headers = signing.sign_headers(settings.mes_secret, event_id, body)
    return app.test_client().post(
        "/api/mes/v1/events",
        data=body,
        headers={**headers, **EVENTS_TOKEN, "Content-Type": "application/xml"},
    )


@pytest.mark.parametrize(
    "fields,where",
    [
        ({"sequence": 2**70}, "sequence"),
        ({"sequence": 2**31}, "sequence"),
        ({"good": "1e19"}, "good"),
        ({"good": 1e19}, "good"),
        ({"scrap": "1e19"}, "scrap"),
        ({"scrap": 2**40}, "scrap"),
        ({"good": "NaN"}, "good"),
        ({"scrap": "Infinity"}, "scrap"),
        (
            {"operations": [{"operation_id": "OP10", "state": "progress", "good": "9" * 30}]},
            "operations/0/good",
        ),
    ],
)
def test_an_event_with_a_number_out_of_range_or_not_plain_is_refused_naming_the_field(
    app: Flask, settings: Settings, work_order: str, fields: dict[str, Any], where: str
) -> None:
    answer = post(app, settings, *json_event(work_order, **fields))
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["where"] == where
    assert nothing_stored(app) and state_of(app) is WorkOrderState.RELEASED


def test_a_json_event_nested_100000_deep_is_refused_without_a_server_error(
    app: Flask, settings: Settings, work_order: str
) -> None:
    body = b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = post(app, settings, "evt-deep", body)
    assert answer.status_code == 422 and "nested too deeply" in answer.get_json()["detail"]
    assert nothing_stored(app)


def b2mml_event(number: str, sequence: int = 3, good: str = "1") -> tuple[str, bytes]:
    event = Event(
        event_id=f"evt-{number}-xml",
        work_order_id=number,
        sequence=sequence,
        kind=EventKind.PROGRESS,
        occurred_at=datetime.now(UTC),
        good=Decimal(good),
    )
    return event.event_id, sync_operations_performance(event)


def test_a_b2mml_status_with_a_doctype_is_refused_and_its_entities_never_expanded(
    app: Flask, settings: Settings, work_order: str
) -> None:
    event_id, body = b2mml_event(work_order)
    doctype = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    head, _, rest = body.partition(b"?>")
    answer = post_xml(app, settings, event_id, head + b"?>" + doctype + rest)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["where"] == "DOCTYPE"
    assert nothing_stored(app)


def test_a_b2mml_status_with_a_sequence_beyond_the_database_is_refused_naming_version(
    app: Flask, settings: Settings, work_order: str
) -> None:
    event_id, body = b2mml_event(work_order)
    body = body.replace(b"<Version>3</Version>", b"<Version>" + b"9" * 22 + b"</Version>")
    answer = post_xml(app, settings, event_id, body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["where"] == "OperationsResponse/Version"
    assert nothing_stored(app)


def test_a_b2mml_status_with_an_exponent_quantity_is_refused_naming_the_quantity(
    app: Flask, settings: Settings, work_order: str
) -> None:
    event_id, body = b2mml_event(work_order, good="7")
    body = body.replace(
        b"<QuantityString>7</QuantityString>", b"<QuantityString>1e19</QuantityString>"
    )
    assert b"1e19" in body
    answer = post_xml(app, settings, event_id, body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["where"] == "MaterialActual/Quantity/QuantityString"
    assert nothing_stored(app)


@pytest.mark.parametrize("after", ["99999999999999999999", "-1", "1.5", "٣"])
def test_a_pull_cursor_that_is_no_id_is_refused_naming_after(app: Flask, after: str) -> None:
    client, headers = pull_client(app)
    answer = client.get(f"/api/mes/v1/work-orders?after={after}", headers=headers)
    assert answer.status_code == 422 and answer.get_json()["where"] == "after"
