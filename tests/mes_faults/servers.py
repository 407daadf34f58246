"""Servers of our own on spare loopback ports, so tests may stop and restart them freely
(the machine's shared PostgreSQL and Redis are never touched)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, require


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def _as_postgres(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the postgres user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


class PrivatePostgres:
    def __init__(self, bin_dir: Path, data_dir: Path, port: int) -> None:
        self.bin_dir, self.data_dir, self.port = bin_dir, data_dir, port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-w", "-l", str(self.data_dir / "server.log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")  # as a crash: no clean shutdown


@pytest.fixture()
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _postgres_bin()
    require(bin_dir is not None, "PostgreSQL server binaries are not installed")
    assert bin_dir is not None
    # Not under pytest's tmp folder: that one is private to root, and the server runs as postgres.
    home = Path(tempfile.mkdtemp(prefix="c2m-pg-"))
    data_dir = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    subprocess.run(
        _as_postgres(
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = PrivatePostgres(bin_dir, data_dir, free_port())
    server.start()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):
        server.stop()  # unless the test left it stopped
    shutil.rmtree(home, ignore_errors=True)


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        import redis

        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        pytest.fail("private redis did not start")

    def stop(self) -> None:
        assert self.process is not None
        self.process.kill()  # no persistence: every queued message is gone
        self.process.wait(timeout=20)


@pytest.fixture()
def private_redis() -> Iterator[PrivateRedis]:
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = PrivateRedis(free_port())
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.stop()
