"""Fault injection around the MES: a dedicated simulator process per test (real HTTP), the
real dispatcher code, and released work orders made through the real use cases."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from c2m import bootstrap, dispatch, orders, planning, release
from c2m.db import unit_of_work
from c2m.models import OutboxMessage, OutboxStatus, PlanRun
from c2m.settings import REPO_ROOT, Settings
from mes_bridge.delivery import Endpoint, RetryPolicy
from mes_bridge.model import PayloadFormat
from tests.conftest import child_env, free_port, wait_for_http
from tests.flow.conftest import named_configuration

SAMPLES = REPO_ROOT / "sample_products"
FAST_RETRIES = RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=0.3, max_retry_after=5)


class Simulator:
    def __init__(self, url: str, process: subprocess.Popen[bytes]) -> None:
        self.url, self.process = url, process

    def state(self) -> dict:  # type: ignore[type-arg]
        return requests.get(self.url + "/_sim/state", timeout=5).json()

    def set_faults(self, **faults: object) -> None:
        requests.post(self.url + "/_sim/faults", json=faults, timeout=5).raise_for_status()


@pytest.fixture()
def start_simulator(
    service_env: dict[str, str], session_server: str, tmp_path: Path
) -> Iterator[Callable[..., Simulator]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*flags: str, port: int | None = None) -> Simulator:
        port = port or free_port()
        log = (tmp_path / f"sim-{port}.log").open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "c2m",
                "mes-sim",
                "--port",
                str(port),
                "--speed",
                "20000",
                "--seed",
                "11",
                "--callback-url",
                session_server + "/api/mes/v1/events",
                *flags,
            ],
            env=child_env(service_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(url + "/_sim/health")
        return Simulator(url, process)

    yield start
    for process in started:
        process.kill()  # no further callbacks may reach the next test's database
        process.wait(timeout=20)


def config_for(url: str, settings: Settings, read_timeout: float = 5.0) -> dispatch.DispatchConfig:
    endpoint = Endpoint(
        url + "/work-orders", settings.mes_secret, connect_timeout=1.0, read_timeout=read_timeout
    )
    return dispatch.DispatchConfig(endpoint, FAST_RETRIES, claim_timeout=timedelta(seconds=15))


@pytest.fixture()
def release_orders(settings: Settings, app: Flask) -> Callable[[int], list[str]]:
    """Place `count` sofa orders, plan them, release: returns the outbox message ids."""
    bootstrap.load_catalogue(settings.with_changes(products_dir=SAMPLES))
    sessions = app.extensions["c2m.sessions"]
    customer = orders.Customer(
        "王芳", "wangfang@example.com", "+86 139 0000 0000", "广东省佛山市顺德区容桂街道 12 号"
    )

    def make(count: int) -> list[str]:
        with unit_of_work(sessions) as session:
            for number in range(count):
                orders.place_order(
                    session,
                    model="sofa",
                    choices=named_configuration("sofa", "compact_grey"),
                    customer=customer,
                    idempotency_key=f"fault-order-{number:04d}",
                )
            run_id = planning.request_plan(session, "insert").id
        planning.carry_out(sessions, SAMPLES, run_id)
        with unit_of_work(sessions) as session:
            run = session.get_one(PlanRun, run_id)
            assert run.is_current, run.message
            created = release.release(session, run_id, PayloadFormat.B2MML_V0701)
            return release.pending_messages(session, created)

    return make


def drain(app: Flask, config: dispatch.DispatchConfig, timeout: float = 60) -> None:
    """What the sweeper does, until nothing is pending or in flight."""
    sessions = app.extensions["c2m.sessions"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message_id in dispatch.due_messages(sessions):
            dispatch.deliver(sessions, config, message_id)
        if not open_messages(app):
            return
        time.sleep(0.05)
    raise AssertionError(f"outbox not drained: {open_messages(app)}")


def open_messages(app: Flask) -> list[str]:
    with app.extensions["c2m.sessions"]() as session:
        return list(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT])
                )
            )
        )


def statuses(app: Flask) -> list[OutboxStatus]:
    with app.extensions["c2m.sessions"]() as session:
        return [row.status for row in session.scalars(select(OutboxMessage))]


from tests.mes_faults.servers import private_postgres, private_redis  # noqa: E402, F401
