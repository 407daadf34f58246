"""The business clock every process of a deployment reads from the same three variables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from c2m.clock import clock_from
from planner.clock import WALL, ClockSettingError, clock_from_env

ANCHOR = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # Monday 06:00 in Shanghai


def test_unset_variables_leave_business_time_on_the_wall_clock():
    assert clock_from_env({}) is None
    assert clock_from({}) is WALL


def test_a_sped_up_clock_counts_from_its_anchor():
    clock = clock_from_env({"C2M_CLOCK_SPEED": "720", "C2M_CLOCK_ANCHOR": ANCHOR.isoformat()})
    assert clock is not None
    assert clock.at(ANCHOR + timedelta(seconds=120)) == ANCHOR + timedelta(days=1)


def test_a_start_moves_business_time_to_another_moment_at_the_anchor():
    env = {
        "C2M_CLOCK_SPEED": "720",
        "C2M_CLOCK_ANCHOR": ANCHOR.isoformat(),
        "C2M_CLOCK_START": MONDAY.isoformat(),
    }
    clock = clock_from_env(env)
    assert clock is not None
    assert clock.at(ANCHOR) == MONDAY
    assert clock.at(ANCHOR + timedelta(seconds=60)) == MONDAY + timedelta(hours=12)
    assert clock.wall_seconds(86400) == 120


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"C2M_CLOCK_SPEED": "fast", "C2M_CLOCK_ANCHOR": ANCHOR.isoformat()}, "not a number"),
        ({"C2M_CLOCK_SPEED": "0", "C2M_CLOCK_ANCHOR": ANCHOR.isoformat()}, "above zero"),
        ({"C2M_CLOCK_SPEED": "720"}, "need C2M_CLOCK_ANCHOR"),
        ({"C2M_CLOCK_START": MONDAY.isoformat()}, "need C2M_CLOCK_ANCHOR"),
        ({"C2M_CLOCK_ANCHOR": "yesterday"}, "C2M_CLOCK_ANCHOR='yesterday' is not an ISO 8601"),
        ({"C2M_CLOCK_ANCHOR": "2026-12-03T10:00:00"}, "needs a time zone"),
        (
            {"C2M_CLOCK_ANCHOR": ANCHOR.isoformat(), "C2M_CLOCK_START": "2026-12-07"},
            "C2M_CLOCK_START='2026-12-07' needs a time zone",
        ),
    ],
)
def test_an_unreadable_clock_setting_names_the_variable(env: dict[str, str], message: str):
    with pytest.raises(ClockSettingError, match=message):
        clock_from_env(env)
