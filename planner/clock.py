"""Business time: the clock the plan, the promise and the shop floor agree on.

In a plant it is the wall clock. The plant simulator runs it faster (`speed` shop seconds per
wall second from `anchor`), so a simulated week fits in minutes; every process given the same
anchor and speed reads the same time. Infrastructure timers (claims, leases, retries,
signatures) stay on the wall clock: they measure how long a process has been silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Clock:
    anchor: datetime  # the wall moment at which business time equals wall time
    speed: float = 1.0

    def at(self, wall: datetime) -> datetime:
        return self.anchor + (wall - self.anchor) * self.speed

    def now(self) -> datetime:
        return self.at(datetime.now(UTC))

    def wall_seconds(self, business_seconds: float) -> float:
        """How long a business-time span takes on the wall clock."""
        return business_seconds / self.speed


WALL = Clock(datetime(2000, 1, 1, tzinfo=UTC), 1.0)
