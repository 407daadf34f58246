"""Fixtures for the plant-in-operation tests: the sample catalogue, a planner, signed events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from c2m import auth, bootstrap
from c2m.db import unit_of_work
from c2m.models import PlanRun, WorkOrder
from c2m.settings import Settings
from mes_bridge import signing
from mes_bridge.lifecycle import EventKind
from mes_bridge.model import Event, OperationActual
from mes_bridge.payloads import event_document
from tests.conftest import api_log_in
from tests.flow.conftest import SAMPLES, named_configuration

EVENTS_TOKEN = {"Authorization": "Bearer c2m_test-simulator-events-token"}
CUSTOMER = {
    "name": "Wang Fang",
    "email": "wang.fang@example.com",
    "phone": "+86 757 2222 3333",
    "address": "Daliang Street 88, Shunde, Foshan",
}


@pytest.fixture()
def plant(settings: Settings, app: Flask) -> Iterator[Flask]:
    bootstrap.load_catalogue(settings.with_changes(products_dir=SAMPLES))
    yield app


@pytest.fixture()
def planner(plant: Flask) -> FlaskClient:
    with unit_of_work(plant.extensions["c2m.sessions"]) as session:
        auth.create_user(session, "mei", "correct horse", "planner")
    client = plant.test_client()
    answer = api_log_in(client, "mei", "correct horse")
    assert answer.status_code == 200
    return client


def order_body(model: str = "sofa", configuration: str = "compact_grey") -> dict[str, Any]:
    return {
        "model": model,
        "choices": named_configuration(model, configuration),
        "customer": CUSTOMER,
    }


@pytest.fixture()
def place(plant: Flask) -> Callable[[str], dict[str, Any]]:
    def placed(key: str, model: str = "sofa", configuration: str = "compact_grey") -> Any:
        body = order_body(model, configuration)
        headers = {"Idempotency-Key": key}
        answer = plant.test_client().post("/api/v1/orders", json=body, headers=headers)
        assert answer.status_code in {200, 201}, answer.get_json()
        return answer.get_json()

    return placed


def queued_run_ids(app: Flask) -> list[int]:
    with app.extensions["c2m.sessions"]() as session:
        return list(session.scalars(select(PlanRun.id).where(PlanRun.status == "queued")))


def work_order_numbers(app: Flask) -> list[str]:
    with app.extensions["c2m.sessions"]() as session:
        return list(session.scalars(select(WorkOrder.number).order_by(WorkOrder.id)))


def post_event(app: Flask, settings: Settings, event: Event) -> Any:
    body = json.dumps(event_document(event)).encode()
    headers = signing.sign_headers(settings.mes_secret, event.event_id, body)
    return app.test_client().post(
        "/api/mes/v1/events",
        data=body,
        headers={**headers, **EVENTS_TOKEN, "Content-Type": "application/json"},
    )


def actual(
    operation: str, machine: str, start: datetime, end: datetime | None, kind: EventKind
) -> OperationActual:
    return OperationActual(operation, kind, machine, start, end)
