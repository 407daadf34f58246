"""A plan run waiting (or computing) never holds up a push to the MES: plan runs and MES
deliveries travel on queues of their own, and a worker consuming only `mes` delivers while a
plan task sits untouched in `plan`."""

from __future__ import annotations

import pytest
from celery import Celery
from flask import Flask
from sqlalchemy import select

from c2m.models import OutboxMessage, OutboxStatus, WorkOrder
from mes_bridge.lifecycle import WorkOrderState
from tests.conftest import WorkerHandle
from tests.flow.test_order_to_mes import wait_until
from tests.mes_faults.conftest import Simulator

pytestmark = pytest.mark.usefixtures("no_background_worker")
NO_SUCH_RUN = 2_000_000_000  # the plan task only has to wait; no worker may take it


def queue_size(celery: Celery, queue: str) -> int:
    with celery.connection_for_write() as connection:
        return int(connection.default_channel.queue_declare(queue=queue).message_count)


def purge(celery: Celery, queue: str) -> None:
    with celery.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)


def work_order_states(app: Flask) -> set[WorkOrderState]:
    with app.extensions["c2m.sessions"]() as session:
        return set(session.scalars(select(WorkOrder.state)))


def test_a_worker_on_the_mes_queue_delivers_while_a_plan_task_waits_in_plan(
    app: Flask,
    release_orders,
    service_env: dict[str, str],
    clean_broker: str,
    mes_simulator: str,  # type: ignore[no-untyped-def]
) -> None:
    celery = app.extensions["celery"]
    simulator = Simulator(mes_simulator, None)  # type: ignore[arg-type]
    before = simulator.state()["effects"]  # the session's simulator saw earlier tests too
    purge(celery, "plan")
    worker = WorkerHandle(service_env, queues="mes", beat=False)
    worker.start()
    try:
        celery.send_task("c2m.plan", args=[NO_SUCH_RUN])  # as the web does after a commit
        message_ids = release_orders(2)
        for message_id in message_ids:
            celery.send_task("c2m.deliver", args=[message_id])

        def delivered() -> bool:
            with app.extensions["c2m.sessions"]() as session:
                rows = session.scalars(select(OutboxMessage.status)).all()
            return set(rows) == {OutboxStatus.DELIVERED}

        wait_until(delivered, timeout=45, what="pushes delivered by the mes-only worker")
        assert queue_size(celery, "plan") == 1  # still waiting: nobody consumes `plan`
        # Let the session's MES finish reporting, or its late callbacks land in the next
        # test's database while it is cleaned.
        wait_until(
            lambda: work_order_states(app) == {WorkOrderState.COMPLETED},
            timeout=45,
            what="work orders completed at the MES",
        )
    finally:
        worker.stop()
        purge(celery, "plan")
    with app.extensions["c2m.sessions"]() as session:
        numbers = set(session.scalars(select(WorkOrder.number)))
    effects = simulator.state()["effects"]
    assert len(numbers) == 2 and {effects[n] - before.get(n, 0) for n in numbers} == {1}
