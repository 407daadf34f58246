"""Planning goes on once the shop floor reports what really happened (issue 11, point 1).

The MES reports an operation that ran longer than its routing says, started late, and the
next one still running; every later insertion, re-plan and breakdown repair must still pass
the checker and take that work at its actual machine and times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from c2m import plan_versions, planning
from c2m.models import PlannedOperation, PlanRun, PlanRunStatus
from mes_bridge.lifecycle import EventKind
from mes_bridge.model import Event
from tests.flow.conftest import SAMPLES
from tests.operation.conftest import actual, post_event, work_order_numbers

pytestmark = pytest.mark.usefixtures("no_background_worker")


@pytest.fixture(autouse=True)
def short_replans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-plans search for 20 s in the plant; what is checked here holds after 2 s."""
    monkeypatch.setattr(planning, "REPLAN_TIME_LIMIT_S", 2.0)


def carried_out(app, run_id: int) -> PlanRun:  # type: ignore[no-untyped-def]
    planning.carry_out(app.extensions["c2m.sessions"], SAMPLES, run_id)
    with app.extensions["c2m.sessions"]() as session:
        return session.get_one(PlanRun, run_id)


def current_rows(app) -> list[PlannedOperation]:  # type: ignore[no-untyped-def]
    with app.extensions["c2m.sessions"]() as session:
        run = planning.current_run(session)
        assert run is not None
        query = select(PlannedOperation).where(plan_versions.rows_of(run))
        return list(session.scalars(query.order_by(PlannedOperation.start)))


def report_first_two_operations(plant, settings) -> tuple[PlannedOperation, PlannedOperation]:  # type: ignore[no-untyped-def]
    """Operation one ran 7 minutes late and 11 minutes longer; operation two is running."""
    number = work_order_numbers(plant)[0]
    first, second = current_rows(plant)[:2]
    started = first.start + timedelta(minutes=7)
    ended = first.end + timedelta(minutes=18)
    operations = (
        actual(first.operation_id, first.machine, started, ended, EventKind.COMPLETED),
        actual(second.operation_id, second.machine, ended, None, EventKind.STARTED),
    )
    for sequence, kind in enumerate((EventKind.ACCEPTED, EventKind.STARTED), 1):
        event_id = f"evt-actuals-{sequence}"
        event = Event(event_id, number, sequence, kind, started, operations=operations)
        assert post_event(plant, settings, event).status_code == 200
    return first, second


def test_insert_replan_and_breakdown_succeed_after_the_mes_reports_actual_times(
    plant, planner, place, settings  # type: ignore[no-untyped-def]
) -> None:
    first_order = place("shop-floor-0001")
    assert carried_out(plant, first_order["plan_run"]).is_current
    assert planner.post(f"/api/v1/plan-runs/{first_order['plan_run']}/release").status_code == 200
    first, second = report_first_two_operations(plant, settings)

    runs = [place("shop-floor-0002")["plan_run"]]
    runs.append(planner.post("/api/v1/plan-runs", json={"kind": "replan"}).get_json()["plan_run"])
    window = {"from": (first.end + timedelta(days=1)).isoformat(),
              "until": (first.end + timedelta(days=1, hours=3)).isoformat()}
    breakdown = {"kind": "breakdown", "machine": second.machine, **window}
    runs.append(planner.post("/api/v1/plan-runs", json=breakdown).get_json()["plan_run"])
    for run_id in runs:
        run = carried_out(plant, run_id)
        assert run.status is PlanRunStatus.SUCCEEDED and run.is_current, run.message

    by_operation = {(row.order_line_id, row.operation_id): row for row in current_rows(plant)}
    done = by_operation[(first.order_line_id, first.operation_id)]
    assert (done.start, done.end) == (first.start + timedelta(minutes=7),
                                      first.end + timedelta(minutes=18))
    assert done.fixed
    running = by_operation[(second.order_line_id, second.operation_id)]
    assert running.start == done.end and running.fixed


def test_a_stored_plan_version_is_never_rewritten_by_shop_floor_reports(
    plant, planner, place, settings  # type: ignore[no-untyped-def]
) -> None:
    order = place("shop-floor-0003")
    carried_out(plant, order["plan_run"])
    planner.post(f"/api/v1/plan-runs/{order['plan_run']}/release")
    before = [(r.operation_id, r.machine, r.start, r.end) for r in current_rows(plant)]
    report_first_two_operations(plant, settings)
    after = [(r.operation_id, r.machine, r.start, r.end) for r in current_rows(plant)]
    assert after == before
