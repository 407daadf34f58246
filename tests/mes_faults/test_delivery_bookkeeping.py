"""The dispatcher's bookkeeping at the level `c2m serve` logs at (INFO): every verdict is
recorded and logged as one JSON line, so rows leave IN_FLIGHT and dead letters do appear."""

from __future__ import annotations

import json
import logging
import time

import pytest
from flask import Flask

from c2m import dispatch
from c2m.logging_setup import JsonFormatter
from c2m.models import OutboxMessage, OutboxStatus
from c2m.settings import Settings
from tests.conftest import LOG_LEVEL, free_port
from tests.mes_faults.conftest import FAST_RETRIES, config_for

pytestmark = pytest.mark.usefixtures("no_background_worker")


def delivery_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:  # type: ignore[type-arg]
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.getMessage() == "outbox delivery"
    ]


def row(app: Flask, message_id: str) -> OutboxMessage:
    with app.extensions["c2m.sessions"]() as session:
        return session.get_one(OutboxMessage, message_id)


def test_the_suite_logs_at_the_production_level() -> None:
    assert LOG_LEVEL == "INFO" and logging.getLogger().getEffectiveLevel() == logging.INFO


def test_a_delivery_is_recorded_and_logged_with_its_message_id(
    app: Flask,
    settings: Settings,
    release_orders,
    start_simulator,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    [message_id] = release_orders(1)
    simulator = start_simulator()
    sessions = app.extensions["c2m.sessions"]
    assert (
        dispatch.deliver(sessions, config_for(simulator.url, settings), message_id) == "delivered"
    )
    assert row(app, message_id).status is OutboxStatus.DELIVERED
    [line] = delivery_lines(caplog)
    assert (line["message_id"], line["verdict"], line["attempt"]) == (message_id, "delivered", 1)
    assert line["message"] == "outbox delivery" and line["level"] == "INFO"


def test_an_mes_that_never_answers_ends_in_a_dead_letter(
    app: Flask,
    settings: Settings,
    release_orders,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    [message_id] = release_orders(1)
    nobody_listens = config_for(f"http://127.0.0.1:{free_port()}", settings)
    sessions = app.extensions["c2m.sessions"]
    verdicts = []
    for _ in range(FAST_RETRIES.max_attempts):
        time.sleep(FAST_RETRIES.max_delay)  # the retry is due again
        verdicts.append(dispatch.deliver(sessions, nobody_listens, message_id))
    assert verdicts == ["retry"] * (FAST_RETRIES.max_attempts - 1) + ["dead_letter"]
    assert row(app, message_id).status is OutboxStatus.DEAD
    assert [line["verdict"] for line in delivery_lines(caplog)] == verdicts
