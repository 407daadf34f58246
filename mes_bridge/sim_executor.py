"""The simulator's shop floor: runs accepted work orders in accelerated time and posts signed
status events to the callback URL (retrying like a real MES would, and optionally duplicating
and reordering them)."""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import requests

from mes_bridge import delivery
from mes_bridge.b2mml_status import sync_operations_performance
from mes_bridge.lifecycle import EventKind
from mes_bridge.model import Event, OperationActual, PayloadFormat
from mes_bridge.payloads import event_document
from mes_bridge.sim_intake import ReceivedWorkOrder
from mes_bridge.sim_state import SimState

CALLBACK_POLICY = delivery.RetryPolicy(
    max_attempts=8, base_delay=0.2, max_delay=5.0, max_retry_after=10.0
)
PROGRESS_STEPS = 4  # at most this many partial progress reports during the last operation


@dataclass(frozen=True)
class Step:
    """One operation as actually run (simulated shop time)."""

    operation_id: str
    machine_id: str
    start: datetime
    end: datetime
    scrap: int


def run_steps(order: ReceivedWorkOrder, state: SimState) -> list[Step]:
    """Actual times: never before the planned start nor the previous step's end; durations vary
    from -10 % to +30 % of plan so some operations finish late."""
    steps: list[Step] = []
    cursor = order.steps[0].planned_start
    for planned in order.steps:
        start = max(planned.planned_start, cursor)
        planned_span = (planned.planned_end - planned.planned_start).total_seconds()
        span = timedelta(seconds=max(1.0, planned_span * (1 + state.uniform(-0.1, 0.3))))
        scrap = sum(state.draw(state.faults.scrap_rate) for _ in range(order.quantity))
        steps.append(Step(planned.operation_id, planned.machine_id, start, start + span, scrap))
        cursor = start + span
    return steps


def timeline(
    order: ReceivedWorkOrder, steps: list[Step]
) -> list[tuple[datetime, EventKind, tuple[OperationActual, ...], int]]:
    """(shop time, kind, operation actuals, finished units) for one work order, in order."""

    def started(s: Step) -> OperationActual:
        return OperationActual(s.operation_id, EventKind.STARTED, s.machine_id, s.start)

    def done(s: Step, good: int) -> OperationActual:
        return OperationActual(
            s.operation_id,
            EventKind.COMPLETED,
            s.machine_id,
            s.start,
            s.end,
            Decimal(good),
            Decimal(s.scrap),
        )

    first, last = steps[0], steps[-1]
    items = [
        (first.start, EventKind.ACCEPTED, (), -1),
        (first.start, EventKind.STARTED, (started(first),), -1),
    ]
    for before, after in itertools.pairwise(steps):
        items.append((before.end, EventKind.PROGRESS, (done(before, order.quantity),), 0))
        items.append((after.start, EventKind.PROGRESS, (started(after),), 0))
    reports = min(PROGRESS_STEPS, order.quantity - 1)
    for unit in range(1, reports + 1):  # partial running totals while the last step runs
        moment = last.start + (last.end - last.start) * unit / order.quantity
        partial = OperationActual(
            last.operation_id,
            EventKind.PROGRESS,
            last.machine_id,
            last.start,
            None,
            Decimal(unit),
            Decimal(0),
        )
        items.append((moment, EventKind.PROGRESS, (partial,), unit))
    items.append((last.end, EventKind.COMPLETED, (done(last, order.quantity),), order.quantity))
    return items


class Executor:
    """Background threads: one clock releasing due callbacks, a few senders posting them."""

    def __init__(
        self, state: SimState, speed: float, callback_url: str | None, secret: str, senders: int = 4
    ) -> None:
        self.state, self.speed, self.callback_url, self.secret = state, speed, callback_url, secret
        self._heap: list[tuple[float, int, Event, int]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._sequence: dict[str, int] = {}
        self._happened: dict[str, list[Event]] = {}  # per work order, for reconciliation pulls
        self.policy = CALLBACK_POLICY
        self._stopped = False
        self._session = requests.Session()
        self._threads = [
            threading.Thread(target=self._send_loop, daemon=True, name=f"cb-{i}")
            for i in range(senders)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)

    def happened(self, work_order_id: str | None = None) -> list[Event]:
        """Events that have taken place so far (sent or not), in sequence order."""
        with self._cond:
            if work_order_id is not None:
                return sorted(self._happened.get(work_order_id, []), key=lambda e: e.sequence)
            return [
                e
                for events in self._happened.values()
                for e in sorted(events, key=lambda e: e.sequence)
            ]

    def execute(self, order: ReceivedWorkOrder) -> None:
        steps = run_steps(order, self.state)
        origin, now = steps[0].start, time.monotonic()
        with self._cond:
            for shop_time, kind, actuals, units in timeline(order, steps):
                sequence = self._sequence[order.work_order_id] = (
                    self._sequence.get(order.work_order_id, 0) + 1
                )
                good = None if units < 0 else Decimal(units)
                scrap = None if units < 0 else Decimal(sum(s.scrap for s in steps))
                event = Event(
                    f"sim-{order.work_order_id}-e{sequence}",
                    order.work_order_id,
                    sequence,
                    kind,
                    shop_time,
                    good,
                    scrap,
                    None,
                    actuals,
                )
                delay = (shop_time - origin).total_seconds() / self.speed + sequence * 1e-4
                self._push(
                    now + delay + self.state.uniform(0, self.state.faults.shuffle_window),
                    event,
                    attempt=1,
                )

    def _push(self, due: float, event: Event, attempt: int) -> None:
        heapq.heappush(self._heap, (due, next(self._counter), event, attempt))
        self._cond.notify()

    def _next_due(self) -> tuple[Event, int] | None:
        with self._cond:
            while not self._stopped:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    _, _, event, attempt = heapq.heappop(self._heap)
                    if attempt == 1:
                        self._happened.setdefault(event.work_order_id, []).append(event)
                    return event, attempt
                wait = self._heap[0][0] - time.monotonic() if self._heap else None
                self._cond.wait(timeout=wait)
            return None

    def _send_loop(self) -> None:
        while (item := self._next_due()) is not None:
            event, attempt = item
            self.state.set_status(event.work_order_id, event.kind.value)
            copies = 2 if self.state.draw(self.state.faults.duplicate_rate) else 1
            for copy in range(copies):
                self._send(event, attempt, duplicate=copy > 0)

    def _send(self, event: Event, attempt: int, duplicate: bool) -> None:
        if self.callback_url is None:
            return
        body, content_type = self._render(event)  # same id on every retry: it de-duplicates
        message = delivery.OutboundMessage(
            event.event_id, event.work_order_id, event.sequence, content_type, body
        )
        outcome = delivery.push(
            delivery.Endpoint(self.callback_url, self.secret, 2.0, 5.0), message, self._session
        )
        decision = delivery.decide(outcome, attempt, self.policy, self.state.rng)
        self.state.count("callbacks", "duplicated" if duplicate else "sent")
        if decision.verdict is delivery.Verdict.RETRY and not duplicate:
            with self._cond:
                self._push(time.monotonic() + decision.delay_seconds, event, attempt + 1)
        elif decision.verdict is not delivery.Verdict.DELIVERED:
            self.state.count("callbacks", "failed")

    def _render(self, event: Event) -> tuple[bytes, PayloadFormat]:
        if self.state.faults.callback_format == "xml":
            return sync_operations_performance(event), PayloadFormat.B2MML_V0701
        return json.dumps(event_document(event)).encode(), PayloadFormat.JSON
