"""The reference MES simulator's memory: fault switches, what it received, and the rule that
gives exactly one effect per work order whatever the network does."""

from __future__ import annotations

import json
import os
import random
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mes_bridge.sim_intake import ReceivedWorkOrder


@dataclass(frozen=True)
class Faults:
    """Switches; rates are probabilities per request (or per callback), drawn from a seeded RNG.

    `error_first`/`throttle_first` answer the first N attempts of each idempotency key with
    503/429, which makes "fails, then succeeds on retry" deterministic.
    """

    down: bool = False  # drop every work-order connection without an answer
    slow_seconds: float = 0.0  # apply the order, then answer this much later
    error_rate: float = 0.0  # 503 before applying
    error_first: int = 0
    throttle_rate: float = 0.0  # 429 + Retry-After before applying
    throttle_first: int = 0
    retry_after: int = 1
    reject_ids: tuple[str, ...] = ()  # work orders answered with reject_status
    reject_rate: float = 0.0
    reject_status: int = 422
    duplicate_rate: float = 0.0  # callbacks sent twice (same event id)
    shuffle_window: float = 0.0  # callbacks delayed by up to this many seconds: reordered
    callback_format: str = "json"  # or "xml" (SyncOperationsPerformance)
    scrap_rate: float = 0.0  # probability that one unit of an operation is scrapped
    interrupt_rate: float = 0.0  # probability that an operation is interrupted, then resumed
    abort_ids: tuple[str, ...] = ()  # work orders aborted while running
    abort_rate: float = 0.0
    # Shop floor on the business clock (see sim_floor; used when C2M_CLOCK_* are set).
    duration_spread: float = 0.0  # sigma of the lognormal actual/planned duration; 0: legacy
    late_start_rate: float = 0.0  # probability that an operation starts late
    late_start_minutes: float = 20.0  # mean lateness of a late start (exponential)
    breakdown_rate: float = 0.0  # probability that the machine breaks down during an operation
    breakdown_minutes: float = 45.0  # mean length of a breakdown (exponential)
    mute_callbacks: bool = False  # an outage: status events wait until it is over

    def updated(self, changes: dict[str, Any]) -> Faults:
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown fault switch(es): {', '.join(unknown)}")
        clean: dict[str, Any] = {
            name: _coerce(name, getattr(self, name), value) for name, value in changes.items()
        }
        return replace(self, **clean)


def _coerce(name: str, current: object, value: Any) -> object:
    """Admin changes arrive as JSON; keep every switch its declared type."""
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value
    if isinstance(current, tuple):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{name} must be a list, got {value!r}")
        return tuple(str(item) for item in value)
    if isinstance(current, int | float):
        return type(current)(value)
    return str(value)


@dataclass
class WorkOrderRecord:
    work_order_id: str
    sequence: int
    format: str
    keys: list[str] = field(default_factory=list)
    effects: int = 0
    status: str = "received"
    rejected: str | None = None


