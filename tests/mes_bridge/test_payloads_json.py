from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import jsonschema
import pytest

from mes_bridge import payloads, signing
from mes_bridge.errors import EventParseError, SignatureStale
from mes_bridge.events_in import parse_events, parse_json_event, receive_events
from mes_bridge.lifecycle import EventKind
from mes_bridge.model import Event, OperationActual, PayloadFormat

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # the sample work order's start


def test_the_json_work_order_follows_its_published_schema(work_order):
    document = json.loads(payloads.render(work_order, PayloadFormat.JSON, "msg-1", T0))
    jsonschema.Draft202012Validator(payloads.WORK_ORDER_MESSAGE_SCHEMA).validate(document)
    assert document["message_id"] == "msg-1"
    assert document["work_order"]["planned_start"] == "2026-11-23T06:00:00Z"
    assert document["work_order"]["planned_end"] == "2026-11-23T08:30:00Z"


def test_decimals_travel_as_strings_and_machine_settings_reach_every_operation(work_order):
    document = json.loads(payloads.render(work_order, PayloadFormat.JSON, "m", T0))
    cut = document["work_order"]["operations"][0]
    assert cut["materials"][0] == {
        "material_id": "PANEL-OAK-25MM",
        "quantity": "2",
        "unit": "EA",
        "description": None,
    }
    values = {p["name"]: (p["value"], p["data_type"]) for p in cut["parameters"]}
    assert values["top_thickness"] == ("2.5", "decimal") and values["lift"] == (True, "boolean")
    assert cut["produces"] == "TOP-OAK-1600x800"
    assert document["work_order"]["operations"][-1]["produces"] == "DESK-CFG-8f3a"


def test_the_same_work_order_renders_byte_for_byte_the_same(work_order):
    for fmt in PayloadFormat:
        assert payloads.render(work_order, fmt, "m", T0) == payloads.render(
            work_order, fmt, "m", T0
        )


def _event() -> Event:
    return Event(
        "evt-7",
        "WO-1001",
        7,
        EventKind.PROGRESS,
        T0,
        Decimal("1"),
        Decimal("0"),
        None,
        (OperationActual("OP20", EventKind.STARTED, "LINE1-ASSY-01", T0),),
    )


def test_a_json_event_round_trips_and_follows_its_schema():
    document = payloads.event_document(_event())
    jsonschema.Draft202012Validator(payloads.EVENT_SCHEMA).validate(document)
    assert parse_json_event(json.dumps(document).encode()) == _event()


def test_events_are_read_by_content_type():
    body = json.dumps(payloads.event_document(_event())).encode()
    assert parse_events(body, "application/json; charset=utf-8") == [_event()]
    with pytest.raises(EventParseError, match="unsupported media type 'text/plain'"):
        parse_events(body, "text/plain")


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"sequence": 0}, "/sequence", "integer >= 1"),
        ({"sequence": "3"}, "/sequence", "integer >= 1"),
        ({"kind": "paused"}, "/kind", "not one of"),
        ({"occurred_at": "2026-11-23T06:00:00"}, "/occurred_at", "with zone"),
        ({"good": "-1"}, "/good", "running total >= 0"),
        ({"good": "lots"}, "/good", "not a number"),
        ({"work_order_id": ""}, "/work_order_id", "non-empty"),
        ({"operations": [{"state": "started"}]}, "/operations/0/operation_id", "non-empty"),
    ],
)
def test_a_bad_json_event_names_the_field(change, field, message):
    document = {**payloads.event_document(_event()), **change}
    with pytest.raises(EventParseError) as caught:
        parse_json_event(json.dumps(document).encode())
    assert caught.value.field == field and message in caught.value.reason


def test_a_body_that_is_not_json_is_a_parse_error():
    with pytest.raises(EventParseError, match="not JSON"):
        parse_json_event(b"{kind: started")


def _signed(secret: str, webhook_id: str, body: bytes, stamp: int = 1_790_000_000):
    return {
        **signing.sign_headers(secret, webhook_id, body, stamp),
        "Content-Type": "application/json",
    }


def test_a_signed_event_is_received_once_checked(secret):
    body = json.dumps(payloads.event_document(_event())).encode()
    headers = _signed(secret, "evt-7", body)
    assert receive_events(secret, headers, body, now=1_790_000_010) == [_event()]


def test_an_event_under_a_different_signed_id_is_refused(secret):
    body = json.dumps(payloads.event_document(_event())).encode()
    with pytest.raises(EventParseError, match="does not match the event id"):
        receive_events(secret, _signed(secret, "evt-other", body), body, now=1_790_000_000)


def test_a_replayed_event_outside_the_window_is_refused_before_parsing(secret):
    body = b"not even json"
    with pytest.raises(SignatureStale):
        receive_events(secret, _signed(secret, "evt-7", body), body, now=1_790_000_000 + 301)
