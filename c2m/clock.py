"""The business clock of this process, from `C2M_CLOCK_SPEED` and `C2M_CLOCK_ANCHOR`.

Every process of one deployment (web, workers, the MES simulator) reads the same two
variables, so they agree on business time; unset, business time is the wall clock.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache

from planner.clock import WALL, Clock


class ClockSettingError(ValueError):
    pass


@lru_cache(maxsize=1)
def business_clock() -> Clock:
    return clock_from(os.environ)


def clock_from(env: os._Environ[str] | dict[str, str]) -> Clock:
    raw_speed = env.get("C2M_CLOCK_SPEED") or "1"
    try:
        speed = float(raw_speed)
    except ValueError:
        raise ClockSettingError(f"C2M_CLOCK_SPEED={raw_speed!r} is not a number") from None
    if speed <= 0:
        raise ClockSettingError(f"C2M_CLOCK_SPEED={raw_speed!r} must be above zero")
    raw_anchor = env.get("C2M_CLOCK_ANCHOR")
    if not raw_anchor:
        if speed != 1:
            raise ClockSettingError("C2M_CLOCK_SPEED needs C2M_CLOCK_ANCHOR (when it started)")
        return WALL
    try:
        anchor = datetime.fromisoformat(raw_anchor)
    except ValueError:
        message = f"C2M_CLOCK_ANCHOR={raw_anchor!r} is not an ISO 8601 time"
        raise ClockSettingError(message) from None
    if anchor.tzinfo is None:
        raise ClockSettingError(f"C2M_CLOCK_ANCHOR={raw_anchor!r} needs a time zone")
    return Clock(anchor, speed)


def business_now() -> datetime:
    """Now, on the clock the plan and the shop floor share."""
    return business_clock().now()
