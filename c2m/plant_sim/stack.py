"""The stack the simulator drives when no `--url` is given: web, workers, one scheduler and
the MES simulator as separate processes on free ports, one scratch instance folder, one
business clock.

The scheduler is a `c2m beat` process of its own, as in production (exactly one beat per
deployment), and every worker runs without one. Killing a worker therefore never stops the
sweeper or the MES reconciliation: the sweeper goes on re-sending what the killed worker left
behind while its successor starts, and no two beats ever overlap. A beat that dies on its own
is restarted like a worker (and reported).

On PostgreSQL (C2M_DATABASE_URL set) a scratch database is created beside the given one and
dropped at the end, so a run never mixes with earlier data; the Redis db is used as given.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests
import yaml

from configurator.samples import SAMPLE_PRODUCTS

PLANNER = "sim-planner"
START_TIMEOUT_S = 90.0
MAX_REVIVALS = 5  # a worker that keeps dying is not restarted for ever


class StackError(RuntimeError):
    """A piece of the stack did not start; the message says which and shows its log tail."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class StackSpec:
    speed: float
    anchor: datetime
    workers: int = 1
    worker_concurrency: int = 4  # plan runs hold a slot for seconds; deliveries need one too
    seed: int = 1
    keep: bool = False  # leave the instance folder for a post-mortem
    plant_scale: float = 1.0  # machines this many times faster (setups shorter) than sampled
    start: datetime | None = None  # business time at the anchor (None: the anchor itself)


@dataclass
class Process:
    name: str
    command: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    replaced: bool = False  # a successor has been started

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, chars: int = 1500) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def purge_amqp_queues(url: str) -> None:
    """No tasks of older runs: a RabbitMQ vhost keeps its queues, unlike the scratch database.
    Deleted rather than purged, so that Celery declares them afresh with its own arguments."""
    from kombu import Connection

    from c2m.celery_app import QUEUES

    with Connection(url) as connection:
        for queue in QUEUES:
            connection.default_channel.queue_delete(queue=queue)


