"""`c2m serve`'s web server is gunicorn with several processes (c2m.web_server): requests run
side by side in different processes, the login throttle counts across them, and Ctrl-C leaves
none behind. Driven as a user runs it: a real `c2m serve`, real HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import child_env, free_port
from tests.foundation.test_serve import PRODUCTS, alive, child_pids, read_until_url


def serve(service_env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[str]:
    env = child_env(
        service_env,
        C2M_PORT=str(free_port()),
        C2M_PRODUCTS_DIR=str(PRODUCTS),
        C2M_WEB_WORKERS=str(workers),
        C2M_WEB_THREADS=str(threads),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "c2m", "serve", "--no-worker", "--no-mes-sim"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.fixture()
def two_single_threaded_processes(
    service_env: dict[str, str], clean_database: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Two web processes of one thread each: whatever runs at once runs in two processes."""
    process = serve(service_env, workers=2, threads=1)
    try:
        yield process, read_until_url(process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def web_processes(process: subprocess.Popen[str], count: int = 2) -> list[int]:
    """The master's workers, once all have forked (the URL is shown as soon as it listens)."""
    deadline = time.monotonic() + 60
    while len(found := child_pids(process.pid)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(found) == count, found
    return found


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_concurrent_requests_are_served_by_several_processes_each_doing_work(
    two_single_threaded_processes: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = two_single_threaded_processes
    workers = web_processes(process)
    before = {pid: cpu_ticks(pid) for pid in workers}
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(lambda _: requests.get(url, timeout=60), range(40)))
    assert all(page.status_code == 200 and "Bar stool" in page.text for page in pages)
    spent = {pid: cpu_ticks(pid) - before[pid] for pid in workers}
    # Each process took a share of the pages (a single-process server has no such children).
    assert len(spent) == 2 and all(ticks > 0 for ticks in spent.values()), spent


def test_failed_logins_are_counted_across_the_web_processes(
    two_single_threaded_processes: tuple[subprocess.Popen[str], str],
) -> None:
    _process, url = two_single_threaded_processes
    wrong = {"username": "nobody-here", "password": "not-the-password"}

    def attempt() -> int:
        # A connection of its own each time: either process may take it.
        with requests.Session() as fresh:
            return fresh.post(url + "api/v1/session", json=wrong, timeout=30).status_code

    first = [attempt() for _ in range(10)]
    assert first == [401] * 10
    # Counted per process, ten failures split over two would leave both under the limit.
    assert [attempt() for _ in range(6)] == [429] * 6


def test_ctrl_c_stops_every_web_process(
    two_single_threaded_processes: tuple[subprocess.Popen[str], str],
) -> None:
    process, _url = two_single_threaded_processes
    workers = web_processes(process)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)]


def test_bad_web_worker_counts_name_the_variable(tmp_path: Path) -> None:
    from c2m.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="C2M_WEB_WORKERS=0 must be at least 1"):
        load_settings({"C2M_INSTANCE_DIR": str(tmp_path), "C2M_WEB_WORKERS": "0"})
    with pytest.raises(SettingsError, match="C2M_WEB_THREADS='many' is not a whole number"):
        load_settings({"C2M_INSTANCE_DIR": str(tmp_path), "C2M_WEB_THREADS": "many"})
