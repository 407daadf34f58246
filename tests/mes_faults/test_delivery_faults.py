"""Delivery to a misbehaving MES: nothing lost, exactly one effect per work order."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from c2m import dispatch
from c2m.models import Order, OutboxMessage, OutboxStatus, WorkOrder
from c2m.settings import Settings
from mes_bridge.lifecycle import WorkOrderState
from tests.conftest import free_port
from tests.flow.test_order_to_mes import wait_until
from tests.foundation.test_cli import run_c2m
from tests.mes_faults.conftest import config_for, drain, statuses

pytestmark = pytest.mark.usefixtures("no_background_worker")


@pytest.mark.slow
def test_mes_down_while_fifty_work_orders_are_released_then_the_backlog_drains(
    app: Flask,
    settings: Settings,
    release_orders,
    start_simulator,  # type: ignore[no-untyped-def]
) -> None:
    message_ids = release_orders(50)
    port = free_port()
    config = config_for(f"http://127.0.0.1:{port}", settings)
    sessions = app.extensions["c2m.sessions"]
    verdicts = {dispatch.deliver(sessions, config, message_id) for message_id in message_ids}
    assert verdicts == {"retry"}, "nobody listens: every push must be retried later"
    assert set(statuses(app)) == {OutboxStatus.PENDING}
    simulator = start_simulator(port=port)
    drain(app, config)
    assert set(statuses(app)) == {OutboxStatus.DELIVERED}
    effects = simulator.state()["effects"]
    assert len(effects) == 50 and set(effects.values()) == {1}


def test_an_mes_that_applies_but_answers_after_the_timeout_gets_no_second_effect(
    app: Flask,
    settings: Settings,
    release_orders,
    start_simulator,  # type: ignore[no-untyped-def]
) -> None:
    [message_id] = release_orders(1)
    simulator = start_simulator("--slow", "2.5")
    config = config_for(simulator.url, settings, read_timeout=1.0)
    sessions = app.extensions["c2m.sessions"]
    assert dispatch.deliver(sessions, config, message_id) == "retry"
    wait_until(
        lambda: simulator.state()["effects"], what="applied by the MES"
    )  # applied, answer lost
    simulator.set_faults(slow_seconds=0.0)
    drain(app, config)
    state = simulator.state()
    assert set(state["effects"].values()) == {1}
    assert state["duplicates_total"] >= 1, "the retry reached the MES and was recognised"


def test_5xx_and_429_storms_are_retried_honouring_retry_after(
    app: Flask,
    settings: Settings,
    release_orders,
    start_simulator,  # type: ignore[no-untyped-def]
) -> None:
    release_orders(3)
    simulator = start_simulator("--error-first", "2", "--throttle-first", "2", "--retry-after", "1")
    drain(app, config_for(simulator.url, settings))
    assert set(statuses(app)) == {OutboxStatus.DELIVERED}
    with app.extensions["c2m.sessions"]() as session:
        attempts = [row.attempts for row in session.scalars(select(OutboxMessage))]
    assert min(attempts) >= 3
    assert set(simulator.state()["effects"].values()) == {1}


def test_a_rejected_work_order_is_not_retried_and_goes_back_to_planning(
    app: Flask,
    settings: Settings,
    release_orders,
    start_simulator,  # type: ignore[no-untyped-def]
) -> None:
    [message_id] = release_orders(1)
    with app.extensions["c2m.sessions"]() as session:
        number = session.scalars(select(WorkOrder.number)).one()
    simulator = start_simulator("--reject-id", number, "--reject-status", "422")
    config = config_for(simulator.url, settings)
    assert dispatch.deliver(app.extensions["c2m.sessions"], config, message_id) == "rejected"
    drain(app, config)
    with app.extensions["c2m.sessions"]() as session:
        row = session.get_one(OutboxMessage, message_id)
        work_order = session.scalars(select(WorkOrder)).one()
        order = session.scalars(select(Order)).one()
        assert (row.status, row.attempts) == (OutboxStatus.REJECTED, 1)
        assert work_order.state is WorkOrderState.REJECTED and "422" in work_order.reason
        assert order.status is WorkOrderState.PLANNED
    assert simulator.state()["effects"].get(number, 0) == 0


def test_a_dead_letter_is_replayed_from_the_command_line_with_the_same_key(
    app: Flask,
    settings: Settings,
    release_orders,
    start_simulator,
    service_env,  # type: ignore[no-untyped-def]
) -> None:
    [message_id] = release_orders(1)
    port = free_port()
    config = config_for(f"http://127.0.0.1:{port}", settings)
    drain(app, config)  # nobody listens: retries run out and the message is dead-lettered
    assert statuses(app) == [OutboxStatus.DEAD]
    listed = run_c2m("outbox", "dead", env=service_env)
    assert message_id in listed.stdout and "gave up" in listed.stdout
    replayed = run_c2m("outbox", "replay", message_id, env=service_env)
    assert replayed.returncode == 0, replayed.stderr
    simulator = start_simulator(port=port)
    drain(app, config)
    assert statuses(app) == [OutboxStatus.DELIVERED]
    assert set(simulator.state()["effects"].values()) == {1}
