"""Fixtures: a sample work order, a simulator process on a spare loopback port, and a callback
receiver that checks signatures like the app's event endpoint will."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from mes_bridge.errors import MesBridgeError
from mes_bridge.events_in import receive_events
from mes_bridge.model import Event, MaterialLine, Operation, Parameter, WorkOrder

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def make_work_order(
    work_order_id: str = "WO-1001", sequence: int = 1, quantity: int = 2
) -> WorkOrder:
    cut = Operation(
        "OP10",
        "cut",
        "LINE1-CNC-02",
        T0,
        T0 + timedelta(minutes=45),
        description="CNC cut table top",
        machine_class="CNC-ROUTER",
        parameters=(Parameter("program", "P-1600x800"),),
        materials=(MaterialLine("PANEL-OAK-25MM", Decimal("2.000")),),
        produces="TOP-OAK-1600x800",
    )
    assemble = Operation(
        "OP20",
        "assemble",
        "LINE1-ASSY-01",
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=2, minutes=30),
        materials=(
            MaterialLine("TOP-OAK-1600x800", Decimal(2)),
            MaterialLine("SCREW-M6x16", Decimal(16)),
        ),
    )
    return WorkOrder(
        id=work_order_id,
        sequence=sequence,
        order_id="SO-774",
        order_line_id="1",
        product_model="desk",
        product_version="2026.1",
        finished_material_id="DESK-CFG-8f3a",
        quantity=quantity,
        routing_id="ROUTING-DESK-E-v4",
        operations=(cut, assemble),
        configuration=(
            Parameter("width_mm", 1600, "mm"),
            Parameter("lift", True),
            Parameter("top_thickness", Decimal("2.5"), "cm"),
            Parameter("finish", "oiled oak"),
        ),
        priority=10,
        schedule_id="SCHED-2026-11-23-LINE1",
    )


@pytest.fixture
def work_order() -> WorkOrder:
    return make_work_order()


@dataclass
class SimProcess:
    url: str
    process: subprocess.Popen[str]
    secret: str = SECRET

    @property
    def push_url(self) -> str:
        return self.url + "/work-orders"

    def state(self) -> dict[str, Any]:
        return dict(requests.get(self.url + "/_sim/state", timeout=5).json())

    def set_faults(self, **changes: Any) -> None:
        requests.post(self.url + "/_sim/faults", json=changes, timeout=5).raise_for_status()


@pytest.fixture
def start_simulator(tmp_path: Path) -> Iterator[Callable[..., SimProcess]]:
    started: list[SimProcess] = []

    def start(*args: str) -> SimProcess:
        log = (tmp_path / f"sim-{len(started)}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "c2m.commands.mes",
                "--port",
                "0",
                "--secret",
                SECRET,
                "--seed",
                "7",
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        line = process.stdout.readline() if process.stdout else ""
        if "listening on" not in line:
            process.kill()
            raise RuntimeError(f"simulator did not start: {line!r}")
        sim = SimProcess(line.split()[-1], process)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.process.terminate()
        try:
            sim.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            sim.process.kill()


@dataclass
class Receiver:
    """Stands in for POST /api/mes/v1/events: verify, de-duplicate by id, keep the events."""

    url: str = ""
    events: dict[str, Event] = field(default_factory=dict)
    deliveries: int = 0
    arrivals: list[int] = field(default_factory=list)  # sequence numbers, in arrival order
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_until(self, done: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if done():
                    return True
            time.sleep(0.05)
        return False


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    sink = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                events = receive_events(SECRET, dict(self.headers.items()), body)
            except MesBridgeError as error:
                with sink.lock:
                    sink.refused.append(str(error))
                self._answer(400)
                return
            with sink.lock:
                sink.deliveries += 1
                for event in events:
                    sink.arrivals.append(event.sequence)
                    sink.events.setdefault(event.event_id, event)
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/api/mes/v1/events"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_order() -> Callable[..., WorkOrder]:
    return make_work_order


@pytest.fixture
def secret() -> str:
    return SECRET
