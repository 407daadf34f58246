"""The simulator's shop floor on the business clock: machines that are busy, late, and break.

With `C2M_CLOCK_SPEED` and `C2M_CLOCK_ANCHOR` set (the variables every c2m process reads),
an operation planned at business time T starts no earlier than T, nor before its predecessor
ends, nor while its machine is busy with earlier work; it lasts a lognormal draw around its
planned duration, may start late, may be interrupted by a machine breakdown. Without them the
legacy behaviour stays (`run_steps` in sim_executor: one work order at a time, sped up).
"""

from __future__ import annotations

import bisect
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from planner.clock import Clock
from planner.clock import clock_from_env as read_clock

MIN_SPAN = timedelta(seconds=1)


def clock_from_env(env: Mapping[str, str] | None = None) -> Clock | None:
    """The deployment's business clock, or None when the variables are unset (wall clock)."""
    return read_clock(os.environ if env is None else env)


def wall_delay(clock: Clock, moment: datetime) -> float:
    """Wall seconds from now until business time `moment` (0 if it has passed)."""
    return max(0.0, clock.wall_seconds((moment - clock.now()).total_seconds()))


@dataclass(frozen=True)
class Breakdown:
    machine_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Draws:
    """Random numbers for one operation, drawn by the caller (keeps this module pure)."""

    duration_factor: float  # lognormal around 1
    late_minutes: float  # 0: on time
    breakdown_minutes: float  # 0: no breakdown
    breakdown_at: float  # fraction of the span at which the machine stops


def lognormal_factor(spread: float, gauss: float) -> float:
    """exp(spread·z): median 1 (the routing time), skewed to the late side as real work is."""
    return math.exp(spread * gauss)


class Machines:
    """Busy intervals per machine, thread-safe: work is booked as it is received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: dict[str, list[tuple[datetime, datetime]]] = {}
        self.breakdowns: list[Breakdown] = []

    def book(self, machine_id: str, earliest: datetime, span: timedelta) -> datetime:
        """The first start at or after `earliest` where the machine is free for `span`."""
        with self._lock:
            busy = self._busy.setdefault(machine_id, [])
            start = first_gap(busy, earliest, span)
            bisect.insort(busy, (start, start + span))
            return start

    def record_breakdown(self, breakdown: Breakdown) -> None:
        with self._lock:
            self.breakdowns.append(breakdown)

    def forget_before(self, moment: datetime) -> None:
        """Intervals that ended long ago can no longer block anything (bounded memory)."""
        with self._lock:
            for machine_id, busy in self._busy.items():
                self._busy[machine_id] = [item for item in busy if item[1] >= moment]
            self.breakdowns = [b for b in self.breakdowns if b.end >= moment]


def first_gap(
    busy: list[tuple[datetime, datetime]], earliest: datetime, span: timedelta
) -> datetime:
    """Earliest start ≥ `earliest` such that [start, start + span) overlaps no busy interval
    (`busy` sorted by start)."""
    start = earliest
    for busy_start, busy_end in busy:
        if busy_end <= start:
            continue
        if busy_start >= start + span:
            break
        start = busy_end
    return start
