"""One use case places an order, whichever door it comes through (issue 11, point 8).

Orders placed through the API get a delivery promise as checkout orders do, so the
tardiness objective counts them; the promise reads the same plant as a plan run: planned
machine downtime included."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from c2m import planning
from c2m.clock import business_now
from c2m.db import unit_of_work
from c2m.models import MachineDowntime, Order
from tests.flow.conftest import SAMPLES

pytestmark = pytest.mark.usefixtures("no_background_worker")


def promised(app, number: str) -> datetime:  # type: ignore[no-untyped-def]
    with app.extensions["c2m.sessions"]() as session:
        when = session.scalar(select(Order.promised_at).filter_by(number=number))
    assert when is not None, f"order {number} has no promise"
    return when


def test_an_order_placed_through_the_api_is_promised_and_tracked_with_it(plant, place) -> None:  # type: ignore[no-untyped-def]
    placed = place("api-promise-0001")
    tracked = plant.test_client().get(placed["tracking_url"].split("localhost", 1)[-1]).get_json()
    assert tracked["promised_at"] == promised(plant, placed["order"]).isoformat()
    assert promised(plant, placed["order"]) > business_now()


def test_the_promise_waits_for_planned_downtime_of_every_machine(plant, place) -> None:  # type: ignore[no-untyped-def]
    sessions = plant.extensions["c2m.sessions"]
    before = place("downtime-promise-0001")
    planning.carry_out(sessions, SAMPLES, before["plan_run"])
    until = business_now() + timedelta(days=12)
    with unit_of_work(sessions) as session:
        machines = planning.factory_of(SAMPLES).machines
        session.add_all(MachineDowntime(machine=m, start=business_now(), end=until,
                                        reason="plant holiday") for m in machines)
    after = place("downtime-promise-0002")
    assert promised(plant, before["order"]) < until < promised(plant, after["order"])
