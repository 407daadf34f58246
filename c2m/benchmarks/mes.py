"""`c2m bench mes`: deliveries per second through the dispatcher with one and two worker
processes (the peer of each other in the same run), and the time to drain a backlog after an
MES outage. Real processes: PostgreSQL, Redis, Celery workers, the MES simulator over HTTP."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from celery import Celery

from c2m.app import create_app
from c2m.benchmarks import setup
from c2m.celery_app import celery_config
from c2m.settings import Settings
from mes_bridge.model import PayloadFormat


@dataclass(frozen=True)
class BenchConfig:
    settings: Settings
    work_orders: int
    outage_seconds: float


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_BENCH_SECRET_KEY = secrets.token_urlsafe(32)


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "C2M_DATABASE_URL": settings.database_url,
        "C2M_BROKER_URL": settings.broker_url,
        "C2M_MES_URL": settings.mes_url,
        "C2M_MES_SECRET": settings.mes_secret,
        # Every process the benchmark starts shares one key, as a deployment's hosts do.
        "C2M_SECRET_KEY": settings.secret_key or _BENCH_SECRET_KEY,
        "C2M_INSTANCE_DIR": str(settings.instance_dir),
        "C2M_LOG_LEVEL": "WARNING",
        **extra,
    }


@contextmanager
def processes(commands: list[list[str]], env: dict[str, str]) -> Iterator[None]:
    started = [
        subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for c in commands
    ]
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


def simulator_command(settings: Settings) -> list[str]:
    port = settings.mes_url.rsplit(":", 1)[1]
    return [sys.executable, "-m", "c2m", "mes-sim", "--port", port, "--speed", "100000"]


def worker_commands(count: int, beat: bool = False) -> list[list[str]]:
    base = [sys.executable, "-m", "c2m", "worker", "--concurrency", "2"]
    return [base + (["--beat"] if beat and i == 0 else ["--no-beat"]) for i in range(count)]


def _wait_http(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"the MES simulator did not start at {url}")


def _wait_delivered(sessions, total: int, timeout: float = 900) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while setup.delivered_count(sessions) < total:
        if time.monotonic() - started > timeout:
            raise RuntimeError("deliveries did not finish in time")
        time.sleep(0.05)
    return time.monotonic() - started


def throughput(config: BenchConfig, sessions, celery: Celery, workers: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    ids = setup.reset_outbox(sessions)
    settings = config.settings
    with processes([simulator_command(settings)], _env(settings)):
        _wait_http(settings.mes_url + "/_sim/health")
        with processes(worker_commands(workers), _env(settings)):
            time.sleep(3)  # workers connected
            for message_id in ids:
                celery.send_task("c2m.deliver", args=[message_id])
            seconds = _wait_delivered(sessions, len(ids))
    return {
        "workers": workers,
        "messages": len(ids),
        "seconds": round(seconds, 2),
        "deliveries_per_s": round(len(ids) / seconds, 1),
    }


def drain_after_outage(config: BenchConfig, sessions, celery: Celery) -> dict[str, float]:  # type: ignore[no-untyped-def]
    ids = setup.reset_outbox(sessions)
    settings = config.settings
    with processes(worker_commands(2, beat=True), _env(settings)):
        time.sleep(3)
        for message_id in ids:
            celery.send_task("c2m.deliver", args=[message_id])
        time.sleep(config.outage_seconds)  # every push meets a closed port: backoff grows
        with processes([simulator_command(settings)], _env(settings)):
            seconds = _wait_delivered(sessions, len(ids))
    return {
        "messages": len(ids),
        "outage_s": config.outage_seconds,
        "drain_s_after_recovery": round(seconds, 2),
    }


def run(config: BenchConfig) -> dict[str, object]:
    settings = config.settings.with_changes(mes_url=f"http://127.0.0.1:{_free_port()}")
    config = BenchConfig(settings, config.work_orders, config.outage_seconds)
    setup.fresh_database(settings)
    app = create_app(settings)
    sessions = app.extensions["c2m.sessions"]
    choices = _sofa_choices(settings.products_dir)
    began = time.monotonic()
    setup.place_orders(sessions, config.work_orders, choices, "bench")
    run_id, _operations = setup.packed_plan(sessions)
    placed = time.monotonic()
    setup.release_all(sessions, run_id, PayloadFormat(settings.mes_format))
    released = time.monotonic()
    celery = Celery("bench")
    celery.config_from_object(celery_config(settings))
    one, two = (throughput(config, sessions, celery, n) for n in (1, 2))
    return {
        "database": settings.database_url.split("@")[-1],
        "broker": settings.broker_url,
        "format": settings.mes_format,
        "work_orders": config.work_orders,
        "placed_per_s": round(config.work_orders / (placed - began), 1),
        "released_per_s": round(config.work_orders / (released - placed), 1),
        "one_worker": one,
        "two_workers": two,
        "ratio_two_to_one": round(two["deliveries_per_s"] / one["deliveries_per_s"], 2),
        "outage": drain_after_outage(config, sessions, celery),
    }


def _sofa_choices(products_dir: Path) -> dict[str, object]:
    import yaml

    document = yaml.safe_load((products_dir / "sofa" / "configurations.yaml").read_text())
    return dict(document["configurations"][0]["choices"])
