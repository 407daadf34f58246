"""The delivery promise is a commitment the plant can keep (issue 11, the on-time figure).

Orders placed but not yet planned take capacity before a new one; the promise is the
planned completion plus a safety margin, rounded up to the end of a working day of the
packing line in the factory's time zone; the configurator panel and checkout agree, however
many customers click at once."""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from c2m import planning, promise
from c2m.clock import business_now
from c2m.models import Order, PlannedOperation
from c2m.settings import SettingsError
from c2m.web import formatting
from planner.model import PlanningError
from tests.flow.conftest import SAMPLES, named_configuration

pytestmark = pytest.mark.usefixtures("no_background_worker")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SOFA = named_configuration("sofa", "compact_grey")
PACKING_DAYS = {0, 1, 2, 3, 4, 5}  # the packing line's two_shift calendar: Monday to Saturday


def promised_now(app: Flask, model: str = "sofa", choices: dict[str, Any] = SOFA) -> Any:
    with app.extensions["c2m.sessions"]() as session:
        return promise.promise_for(session, model, choices)


def stored_promise(app: Flask, number: str) -> datetime:
    with app.extensions["c2m.sessions"]() as session:
        when = session.scalar(select(Order.promised_at).filter_by(number=number))
    assert when is not None, f"order {number} has no promise"
    return when


def is_end_of_packing_day(moment: datetime) -> bool:
    local = moment.astimezone(SHANGHAI)
    return (local.hour, local.minute, local.second) == (22, 0, 0) and (
        local.weekday() in PACKING_DAYS
    )


@pytest.fixture()
def no_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(promise.MARGIN_ENV, "0")
    monkeypatch.setenv(promise.MARGIN_MIN_ENV, "0")


