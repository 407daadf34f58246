"""A reference MES on loopback: `c2m mes-sim`.

Endpoints:
- POST /work-orders      signed push of one work order (JSON or B2MML V0701/V0600); 202 when
                         applied, the stored answer again for a repeated idempotency key.
- GET  /_sim/state       what was received: effects per work order, duplicates, injected faults.
- POST /_sim/faults      JSON object of Faults fields to change switches at run time.
- GET  /_sim/health      200 even when "down" (admin paths never fail).
- GET  /events[?work_order=ID]  every status event that has happened so far, as JSON event
                         documents in sequence order: the reconciliation pull for missed callbacks.
- GET  /work-orders/ID   what the MES holds of one work order: its revisions (sequence, status)
                         and its events so far; 404 naming the work order when it has none (the
                         plant's reconciliation re-sends it). The B2MML counterpart is
                         GetOperationsPerformance -> ShowOperationsPerformance.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mes_bridge import signing
from mes_bridge.errors import SignatureError
from mes_bridge.payloads import event_document
from mes_bridge.sim_executor import Executor
from mes_bridge.sim_floor import clock_from_env
from mes_bridge.sim_intake import IntakeError, ReceivedWorkOrder, read_work_order
from mes_bridge.sim_state import Faults, SimState, Verdict
from planner.clock import Clock

log = logging.getLogger("mes_bridge.simulator")
WORK_ORDER_PATHS = ("/work-orders", "/api/work-orders", "/")


@dataclass(frozen=True)
class SimSettings:
    secret: str  # whsec_..., checks pushes and signs callbacks
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    callback_url: str | None = None
    callback_token: str | None = None  # bearer token c2m issued to this MES (scope: events)
    speed: float = 60.0  # shop seconds per real second
    seed: int | None = None
    faults: Faults = field(default_factory=Faults)
    state_file: Path | None = None  # keeps applied keys across restarts
    callback_attempts: int = 8  # per event, with backoff capped at 5 s
    # The business clock all c2m processes share (C2M_CLOCK_SPEED/ANCHOR); None: `speed` replay.
    clock: Clock | None = field(default_factory=clock_from_env)


class Simulator:
    def __init__(self, settings: SimSettings) -> None:
        signing.sign(settings.secret, "check", 0, b"")  # a bad secret fails now, not per request
        self.settings = settings
        self.state = SimState(settings.faults, settings.seed, settings.state_file)
        self.executor = Executor(
            self.state,
            settings.speed,
            settings.callback_url,
            settings.secret,
            callback_token=settings.callback_token,
            clock=settings.clock,
        )
        self.executor.policy = replace(
            self.executor.policy, max_attempts=settings.callback_attempts
        )
        self.server = ThreadingHTTPServer((settings.host, settings.port), _handler_for(self))
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_forever(self) -> None:
        self.executor.start()
        try:
            self.server.serve_forever(poll_interval=0.2)
        finally:
            self.executor.stop()
            self.server.server_close()

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, daemon=True, name="mes-sim")
        thread.start()
        return thread

    def shutdown(self) -> None:
        self.server.shutdown()

    def state_document(self) -> dict[str, Any]:
        breakdowns = [
            {"machine": b.machine_id, "from": b.start.isoformat(), "until": b.end.isoformat()}
            for b in self.executor.machines.breakdowns
        ]
        return {
            **self.state.snapshot(),
            "pending_callbacks": self.executor.pending(),
            "clock": None if self.settings.clock is None else self.settings.clock.speed,
            "breakdowns": breakdowns,
        }

    def receive(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Everything a push goes through; returns (status, JSON body, extra headers)."""
        try:
            webhook_id = signing.verify(self.settings.secret, headers, body)
        except SignatureError as error:
            log.warning("push refused: %s", error)
            return 401, {"error": f"signature {error.kind}", "reason": error.reason}, {}
        key = headers.get("idempotency-key") or webhook_id
        fault = self.state.pre_apply_fault(key)
        if fault == 429:
            retry_after = str(self.state.faults.retry_after)
            return 429, {"error": "throttled (simulated)"}, {"Retry-After": retry_after}
        if fault == 503:
            return 503, {"error": "unavailable (simulated)"}, {}
        try:
            order = _with_header_sequence(
                read_work_order(body, headers.get("content-type", "")), headers
            )
        except IntakeError as error:
            return (
                error.status,
                {"error": "invalid work order", "field": error.field, "reason": error.reason},
                {},
            )
        if order.cancelled:
            withdrawn = self.executor.withdraw(order.work_order_id)
            verdict, status, answer = self.state.cancel(key, order, withdrawn)
        else:
            verdict, status, answer = self.state.intake(key, order)
        if verdict == Verdict.APPLIED and not order.cancelled:
            self.executor.execute(order)
        log.info("push %s %s -> %s %s", key, order.work_order_id, status, verdict)
        return status, answer, {}


def _with_header_sequence(order: ReceivedWorkOrder, headers: dict[str, str]) -> ReceivedWorkOrder:
    """V0600 has no place for the sequence; the push header carries it."""
    header = headers.get("x-c2m-sequence", "")
    if order.format == "b2mml-v0600" and header.isdigit():
        return replace(order, sequence=int(header))
    return order


def _handler_for(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "c2m-mes-sim/1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/events":
                wanted = parse_qs(url.query).get("work_order", [None])[0]
                events = sim.executor.happened(wanted)
                self._json(200, {"events": [event_document(e) for e in events]})
            elif url.path.startswith(WORK_ORDER_PATHS[0] + "/"):
                self._work_order(unquote(url.path.removeprefix(WORK_ORDER_PATHS[0] + "/")))
            elif self.path == "/_sim/state":
                self._json(200, sim.state_document())
            elif self.path == "/_sim/health":
                self._json(200, {"status": "ok"})
            else:
                self._json(404, {"error": f"no such path {self.path}"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/_sim/faults":
                self._change_faults(body)
            elif self.path in WORK_ORDER_PATHS:
                self._push(body)
            else:
                self._json(404, {"error": f"no such path {self.path}"})

        def _work_order(self, work_order_id: str) -> None:
            revisions = sim.state.held(work_order_id)
            if not revisions:
                self._json(404, {"error": "unknown work order", "work_order_id": work_order_id})
                return
            events = sim.executor.happened(work_order_id)
            document = {
                "work_order_id": work_order_id,
                "revisions": revisions,
                "events": [event_document(e) for e in events],
            }
            self._json(200, document)

        def _change_faults(self, body: bytes) -> None:
            try:
                changes = json.loads(body or b"{}")
                faults = sim.state.set_faults(changes)
            except (ValueError, TypeError) as error:
                self._json(400, {"error": str(error)})
                return
            self._json(200, {"faults": faults.__dict__})

        def _push(self, body: bytes) -> None:
            faults = sim.state.faults
            if faults.down:
                sim.state.count("injected", "dropped")
                self._drop()
                return
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, answer, extra = sim.receive(headers, body)
            if faults.slow_seconds and status < 300:
                sim.state.count("injected", "slow")
                time.sleep(faults.slow_seconds)  # applied already; the client has given up
            self._json(status, answer, extra)

        def _drop(self) -> None:
            # RST instead of an answer: the client sees a connection error, as if MES were down.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def _json(
            self, status: int, document: dict[str, Any], extra: dict[str, str] | None = None
        ) -> None:
            payload = json.dumps(document, default=str).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client timed out first (slow fault)

    return Handler
