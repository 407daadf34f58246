"""`c2m serve` as a user runs it: prints where to open it, serves the catalogue, and Ctrl-C
stops the web server and every child process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import child_env, free_port

PRODUCTS = Path(__file__).parent / "products"


def child_pids(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def read_until_url(process: subprocess.Popen[str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "open http" in line:
            return line.split("open ", 1)[1].split()[0]
        if not line and process.poll() is not None:
            pytest.fail(f"c2m serve exited with {process.returncode}")
    pytest.fail("c2m serve never printed its URL")


@pytest.fixture()
def served(
    service_env: dict[str, str], clean_database: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = child_env(
        service_env,
        C2M_PORT=str(free_port()),
        C2M_MES_SIM_PORT=str(free_port()),
        C2M_PRODUCTS_DIR=str(PRODUCTS),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "c2m", "serve"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        yield process, read_until_url(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_prints_the_url_and_serves_the_catalogue(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    _process, url = served
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert "Bar stool" in page.text
    assert requests.get(url + "healthz", timeout=10).json()["status"] == "ok"


def test_ctrl_c_stops_web_worker_and_every_child(served: tuple[subprocess.Popen[str], str]) -> None:
    process, _url = served
    children = child_pids(process.pid)
    assert children, "serve should have started the worker"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
