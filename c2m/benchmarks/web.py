"""`c2m bench web`: the pages under load, served by gunicorn with two workers.

Requests/s and latency (median, p95, max) for a configurator click and for the planner's
Gantt page over a schedule of ~2,000 operations, each next to the health endpoint measured
in the same run (the peer: what the stack costs with no work); and the time to render the
order-confirmation PDF next to the HTML tracking page of the same order.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy import select

from c2m import auth
from c2m.benchmarks import setup
from c2m.benchmarks.mes import _env, _free_port
from c2m.db import make_engine, make_session_factory, unit_of_work
from c2m.models import Order, OrderLine
from c2m.settings import Settings

COMPACT = {
    "layout": "straight", "seats_800": 2, "seats_1000": 0, "return_seats": 0, "arms": "slim",
    "total_width": 1900, "return_length": 0, "seat_depth": 900, "cover": "tech_fabric",
    "colour": "grey", "legs": "black_steel", "filling": "standard_foam", "firmness": "medium",
    "recliner": False, "usb_charging": False, "removable_covers": True,
    "stain_protection": True, "headrests": 0,
}  # fmt: skip
PASSWORD = "bench-password-1"


@dataclass(frozen=True)
class WebBenchConfig:
    settings: Settings
    operations: int
    requests: int
    concurrency: int


def timed(call: Callable[[], None], count: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []

    def one(_: int) -> None:
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "rps": round(count / wall, 1),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def _token(client: requests.Session, url: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url, timeout=30).text)
    if match is None:
        raise RuntimeError(f"no CSRF token on {url}")
    return match.group(1)


def _prepare(config: WebBenchConfig) -> tuple[int, str]:
    settings = config.settings
    setup.fresh_database(settings)
    sessions = make_session_factory(make_engine(settings.database_url))
    setup.place_orders(sessions, 1, COMPACT, "bench-web-first")
    with sessions() as session:
        per_order = len(session.scalars(select(OrderLine)).one().routing["planner_operations"])
    more = max(0, -(-config.operations // per_order) - 1)
    setup.place_orders(sessions, more, COMPACT, "bench-web")
    _run_id, operations = setup.packed_plan(sessions)
    with unit_of_work(sessions) as session:
        auth.create_user(session, "bench", PASSWORD, "planner")
        token = session.scalars(select(Order.tracking_token)).first() or ""
    return operations, token


def run(config: WebBenchConfig) -> dict[str, Any]:
    operations, tracking = _prepare(config)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "c2m.wsgi:app"],
        env=_env(config.settings),
        stdout=subprocess.DEVNULL,
        stderr=(config.settings.instance_dir / "gunicorn.log").open("ab"),
    )
    try:
        _wait(base + "/")
        return {"operations": operations, **_measure(config, base, tracking)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=60).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {url}")


def _measure(config: WebBenchConfig, base: str, tracking: str) -> dict[str, Any]:
    consumer, planner = requests.Session(), requests.Session()
    click_token = _token(consumer, base + "/configure/sofa")
    login_token = _token(planner, base + "/login")
    planner.post(
        base + "/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": login_token},
        timeout=30,
    )
    form = {
        "csrf_token": click_token,
        "choices": json.dumps({"cover": "top_grain_leather"}),
        "history": "[]",
        "pick": json.dumps(["legs", "walnut"]),
    }

    def click() -> None:
        consumer.post(
            base + "/configure/sofa", data=form, headers={"HX-Request": "true"}, timeout=60
        ).raise_for_status()

    def gantt() -> None:
        planner.get(base + "/planning?zoom=week", timeout=60).raise_for_status()

    def health() -> None:
        consumer.get(base + "/healthz", timeout=30)

    n, c = config.requests, config.concurrency
    figures = {
        "health": timed(health, n, c),
        "configurator_click": timed(click, n, c),
        "gantt_page": timed(gantt, max(10, n // 5), c),
    }
    figures["pdf_confirmation"] = timed(
        lambda: consumer.get(
            f"{base}/track/{tracking}/confirmation.pdf", timeout=60
        ).raise_for_status(),
        10,
        1,
    )
    figures["tracking_html"] = timed(
        lambda: consumer.get(f"{base}/track/{tracking}", timeout=60).raise_for_status(), 10, 1
    )
    figures["ratios"] = {
        "click_p95_over_health_p95": _ratio(figures, "configurator_click", "health"),
        "gantt_p95_over_health_p95": _ratio(figures, "gantt_page", "health"),
        "pdf_median_over_html_median": round(
            figures["pdf_confirmation"]["median_ms"] / figures["tracking_html"]["median_ms"], 1
        ),
    }
    return figures


def _ratio(figures: dict[str, Any], name: str, peer: str) -> float:
    return round(figures[name]["p95_ms"] / max(0.1, figures[peer]["p95_ms"]), 1)
