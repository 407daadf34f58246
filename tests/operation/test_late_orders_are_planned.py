"""An order whose promise has passed is late, not invalid: planning goes on and hurries it
(found by the plant simulator: one late order made every later plan run fail with
"due date -347 is before release 0")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from c2m import planning
from c2m.clock import business_now
from c2m.db import unit_of_work
from c2m.models import Order, PlanRun, PlanRunStatus
from c2m.planning_data import planner_order
from tests.flow.conftest import SAMPLES

pytestmark = pytest.mark.usefixtures("no_background_worker")


def test_a_passed_promise_makes_the_order_due_at_once() -> None:
    origin = business_now()
    order = planner_order(7, origin, origin - timedelta(days=3), origin - timedelta(days=1))
    assert order.release == 0 and order.due == 0


def test_plan_runs_go_on_when_an_order_in_the_schedule_is_past_its_promise(
    plant, place  # type: ignore[no-untyped-def]
) -> None:
    sessions = plant.extensions["c2m.sessions"]
    first = place("late-order-0001")
    planning.carry_out(sessions, SAMPLES, first["plan_run"])
    with unit_of_work(sessions) as session:
        session.execute(update(Order).where(Order.number == first["order"])
                        .values(promised_at=business_now() - timedelta(hours=6)))
    second = place("late-order-0002")["plan_run"]
    planning.carry_out(sessions, SAMPLES, second)
    with sessions() as session:
        run = session.get_one(PlanRun, second)
        assert run.status is PlanRunStatus.SUCCEEDED and run.is_current, run.message
