"""The business clock of this process, from `C2M_CLOCK_SPEED`, `C2M_CLOCK_ANCHOR` and
`C2M_CLOCK_START` (planner.clock reads them).

Every process of one deployment (web, workers, the MES simulator) reads the same variables,
so they agree on business time; unset, business time is the wall clock.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache

from planner.clock import WALL, Clock, ClockSettingError, clock_from_env

__all__ = ["ClockSettingError", "business_clock", "business_now", "clock_from"]


@lru_cache(maxsize=1)
def business_clock() -> Clock:
    return clock_from(os.environ)


def clock_from(env: os._Environ[str] | dict[str, str]) -> Clock:
    return clock_from_env(env) or WALL


def business_now() -> datetime:
    """Now, on the clock the plan and the shop floor share."""
    return business_clock().now()
