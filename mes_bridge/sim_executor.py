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
from mes_bridge.sim_floor import Breakdown, Machines, lognormal_factor, wall_delay
from mes_bridge.sim_intake import PlannedStep, ReceivedWorkOrder
from mes_bridge.sim_state import SimState
from planner.clock import Clock

CALLBACK_POLICY = delivery.RetryPolicy(
    max_attempts=8, base_delay=0.2, max_delay=5.0, max_retry_after=10.0
)
_REASONS = {
    EventKind.INTERRUPTED: "simulated interruption",
    EventKind.ABORTED: "simulated abort",
}
PROGRESS_STEPS = 4  # at most this many partial progress reports during the last operation


@dataclass(frozen=True)
class Step:
    """One operation as actually run (simulated shop time)."""

    operation_id: str
    machine_id: str
    start: datetime
    end: datetime  # includes the pause, if any
    scrap: int
    pause: timedelta | None = None  # an interruption in the middle of the operation

    @property
    def middle(self) -> datetime:
        return self.start + (self.end - self.start) / 2


# (shop time, kind, operation actuals, good total, scrap total); totals None = not reported
Moment = tuple[datetime, EventKind, tuple[OperationActual, ...], int | None, int | None]


def run_steps(order: ReceivedWorkOrder, state: SimState) -> list[Step]:
    """Actual times: never before the planned start nor the previous step's end; durations vary
    from -10 % to +30 % of plan so some operations finish late; some are interrupted."""
    steps: list[Step] = []
    cursor = order.steps[0].planned_start
    for planned in order.steps:
        start = max(planned.planned_start, cursor)
        planned_span = (planned.planned_end - planned.planned_start).total_seconds()
        span = timedelta(seconds=max(1.0, planned_span * (1 + state.uniform(-0.1, 0.3))))
        pause = span / 4 if state.draw(state.faults.interrupt_rate) else None
        end = start + span + (pause or timedelta(0))
        scrap = sum(state.draw(state.faults.scrap_rate) for _ in range(order.quantity))
        steps.append(Step(planned.operation_id, planned.machine_id, start, end, scrap, pause))
        cursor = end
    return steps


def floor_steps(
    order: ReceivedWorkOrder, state: SimState, machines: Machines, now: datetime
) -> list[Step]:
    """Actual times on the business clock: an operation starts at its planned time at the
    earliest, later when its predecessor, its machine or its crew is late; it lasts a lognormal
    draw around the plan, and its machine may break down in the middle of it."""
    steps: list[Step] = []
    cursor = now
    for planned in order.steps:
        earliest = max(planned.planned_start, cursor, now) + _late_start(state)
        span, breakdown = _actual_span(planned, state)
        start = machines.book(planned.machine_id, earliest, span + breakdown)
        pause = breakdown or None
        if pause:
            stop = start + span * state.uniform(0.2, 0.8)
            machines.record_breakdown(Breakdown(planned.machine_id, stop, stop + pause))
        end = start + span + breakdown
        scrap = sum(state.draw(state.faults.scrap_rate) for _ in range(order.quantity))
        steps.append(Step(planned.operation_id, planned.machine_id, start, end, scrap, pause))
        cursor = end
    return steps


def _late_start(state: SimState) -> timedelta:
    faults = state.faults
    if not state.draw(faults.late_start_rate):
        return timedelta(0)
    return timedelta(minutes=state.exponential(faults.late_start_minutes))


def _actual_span(planned: PlannedStep, state: SimState) -> tuple[timedelta, timedelta]:
    """(working time, breakdown time) of one operation."""
    faults = state.faults
    planned_span = (planned.planned_end - planned.planned_start).total_seconds()
    factor = lognormal_factor(faults.duration_spread, state.gauss())
    span = timedelta(seconds=max(1.0, planned_span * factor))
    if faults.interrupt_rate and state.draw(faults.interrupt_rate):
        return span, span / 4
    if state.draw(faults.breakdown_rate):
        return span, timedelta(minutes=max(1.0, state.exponential(faults.breakdown_minutes)))
    return span, timedelta(0)


def abort_step(order: ReceivedWorkOrder, steps: list[Step], state: SimState) -> int | None:
    """Index of the operation during which the order is aborted, if it is."""
    faults = state.faults
    if order.work_order_id in faults.abort_ids or state.draw(faults.abort_rate):
        return int(state.uniform(0, len(steps) - 1e-9))
    return None


def _actual(
    step: Step, kind: EventKind, end: bool = False, good: int | None = None
) -> OperationActual:
    return OperationActual(
        step.operation_id,
        kind,
        step.machine_id,
        step.start,
        step.end if end else None,
        None if good is None else Decimal(good),
        None if good is None else Decimal(step.scrap),
    )