@dataclass
class Stack:
    spec: StackSpec
    instance_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="c2m-sim-")))
    env: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    url: str = ""
    mes_url: str = ""
    planner_password: str = field(default_factory=lambda: uuid.uuid4().hex)
    scratch_database: str | None = None

    def start(self) -> None:
        web_port, mes_port = free_port(), free_port()
        self.url, self.mes_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{mes_port}"
        self.env = self._environment(web_port, mes_port)
        self._cli("db", "upgrade")
        self._cli("products", "load")
        self._cli(
            "users", "create", PLANNER, "--role", "planner", "--password", self.planner_password
        )
        created = self._cli(
            "mes-clients", "create", "sim-mes", "--scope", "events", "--scope", "pull"
        )
        token = created.rsplit(" ", 1)[-1].strip()
        self._spawn(
            "mes-sim",
            "mes-sim",
            "--port",
            str(mes_port),
            "--seed",
            str(self.spec.seed),
            "--callback-url",
            f"{self.url}/api/mes/v1/events",
            "--callback-token",
            token,
            "--callback-attempts",
            "30",
        )
        # `c2m serve` as deployed: gunicorn, C2M_WEB_WORKERS processes (c2m.web_server).
        self._spawn("web", "serve", "--no-worker", "--no-mes-sim", "--port", str(web_port))
        self.start_beat()
        for _ in range(self.spec.workers):
            self.start_worker()
        self._wait_for(f"{self.mes_url}/_sim/health", "mes-sim")
        self._wait_for(f"{self.url}/healthz", "web")

    def _environment(self, web_port: int, mes_port: int) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("C2M_")}
        env = {
            **base,
            "C2M_INSTANCE_DIR": str(self.instance_dir),
            "C2M_PORT": str(web_port),
            "C2M_MES_SIM_PORT": str(mes_port),
            "C2M_MES_URL": f"http://127.0.0.1:{mes_port}",
            "C2M_CLOCK_SPEED": repr(self.spec.speed),
            "C2M_CLOCK_ANCHOR": self.spec.anchor.isoformat(),
            "C2M_CLOCK_START": (self.spec.start or self.spec.anchor).isoformat(),
            "C2M_EMBEDDED_WORKER": "0",
            "C2M_LOG_LEVEL": "INFO",  # the production level: defect 3 shows only there
            "C2M_MES_CLAIM_TIMEOUT_S": "30",
            # A re-plan searching 20 wall seconds is hours of business time at these speeds.
            "C2M_REPLAN_TIME_LIMIT_S": os.environ.get("C2M_REPLAN_TIME_LIMIT_S") or "3",
            "PYTHONUNBUFFERED": "1",
            # Every simulated consumer calls from 127.0.0.1, so the per-address API limit
            # would count the whole simulated market as one client.
            "C2M_RATE_LIMIT_API": os.environ.get("C2M_RATE_LIMIT_API") or "1000000 per minute",
            # One secret for pushes and callbacks, given to web, workers and MES alike; the
            # session key too: outside the embedded default the servers require both.
            "C2M_MES_SECRET": "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
            "C2M_SECRET_KEY": secrets.token_urlsafe(32),
        }
        passed_on = ("C2M_DATABASE_URL", "C2M_BROKER_URL", "C2M_MES_FORMAT", "C2M_PRODUCTS_DIR",
                     "C2M_PROMISE_MARGIN", "C2M_PROMISE_MARGIN_MIN_HOURS", "C2M_B2MML_DIR",
                     "C2M_MES_RECONCILE_EVERY_S")
        for name in passed_on:
            if os.environ.get(name):
                env[name] = os.environ[name]
        if self.spec.plant_scale != 1:
            source = Path(env.get("C2M_PRODUCTS_DIR") or SAMPLE_PRODUCTS)
            env["C2M_PRODUCTS_DIR"] = str(
                scaled_products(source, self.instance_dir / "products", self.spec.plant_scale)
            )
        if env.get("C2M_DATABASE_URL", "").startswith(("postgresql", "postgres")):
            env["C2M_DATABASE_URL"] = self._create_scratch_database(env["C2M_DATABASE_URL"])
        if env.get("C2M_BROKER_URL", "").startswith("redis://"):
            import redis

            redis.Redis.from_url(env["C2M_BROKER_URL"]).flushdb()  # no tasks of older runs
        if env.get("C2M_BROKER_URL", "").startswith(("amqp://", "pyamqp://")):
            purge_amqp_queues(env["C2M_BROKER_URL"])
        return env

    def _create_scratch_database(self, url: str) -> str:
        import psycopg

        base, _, database = url.rpartition("/")
        self.scratch_database = f"{database.split('?')[0]}_sim_{os.getpid()}"
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.scratch_database}"')
            connection.execute(f'CREATE DATABASE "{self.scratch_database}"')
        self._admin_url = url
        return f"{base}/{self.scratch_database}"

    def _cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "c2m", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise StackError(f"c2m {' '.join(args[:2])} failed: {done.stderr[-1500:]}")
        return done.stdout

    def _spawn(self, name: str, *args: str) -> Process:
        process = Process(
            name, [sys.executable, "-m", "c2m", *args], self.instance_dir / f"{name}.log"
        )
        with process.log.open("ab") as log:
            process.popen = subprocess.Popen(
                process.command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a SIGKILL takes its children
            )
        self.processes.append(process)
        return process

    def start_worker(self) -> Process:
        """A worker on every queue, without a scheduler (the stack's `c2m beat` is the one)."""
        count = sum(p.name.startswith("worker") for p in self.processes)
        args = ["worker", "--concurrency", str(self.spec.worker_concurrency), "--no-beat"]
        return self._spawn(f"worker-{count + 1}", *args)

    def start_beat(self) -> Process:
        count = sum(p.name.startswith("beat") for p in self.processes)
        return self._spawn("beat" if not count else f"beat-{count + 1}", "beat")

    def workers(self) -> list[Process]:
        return [p for p in self.processes if p.name.startswith("worker") and p.alive()]

    def kill_worker(self) -> str:
        """SIGKILL the first live worker and all it forked, as a crash would; a new one takes
        its place (the beat runs on meanwhile). Returns the killed worker's name."""
        victim = self.workers()[0]
        os.killpg(victim.pid, signal.SIGKILL)
        assert victim.popen is not None
        victim.popen.wait(timeout=30)
        victim.replaced = True
        self.start_worker()
        return victim.name

    def revive_workers(self) -> list[str]:
        """Restart workers (and the beat) that died on their own, as a process supervisor
        would; returns their names (the report lists them: dying by itself is a finding)."""
        died = [
            p
            for p in self.processes
            if p.name.startswith(("worker", "beat"))
            and not p.replaced
            and p.popen is not None
            and p.popen.poll() is not None
        ]
        revived = sum(p.replaced for p in self.processes)
        for process in died[: max(0, MAX_REVIVALS - revived)]:
            process.replaced = True
            if process.name.startswith("beat"):
                self.start_beat()
            else:
                self.start_worker()
        return [p.name for p in died]

    def _wait_for(self, url: str, name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            dead = [p for p in self.processes if not p.alive()]
            if dead:
                raise StackError(f"{dead[0].name} exited at start:\n{dead[0].tail()}")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise StackError(f"{name} did not answer {url} within {START_TIMEOUT_S:.0f} s")

    def dead_processes(self) -> list[str]:
        return [
            p.name
            for p in self.processes
            if p.popen is not None and not p.alive() and p.popen.returncode != -signal.SIGKILL
        ]

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.alive():
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            if process.popen is None:
                continue
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.popen.wait(timeout=15)
        if self.scratch_database:
            self._drop_scratch_database()
        if not self.spec.keep:
            shutil.rmtree(self.instance_dir, ignore_errors=True)

    def _drop_scratch_database(self) -> None:
        import psycopg

        try:
            with psycopg.connect(
                self._admin_url.replace("+psycopg", ""), autocommit=True
            ) as connection:
                connection.execute(
                    f'DROP DATABASE IF EXISTS "{self.scratch_database}" WITH (FORCE)'
                )
        except psycopg.Error as error:
            print(f"scratch database {self.scratch_database} left behind: {error}", file=sys.stderr)


def scaled_products(source: Path, target: Path, scale: float) -> Path:
    """The same products in a plant `scale` times as fast: every machine's speed multiplied,
    every changeover divided (the sample plant makes ~20 orders a day; a soak needs 100+)."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name != "factory.yaml" and not (target / entry.name).exists():
            (target / entry.name).symlink_to(entry.resolve())
    factory = yaml.safe_load((source / "factory.yaml").read_text())
    for centre in factory["work_centres"]:
        for machine in centre["machines"]:
            machine["speed"] = float(machine.get("speed", 1)) * scale
    for family in factory.get("setup_families", []):
        family["default"] = max(1, round(family["default"] / scale))
        family["changeover"] = [
            [a, b, max(1, round(m / scale))] for a, b, m in family.get("changeover", [])
        ]
    (target / "factory.yaml").write_text(yaml.safe_dump(factory, allow_unicode=True))
    return target


def resident_kib(pid: int) -> int:
    """The resident memory (VmRSS) of a process and every process in its session (a
    worker's pool children, the web server's gunicorn workers), summed: the issue's measure.

    Resident, not proportional (PSS): the web workers fork from a master that holds the app,
    and as they run they copy pages they shared (reference counts write to every object
    touched). That moves a page from shared to private and raises the PSS sum by a page each
    time, up to the app's size per worker, without a byte leaking; VmRSS counts a page as
    resident before and after its copy, so its sum grows only with what is allocated. The
    shared pages are counted once per worker, which makes the base larger, not the growth."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            session = int(stat.rsplit(")", 1)[1].split()[3])
            if session == pid:
                total += _rss(entry)
        except (OSError, ValueError, IndexError):
            continue
    return total


def _rss(process: Path) -> int:
    match = re.search(r"^VmRSS:\s+(\d+) kB", (process / "status").read_text(), re.MULTILINE)
    return int(match.group(1)) if match else 0


def memory_of(processes: Mapping[str, Process]) -> dict[str, int]:
    return {name: resident_kib(p.pid) for name, p in processes.items() if p.alive()}