class Verdict:
    """Names of the intake outcomes (plain strings keep the JSON state readable)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class SimState:
    """Thread-safe; every public method takes the lock once."""

    def __init__(self, faults: Faults, seed: int | None, state_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        self.state_file = state_file
        self.faults = faults
        self.rng = random.Random(seed)
        self.attempts: dict[str, int] = {}
        self.answers: dict[str, tuple[int, dict[str, Any]]] = {}  # key -> stored response
        self.duplicates: dict[str, int] = {}
        self.work_orders: dict[str, WorkOrderRecord] = {}
        self.injected: dict[str, int] = {"dropped": 0, "503": 0, "429": 0, "slow": 0}
        self.requests = 0
        self.callbacks: dict[str, int] = {"sent": 0, "duplicated": 0, "failed": 0}
        if state_file is not None and state_file.exists():
            self._load(state_file)

    def _load(self, path: Path) -> None:
        """A restarted MES remembers what it applied (a real one has a database)."""
        saved = json.loads(path.read_text())
        self.answers = {key: (status, body) for key, (status, body) in saved["answers"].items()}
        self.duplicates = saved["duplicates"]
        self.work_orders = {
            name: WorkOrderRecord(**record) for name, record in saved["work_orders"].items()
        }

    def _persist(self) -> None:
        if self.state_file is None:
            return
        document = {
            "answers": self.answers,
            "duplicates": self.duplicates,
            "work_orders": {name: asdict(r) for name, r in self.work_orders.items()},
        }
        scratch = self.state_file.with_suffix(".tmp")
        scratch.write_text(json.dumps(document))
        os.replace(scratch, self.state_file)  # atomic: a crash leaves the old or the new file

    def set_faults(self, changes: dict[str, Any]) -> Faults:
        with self._lock:
            self.faults = self.faults.updated(changes)
            return self.faults

    def draw(self, probability: float) -> bool:
        with self._lock:
            return probability > 0 and self.rng.random() < probability

    def uniform(self, low: float, high: float) -> float:
        with self._lock:
            return self.rng.uniform(low, high)

    def gauss(self) -> float:
        with self._lock:
            return self.rng.gauss(0.0, 1.0)

    def exponential(self, mean: float) -> float:
        with self._lock:
            return self.rng.expovariate(1.0 / mean) if mean > 0 else 0.0

    def count(self, bucket: str, name: str) -> None:
        with self._lock:
            target = self.injected if bucket == "injected" else self.callbacks
            target[name] = target.get(name, 0) + 1

    def pre_apply_fault(self, key: str) -> int | None:
        """503 or 429 if a fault fires for this attempt, before anything is applied."""
        with self._lock:
            self.requests += 1
            attempt = self.attempts[key] = self.attempts.get(key, 0) + 1
            f = self.faults
            if key in self.answers:
                return None  # a repeat of something already applied is answered from memory
            if attempt <= f.error_first or (f.error_rate and self.rng.random() < f.error_rate):
                self.injected["503"] += 1
                return 503
            if attempt <= f.error_first + f.throttle_first or (
                f.throttle_rate and self.rng.random() < f.throttle_rate
            ):
                self.injected["429"] += 1
                return 429
            return None

    def intake(self, key: str, order: ReceivedWorkOrder) -> tuple[str, int, dict[str, Any]]:
        """Apply once per idempotency key; a repeat gets the stored answer and is counted.

        A second key for the same work order and sequence is counted as a second effect:
        that is the bug "exactly one effect" tests are there to catch.
        """
        with self._lock:
            if key in self.answers:
                self.duplicates[key] = self.duplicates.get(key, 0) + 1
                self._persist()
                status, body = self.answers[key]
                return Verdict.DUPLICATE, status, body
            record = self._record(order)
            record.keys.append(key)
            reason = self._rejection(order)
            if reason:
                record.rejected, record.status = reason, "rejected"
                answer = (
                    self.faults.reject_status,
                    {"status": "rejected", "reason": reason, "work_order_id": order.work_order_id},
                )
                self.answers[key] = answer
                self._persist()
                return Verdict.REJECTED, *answer
            record.effects += 1
            answer = (
                202,
                {
                    "status": "accepted",
                    "work_order_id": order.work_order_id,
                    "idempotency_key": key,
                },
            )
            self.answers[key] = answer
            self._persist()
            return Verdict.APPLIED, *answer

    def cancel(
        self, key: str, order: ReceivedWorkOrder, withdrawn: bool
    ) -> tuple[str, int, dict[str, Any]]:
        """A cancel revision, once per idempotency key. `withdrawn`: the shop floor had not
        started it and will not run it; otherwise it is refused (409), as a real MES would."""
        with self._lock:
            if key in self.answers:
                self.duplicates[key] = self.duplicates.get(key, 0) + 1
                status, body = self.answers[key]
                return Verdict.DUPLICATE, status, body
            record = self._record(order)
            record.keys.append(key)
            if not withdrawn:
                record.rejected, record.status = "already started", "rejected"
                answer = (409, {"status": "refused", "reason": "the work order has started"})
            else:
                record.effects += 1
                for other in self.work_orders.values():
                    if other.work_order_id == order.work_order_id and other.rejected is None:
                        other.status = "cancelled"
                answer = (202, {"status": "cancelled", "idempotency_key": key})
            self.answers[key] = (answer[0], {**answer[1], "work_order_id": order.work_order_id})
            self._persist()
            verdict = Verdict.APPLIED if withdrawn else Verdict.REJECTED
            return verdict, *self.answers[key]

    def _record(self, order: ReceivedWorkOrder) -> WorkOrderRecord:
        name = f"{order.work_order_id}@{order.sequence}"
        if name not in self.work_orders:
            self.work_orders[name] = WorkOrderRecord(
                order.work_order_id, order.sequence, order.format
            )
        return self.work_orders[name]

    def _rejection(self, order: ReceivedWorkOrder) -> str | None:
        if order.work_order_id in self.faults.reject_ids:
            return f"work order {order.work_order_id} is on the simulator's reject list"
        if self.faults.reject_rate and self.rng.random() < self.faults.reject_rate:
            return "simulated rejection (reject_rate)"
        return None

    def set_status(self, work_order_id: str, status: str) -> None:
        """Status of the newest revision of the work order (what the shop floor runs)."""
        with self._lock:
            records = [
                r
                for r in self.work_orders.values()
                if r.work_order_id == work_order_id and r.rejected is None
            ]
            if records:
                max(records, key=lambda r: r.sequence).status = status

    def held(self, work_order_id: str) -> list[dict[str, Any]]:
        """The revisions of one work order this MES holds (rejected ones included, marked)."""
        with self._lock:
            return [
                {"sequence": r.sequence, "status": r.status, "rejected": r.rejected}
                for r in sorted(self.work_orders.values(), key=lambda r: r.sequence)
                if r.work_order_id == work_order_id
            ]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            effects: dict[str, int] = {}
            for record in self.work_orders.values():
                effects[record.work_order_id] = (
                    effects.get(record.work_order_id, 0) + record.effects
                )
            return {
                "requests": self.requests,
                "faults": asdict(self.faults),
                "work_orders": {name: asdict(r) for name, r in self.work_orders.items()},
                "effects": effects,
                "duplicates": dict(self.duplicates),
                "duplicates_total": sum(self.duplicates.values()),
                "attempts": dict(self.attempts),
                "injected": dict(self.injected),
                "callbacks": dict(self.callbacks),
            }
