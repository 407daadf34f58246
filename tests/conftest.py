"""Fixtures shared by every suite: settings for the database and broker under test.

The suite runs twice in CI: on the embedded default (SQLite file, SQLAlchemy broker) and,
with C2M_DATABASE_URL / C2M_BROKER_URL set, on PostgreSQL and Redis. Outside CI a missing
service or browser skips its tests; under CI=true it fails them.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from werkzeug.test import TestResponse

from c2m.app import create_app
from c2m.db import make_engine
from c2m.logging_setup import configure_logging
from c2m.models import Base
from c2m.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# What every developer and CI share (benchmarks, B2MML schemas) lies beside the checkout.
SHARED = Path(os.environ.get("C2M_SHARED_DIR") or REPO.parent / "shared")
# c2m finds B2MML schemas and benchmark instances only through its settings; the suite hands
# it the shared sets (in this process and, through the environment, in every process it
# starts).
for variable, folder in (("C2M_B2MML_DIR", "standards/b2mml"),
                         ("C2M_FJSP_DIR", "benchmarks/fjsp"),
                         ("C2M_CONFIGURATION_BENCHMARKS", "benchmarks/configuration")):
    if (SHARED / folder).is_dir():
        os.environ.setdefault(variable, str(SHARED / folder))
# `c2m serve` logs at INFO: a log call that breaks only when its level is enabled must break here.
LOG_LEVEL = "INFO"


def pytest_configure(config: pytest.Config) -> None:
    """In-process apps log through the JSON setup `c2m serve` installs, at its level. Done
    before any test so pytest's own capture handlers are added on top of it, not removed."""
    configure_logging(LOG_LEVEL)


def require(condition: bool, reason: str) -> None:
    """Skip outside CI, fail under CI: in CI nothing may be silently skipped."""
    if condition:
        return
    if UNDER_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def service_env(instance_dir: Path) -> dict[str, str]:
    """The C2M_* variables of the configuration under test (for child processes too)."""
    env = {
        "C2M_INSTANCE_DIR": str(instance_dir),
        "C2M_DATABASE_URL": os.environ.get("C2M_DATABASE_URL")
        or f"sqlite:///{instance_dir / 'c2m.sqlite'}",
        "C2M_BROKER_URL": os.environ.get("C2M_BROKER_URL")
        or f"sqla+sqlite:///{instance_dir / 'broker.sqlite'}",
        "C2M_SECRET_KEY": "test-secret",
        "C2M_B2MML_DIR": os.environ.get("C2M_B2MML_DIR", ""),
        "C2M_LOG_LEVEL": LOG_LEVEL,
        # One simulator and one web server per test session; workers deliver to them.
        "C2M_MES_SECRET": "whsec_" + base64.b64encode(b"c2m-test-mes-secret-0123").decode(),
        "C2M_MES_SIM_PORT": str(free_port()),
        "C2M_PORT": str(free_port()),
        # A push answers within 10 s or is retried; a claim older than 12 s is presumed lost.
        "C2M_MES_READ_TIMEOUT_S": "10",
        "C2M_MES_CLAIM_TIMEOUT_S": "12",
        # The simulators' bearer token (scope events); every clean database gets it again.
        "C2M_MES_CALLBACK_TOKEN": "c2m_test-simulator-events-token",
    }
    env["C2M_MES_URL"] = f"http://127.0.0.1:{env['C2M_MES_SIM_PORT']}"
    return env


@pytest.fixture(scope="session")
def settings(service_env: dict[str, str]) -> Settings:
    return load_settings(service_env).with_changes(testing=True)