def timeline(order: ReceivedWorkOrder, steps: list[Step], abort_at: int | None) -> list[Moment]:
    """What the shop floor reports about one work order, in the order it happens."""
    first = steps[0]
    items: list[Moment] = [
        (first.start, EventKind.ACCEPTED, (), None, None),
        (first.start, EventKind.STARTED, (_actual(first, EventKind.STARTED),), None, None),
    ]
    scrap = 0
    for index, step in enumerate(steps):
        if index:
            items.append(
                (step.start, EventKind.PROGRESS, (_actual(step, EventKind.STARTED),), 0, scrap)
            )
        if step.pause:
            items.append(
                (
                    step.middle - step.pause / 2,
                    EventKind.INTERRUPTED,
                    (_actual(step, EventKind.INTERRUPTED),),
                    0,
                    scrap,
                )
            )
            items.append(
                (
                    step.middle + step.pause / 2,
                    EventKind.RESUMED,
                    (_actual(step, EventKind.RESUMED),),
                    0,
                    scrap,
                )
            )
        if abort_at == index:
            items.append(
                (step.middle, EventKind.ABORTED, (_actual(step, EventKind.ABORTED),), 0, scrap)
            )
            return items
        scrap += step.scrap
        items.extend(_finish(order, step, scrap, last=step is steps[-1]))
    return items


def _finish(order: ReceivedWorkOrder, step: Step, scrap: int, last: bool) -> list[Moment]:
    if not last:
        done = _actual(step, EventKind.COMPLETED, end=True, good=order.quantity)
        return [(step.end, EventKind.PROGRESS, (done,), 0, scrap)]
    partials: list[Moment] = []
    for unit in range(1, min(PROGRESS_STEPS, order.quantity - 1) + 1):
        moment = step.start + (step.end - step.start) * unit / order.quantity
        partial = _actual(step, EventKind.PROGRESS, good=unit)
        partials.append((moment, EventKind.PROGRESS, (partial,), unit, scrap))
    done = _actual(step, EventKind.COMPLETED, end=True, good=order.quantity)
    return [*partials, (step.end, EventKind.COMPLETED, (done,), order.quantity, scrap)]


class Executor:
    """Background threads: one clock releasing due callbacks, a few senders posting them."""

    def __init__(
        self,
        state: SimState,
        speed: float,
        callback_url: str | None,
        secret: str,
        senders: int = 4,
        callback_token: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.state, self.speed, self.callback_url, self.secret = state, speed, callback_url, secret
        self.callback_token = callback_token  # the MES client's bearer token (scope: events)
        self.clock = clock  # the business clock; None: the legacy sped-up replay
        self.machines = Machines()
        self._heap: list[tuple[float, int, Event, int]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._sequence: dict[str, int] = {}
        self._happened: dict[str, list[Event]] = {}  # per work order, for reconciliation pulls
        self._withdrawn: set[str] = set()  # cancelled work orders: never run
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

    def withdraw(self, work_order_id: str) -> bool:
        """Take a work order off the floor unless it has started: its events still due are
        dropped and a later push of it is not run. False when it has started already."""
        with self._cond:
            happened = self._happened.get(work_order_id, [])
            if any(e.kind is not EventKind.ACCEPTED for e in happened):
                return False
            self._withdrawn.add(work_order_id)
            # Only what has not happened: retries of callbacks already made still go out.
            self._heap = [
                item for item in self._heap if item[2].work_order_id != work_order_id or item[3] > 1
            ]
            heapq.heapify(self._heap)
            return True

    def execute(self, order: ReceivedWorkOrder) -> None:
        if self.clock is not None:
            business_now = self.clock.now()
            self.machines.forget_before(business_now - timedelta(days=2))
            steps = floor_steps(order, self.state, self.machines, business_now)
        else:
            steps = run_steps(order, self.state)
        moments = timeline(order, steps, abort_step(order, steps, self.state))
        origin, now = steps[0].start, time.monotonic()
        with self._cond:
            if order.work_order_id in self._withdrawn:
                return  # cancelled: a late or repeated release is not run
            for shop_time, kind, actuals, good, scrap in moments:
                sequence = self._sequence[order.work_order_id] = (
                    self._sequence.get(order.work_order_id, 0) + 1
                )
                event = Event(
                    f"sim-{order.work_order_id}-e{sequence}",
                    order.work_order_id,
                    sequence,
                    kind,
                    shop_time,
                    None if good is None else Decimal(good),
                    None if scrap is None else Decimal(scrap),
                    _REASONS.get(kind),
                    actuals,
                )
                # The tiny sequence term keeps events of the same shop instant in order.
                delay = self._delay(shop_time, origin) + sequence * 1e-4
                jitter = self.state.uniform(0, self.state.faults.shuffle_window)
                self._push(now + delay + jitter, event, attempt=1)

    def _delay(self, shop_time: datetime, origin: datetime) -> float:
        """Wall seconds until `shop_time` happens: on the business clock, or sped up from now."""
        if self.clock is not None:
            return wall_delay(self.clock, shop_time)
        return (shop_time - origin).total_seconds() / self.speed

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
            self._wait_while_muted()
            self.state.set_status(event.work_order_id, event.kind.value)
            copies = 2 if self.state.draw(self.state.faults.duplicate_rate) else 1
            for copy in range(copies):
                self._send(event, attempt, duplicate=copy > 0)

    def _wait_while_muted(self) -> None:
        """During an outage nothing is called back; events pile up and go out afterwards."""
        while self.state.faults.mute_callbacks and not self._stopped:
            time.sleep(0.2)

    def _send(self, event: Event, attempt: int, duplicate: bool) -> None:
        if self.callback_url is None:
            return
        body, content_type = self._render(event)  # same id on every retry: it de-duplicates
        message = delivery.OutboundMessage(
            event.event_id, event.work_order_id, event.sequence, content_type, body
        )
        outcome = delivery.push(
            delivery.Endpoint(self.callback_url, self.secret, 2.0, 5.0, self.callback_token),
            message,
            self._session,
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
