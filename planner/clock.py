"""Business time: the clock the plan, the promise and the shop floor agree on.

In a plant it is the wall clock. The plant simulator runs it faster (`speed` shop seconds per
wall second from `anchor`), so a simulated week fits in minutes, and may start it at another
business moment (`start`, say a Monday's first shift) so a run does not depend on the weekday
it is launched on. Every process given the same three values reads the same time.
Infrastructure timers (claims, leases, retries, signatures) stay on the wall clock: they
measure how long a process has been silent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime


class ClockSettingError(ValueError):
    pass


@dataclass(frozen=True)
class Clock:
    anchor: datetime  # the wall moment the business clock is counted from
    speed: float = 1.0
    start: datetime | None = None  # business time at `anchor`; unset, the anchor itself

    def at(self, wall: datetime) -> datetime:
        return (self.start or self.anchor) + (wall - self.anchor) * self.speed

    def now(self) -> datetime:
        return self.at(datetime.now(UTC))

    def wall_seconds(self, business_seconds: float) -> float:
        """How long a business-time span takes on the wall clock."""
        return business_seconds / self.speed


WALL = Clock(datetime(2000, 1, 1, tzinfo=UTC), 1.0)


def clock_from_env(env: Mapping[str, str]) -> Clock | None:
    """The clock `C2M_CLOCK_SPEED`, `C2M_CLOCK_ANCHOR` and `C2M_CLOCK_START` describe, or None
    when they leave business time on the wall clock. Every process of a deployment reads it."""
    raw_speed = env.get("C2M_CLOCK_SPEED") or "1"
    raw_anchor, raw_start = env.get("C2M_CLOCK_ANCHOR") or "", env.get("C2M_CLOCK_START") or ""
    speed = _speed(raw_speed)
    if not raw_anchor:
        if speed != 1 or raw_start:
            raise ClockSettingError(
                "C2M_CLOCK_SPEED and C2M_CLOCK_START need C2M_CLOCK_ANCHOR (when it started)"
            )
        return None
    start = _moment("C2M_CLOCK_START", raw_start) if raw_start else None
    return Clock(_moment("C2M_CLOCK_ANCHOR", raw_anchor), speed, start)


def _speed(raw: str) -> float:
    try:
        speed = float(raw)
    except ValueError:
        raise ClockSettingError(f"C2M_CLOCK_SPEED={raw!r} is not a number") from None
    if not speed > 0:
        raise ClockSettingError(f"C2M_CLOCK_SPEED={raw!r} must be above zero")
    return speed


def _moment(name: str, raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ClockSettingError(f"{name}={raw!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ClockSettingError(f"{name}={raw!r} needs a time zone")
    return moment