@pytest.fixture(scope="session")
def migrated_database(settings: Settings) -> str:
    """A database at the head migration, emptied first so every run starts the same."""
    from c2m import migrate

    engine = make_engine(settings.database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    migrate.upgrade(settings.database_url)
    return settings.database_url


def empty_database(url: str, service_env: dict[str, str]) -> None:
    """Every table empty, but for the simulators' MES client."""
    from c2m import auth
    from c2m.db import make_session_factory, unit_of_work

    engine = make_engine(url)
    for attempt in range(10):
        try:
            with engine.begin() as connection:
                for table in reversed(Base.metadata.sorted_tables):
                    connection.execute(table.delete())
            break
        except DBAPIError:
            # A late MES callback or a worker's sweep wrote between two deletes: again.
            if attempt == 9:
                raise
            time.sleep(0.2)
    with unit_of_work(make_session_factory(engine)) as session:
        auth.install_client_token(
            session, "mes-simulator", ("events", "pull"), service_env["C2M_MES_CALLBACK_TOKEN"]
        )
    engine.dispose()


@pytest.fixture()
def clean_database(migrated_database: str, service_env: dict[str, str]) -> Iterator[str]:
    """Every table empty at the start of the test, but for the simulators' MES client."""
    empty_database(migrated_database, service_env)
    yield migrated_database


@pytest.fixture()
def app(settings: Settings, clean_database: str) -> Flask:
    return create_app(settings)


@pytest.fixture()
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


def child_env(service_env: dict[str, str], **extra: str) -> dict[str, str]:
    return {**os.environ, **service_env, **extra}


def api_log_in(client: FlaskClient, username: str, password: str) -> TestResponse:
    """Log in through the JSON API as a script would. A session cookie alone no longer
    authorises a state-changing API call (it would ride along on a cross-site form too), so
    the client then sends the session's CSRF token on every request, as htmx does."""
    answer = client.post("/api/v1/session", json={"username": username, "password": password})
    if answer.status_code == 200:
        client.environ_base["HTTP_X_CSRFTOKEN"] = answer.get_json()["csrf_token"]
    return answer


@pytest.fixture(scope="session")
def clean_broker(service_env: dict[str, str]) -> str:
    """No messages left over from an earlier run (ours is the only user of that Redis db)."""
    url = service_env["C2M_BROKER_URL"]
    if url.startswith("redis://"):
        import redis

        redis.Redis.from_url(url).flushdb()
    return url


RUNNING_WORKERS: list[WorkerHandle] = []


class WorkerHandle:
    """A real `c2m worker` process that a test may kill and restart.

    By default it is the whole back end of the configuration under test, as `c2m serve` starts
    it: every queue, and the scheduler (sweep, MES reconciliation) in-process, so a restarted
    worker brings the sweeper back with it. The suite runs one such worker at a time (tests
    that start their own stop or pause the session's first): exactly one beat. A worker for
    some queues only, or without beat, is asked for with `queues` / `beat`."""

    def __init__(
        self, service_env: dict[str, str], queues: str | None = None, beat: bool = True
    ) -> None:
        self.env = child_env(service_env)
        self.log_path = Path(service_env["C2M_INSTANCE_DIR"]) / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.options = ["--beat" if beat else "--no-beat"]
        self.options += ["--queues", queues] if queues else []
        RUNNING_WORKERS.append(self)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "c2m", "worker", "--concurrency", "2", *self.options],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        time.sleep(0.5)
        if self.process.poll() is not None:
            pytest.fail(f"worker exited at start: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the worker and every process it forked, as a crash would."""
        assert self.process is not None
        os.killpg(self.process.pid, 9)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture(scope="session", autouse=True)
def no_worker_outlives_the_session() -> Iterator[None]:
    """Workers run in their own sessions (so a test can kill one with its children); make sure
    none is left behind, whatever happened in between."""
    yield
    for worker in RUNNING_WORKERS:
        worker.stop()


@contextmanager
def workers_paused() -> Iterator[None]:
    """The session's running workers (and their sweepers) stop meanwhile, then start again."""
    paused = [worker for worker in RUNNING_WORKERS if worker.running]
    for worker in paused:
        worker.stop()
    yield
    for worker in paused:
        worker.start()


@pytest.fixture()
def no_background_worker() -> Iterator[None]:
    """Tests that deliver in-process: the session's worker (and its sweeper, which would
    deliver the same outbox rows elsewhere) pauses meanwhile."""
    with workers_paused():
        yield


@pytest.fixture(scope="session")
def celery_worker_process(
    service_env: dict[str, str], migrated_database: str, clean_broker: str
) -> Iterator[WorkerHandle]:
    """A real worker on the broker under test, shared by the session."""
    worker = WorkerHandle(service_env)
    worker.start()
    yield worker
    worker.stop()


from c2m.commands.screenshots import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (one set of flags)

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's chromium driven by Playwright (its own browser download does not work here)."""
    require(CHROMIUM.exists(), "Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def live_server(app: Flask) -> Iterator[str]:
    """The app on a spare loopback port, in a thread of the test process."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keep what the browser showed as a test artifact. The caret is left as it is: hiding it
    leaves an empty style attribute on every input, which htmx copies onto the next panel's
    inputs, and the page's CSP (no inline styles) then reports it."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")


def wait_for_http(url: str, timeout: float = 30) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail(f"nothing answered at {url}")


@pytest.fixture(scope="session")
def session_server(
    settings: Settings, service_env: dict[str, str], migrated_database: str
) -> Iterator[str]:
    """c2m's web app on the session's C2M_PORT: the simulator posts its events here."""
    import threading

    from werkzeug.serving import make_server

    server = make_server(
        "127.0.0.1", int(service_env["C2M_PORT"]), create_app(settings), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def mes_simulator(service_env: dict[str, str], session_server: str) -> Iterator[str]:
    """The reference MES as its own process, fast enough that an order finishes in seconds."""
    port = service_env["C2M_MES_SIM_PORT"]
    log_path = Path(service_env["C2M_INSTANCE_DIR"]) / "mes-sim.log"
    with log_path.open("wb") as log:
        simulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "c2m",
                "mes-sim",
                "--port",
                port,
                "--speed",
                "20000",
                "--seed",
                "7",
                "--callback-url",
                session_server + "/api/mes/v1/events",
            ],
            env=child_env(service_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/_sim/health")
    yield url
    simulator.terminate()
    simulator.wait(timeout=20)
