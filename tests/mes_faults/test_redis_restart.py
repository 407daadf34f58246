"""Redis (no persistence) restarted under a running worker: the queue is lost, the outbox is
not, and the worker's sweeper drains it once the MES answers again."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from c2m.models import OutboxMessage, OutboxStatus, WorkOrder
from mes_bridge.lifecycle import WorkOrderState
from tests.conftest import WorkerHandle
from tests.flow.test_order_to_mes import wait_until
from tests.mes_faults.conftest import Simulator


def delivered(app: Flask) -> bool:
    with app.extensions["c2m.sessions"]() as session:
        rows = session.scalars(select(OutboxMessage.status)).all()
    return bool(rows) and set(rows) == {OutboxStatus.DELIVERED}


def completed(app: Flask) -> bool:
    with app.extensions["c2m.sessions"]() as session:
        states = session.scalars(select(WorkOrder.state)).all()
    return bool(states) and set(states) == {WorkOrderState.COMPLETED}


def test_a_broker_restart_loses_no_work_order(
    app: Flask,
    release_orders,
    private_redis,
    service_env,
    celery_worker_process,  # type: ignore[no-untyped-def]
    mes_simulator: str,
) -> None:
    celery_worker_process.stop()  # only the worker on the private broker may deliver here
    worker = WorkerHandle({**service_env, "C2M_BROKER_URL": private_redis.url})
    simulator = Simulator(mes_simulator, None)  # type: ignore[arg-type]
    before = simulator.state()["effects"]  # the session's simulator saw earlier tests too
    simulator.set_faults(down=True)
    try:
        worker.start()
        release_orders(5)
        wait_until(lambda: simulator.state()["injected"]["dropped"] >= 5, what="pushes dropped")
        private_redis.stop()
        private_redis.start()
        simulator.set_faults(down=False)
        wait_until(lambda: delivered(app), what="backlog drained")
        # The session's simulator calls back until the work orders are done; let it finish
        # here, or its late callbacks land in the next test's database while it is cleaned.
        wait_until(lambda: completed(app), what="work orders completed at the MES")
    finally:
        simulator.set_faults(down=False)
        worker.stop()
        celery_worker_process.start()
    effects = simulator.state()["effects"]
    with app.extensions["c2m.sessions"]() as session:
        numbers = set(session.scalars(select(WorkOrder.number)).all())
    assert len(numbers) == 5
    assert {effects[n] - before.get(n, 0) for n in numbers} == {1}