@pytest.fixture()
def unrounded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Promises at the planned completion itself: rounded up to the end of a packing day, two
    promises fall on the same day whenever the clock is late in it (a flaky comparison)."""
    monkeypatch.setattr(promise, "_commitment", lambda _factory, _machine, moment: moment)
    yield
    with promise._CACHE_LOCK:  # no unrounded promise may answer a later test
        promise._CACHE.clear()


def test_orders_waiting_for_a_plan_run_push_the_promise_of_the_next_one_later(
    plant: Flask, place: Callable[..., dict[str, Any]], no_margin: None, unrounded: None
) -> None:
    first = promised_now(plant)
    numbers = [place(f"waiting-order-{n:04d}")["order"] for n in range(8)]
    after = promised_now(plant)
    assert first.source == after.source == "planner"
    assert after.ready_at > first.ready_at  # no plan run took the eight in: they still count
    stored = [stored_promise(plant, number) for number in numbers]
    assert stored[-1] > stored[0]  # each promise counted the orders placed before it


def test_a_promise_is_the_end_of_a_packing_day_in_the_factory_zone_after_the_planned_completion(
    plant: Flask, place: Callable[..., dict[str, Any]]
) -> None:
    placed = place("end-of-day-0001")
    promised_at = stored_promise(plant, placed["order"])
    assert is_end_of_packing_day(promised_at), promised_at.astimezone(SHANGHAI)
    planning.carry_out(plant.extensions["c2m.sessions"], SAMPLES, placed["plan_run"])
    with plant.extensions["c2m.sessions"]() as session:
        planned_end = max(session.scalars(select(PlannedOperation.end)))
    assert business_now() < planned_end <= promised_at


def test_without_a_margin_the_promise_is_still_never_before_the_planned_completion(
    plant: Flask, place: Callable[..., dict[str, Any]], no_margin: None
) -> None:
    placed = place("no-margin-0001")
    planning.carry_out(plant.extensions["c2m.sessions"], SAMPLES, placed["plan_run"])
    with plant.extensions["c2m.sessions"]() as session:
        planned_end = max(session.scalars(select(PlannedOperation.end)))
    promised_at = stored_promise(plant, placed["order"])
    assert planned_end <= promised_at < planned_end + timedelta(days=3)
    assert is_end_of_packing_day(promised_at)


def test_a_larger_margin_setting_promises_later(
    plant: Flask, monkeypatch: pytest.MonkeyPatch, no_margin: None
) -> None:
    tight = promised_now(plant)
    monkeypatch.setenv(promise.MARGIN_ENV, "10")
    loose = promised_now(plant)
    monkeypatch.setenv(promise.MARGIN_ENV, "0")
    monkeypatch.setenv(promise.MARGIN_MIN_ENV, "200")
    floored = promised_now(plant)
    assert tight.ready_at < loose.ready_at
    assert floored.ready_at >= business_now() + timedelta(hours=200)
    assert is_end_of_packing_day(loose.ready_at) and is_end_of_packing_day(floored.ready_at)


@pytest.mark.parametrize("raw", ["a quarter", "-0.1", "nan"])
def test_a_margin_setting_that_is_no_fraction_is_named_in_the_error(
    plant: Flask, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(promise.MARGIN_ENV, raw)
    with pytest.raises(SettingsError, match=promise.MARGIN_ENV):
        promised_now(plant)


def test_the_lead_time_fallback_gets_the_margin_and_the_end_of_day_too(
    plant: Flask, monkeypatch: pytest.MonkeyPatch, no_margin: None
) -> None:
    def no_position(*_args: object, **_kwargs: object) -> None:
        raise PlanningError("no feasible position")  # the fallback is for planning errors only

    monkeypatch.setattr(promise.LiveSchedule, "insert_order", no_position)
    monkeypatch.setattr(promise, "_CACHE", OrderedDict())  # promises made by the planner
    monkeypatch.setattr(promise, "_PLANTS", {})  # and the plants it built
    tight = promised_now(plant)
    monkeypatch.setenv(promise.MARGIN_ENV, "10")
    loose = promised_now(plant)
    assert tight.source == loose.source == "lead_time"
    assert tight.ready_at < loose.ready_at
    assert is_end_of_packing_day(tight.ready_at) and is_end_of_packing_day(loose.ready_at)


def panel_date(html: str) -> str:
    marker = html.index('class="promise"')
    after = html[marker: marker + 300].split("ready by ", 1)[1]
    shown = re.match(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", after)  # "Dec 10, 2026"
    assert shown is not None, "no English day after 'ready by'"
    return shown.group(0)


def test_concurrent_clicks_and_checkout_agree_on_one_promise(
    plant: Flask, live_server: str, place: Callable[..., dict[str, Any]]
) -> None:
    for n in range(3):  # waiting orders: the clicks below race to insert the last of them
        place(f"before-clicks-{n:04d}")
    url = f"{live_server}/configure/sofa?choices={quote(json.dumps(SOFA))}"

    def click(_: int) -> tuple[int, str, datetime]:
        page = requests.get(url, timeout=300)
        return page.status_code, page.text, promised_now(plant).ready_at

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(click, range(16)))
    assert [status for status, _, _ in answers] == [200] * 16
    assert len({panel_date(text) for _, text, _ in answers}) == 1
    assert len({ready for _, _, ready in answers}) == 1
    shown = answers[0][2]
    placed = place("after-clicks-0001")
    assert stored_promise(plant, placed["order"]) == shown
    assert panel_date(answers[0][1]) == formatting.day(shown, "en", SHANGHAI)


@pytest.mark.parametrize(
    ("calendar", "local_moment", "local_end"),
    [
        ("two_shift", "2026-12-05 23:30", "2026-12-07 22:00"),  # Saturday night: Monday (no Sunday)
        ("two_shift", "2026-09-30 21:00", "2026-09-30 22:00"),  # inside the day: its end
        ("two_shift", "2026-09-30 22:30", "2026-10-03 22:00"),  # past it: holidays Oct 1, 2
        ("day_shift", "2026-12-02 12:30", "2026-12-02 17:30"),  # in the lunch break
        ("three_shift", "2026-12-03 03:00", "2026-12-03 06:00"),  # in yesterday's night shift
    ],
)
def test_a_moment_rounds_up_to_the_end_of_its_working_day_in_the_factory_zone(
    calendar: str, local_moment: str, local_end: str
) -> None:
    factory = planning.factory_of(SAMPLES)
    moment = datetime.fromisoformat(local_moment).replace(tzinfo=SHANGHAI)
    rounded = promise.end_of_working_day(factory.calendars[calendar], factory.zone, moment)
    assert rounded.astimezone(SHANGHAI) == datetime.fromisoformat(local_end).replace(
        tzinfo=SHANGHAI
    )
    assert rounded.utcoffset() == timedelta(0)  # stored as UTC, like every time
