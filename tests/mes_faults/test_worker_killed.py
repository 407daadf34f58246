"""A worker killed with SIGKILL in the middle of a push: the message is not lost and the MES
sees exactly one effect."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import select

from c2m.models import OutboxMessage, OutboxStatus, WorkOrder
from tests.flow.test_order_to_mes import wait_until
from tests.mes_faults.conftest import Simulator


def outbox_status(app: Flask) -> OutboxStatus:
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(OutboxMessage.status)).one()


def test_a_push_interrupted_by_a_killed_worker_is_delivered_once_by_the_next(
    app: Flask,
    release_orders,
    celery_worker_process,
    mes_simulator: str,  # type: ignore[no-untyped-def]
) -> None:
    simulator = Simulator(mes_simulator, None)  # type: ignore[arg-type]
    before = simulator.state()["effects"]  # the session's simulator saw earlier tests too
    simulator.set_faults(slow_seconds=8.0)  # applies, then holds the answer past the kill
    try:
        release_orders(1)  # the worker's sweeper finds the outbox row and pushes it
        wait_until(lambda: outbox_status(app) is OutboxStatus.IN_FLIGHT, what="push claimed")
        time.sleep(1.0)  # the request is on the wire (or being applied) when the worker dies
        celery_worker_process.kill()
        simulator.set_faults(slow_seconds=0.0)
        assert outbox_status(app) is OutboxStatus.IN_FLIGHT
        celery_worker_process.start()
        wait_until(lambda: outbox_status(app) is OutboxStatus.DELIVERED, what="redelivery")
    finally:
        simulator.set_faults(slow_seconds=0.0)
    with app.extensions["c2m.sessions"]() as session:
        number = session.scalars(select(WorkOrder.number)).one()
    assert simulator.state()["effects"][number] - before.get(number, 0) == 1
