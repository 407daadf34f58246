"""A breakdown repair moves work only after the frozen horizon (issue 11, point 8).

The near-term plan is what the shop floor prepares for: a repair after a machine breaks down
may move the work the breakdown hits, but never to a start inside the frozen horizon."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from c2m import planning
from c2m.clock import business_now
from c2m.models import PlanRun, PlanRunStatus
from tests.flow.conftest import SAMPLES
from tests.operation.test_planning_follows_the_shop_floor import current_rows

pytestmark = pytest.mark.usefixtures("no_background_worker")


def test_work_a_breakdown_hits_moves_to_after_the_frozen_horizon(
    plant, planner, place, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(planning, "REPLAN_TIME_LIMIT_S", 2.0)
    sessions = plant.extensions["c2m.sessions"]
    planning.carry_out(sessions, SAMPLES, place("breakdown-horizon-0001")["plan_run"])
    first = current_rows(plant)[0]
    window = {"from": business_now().isoformat(),
              "until": (first.end + timedelta(days=1)).isoformat()}
    asked = planner.post("/api/v1/plan-runs",
                         json={"kind": "breakdown", "machine": first.machine, **window})
    run_id = asked.get_json()["plan_run"]
    planning.carry_out(sessions, SAMPLES, run_id)
    with sessions() as session:
        run = session.get_one(PlanRun, run_id)
        assert run.status is PlanRunStatus.SUCCEEDED, run.message
        moves, frozen_until = run.moves["moved"], run.frozen_until
    assert moves, "the breakdown hit planned work, so something had to move"
    assert all(datetime.fromisoformat(m["to_start"]) >= frozen_until for m in moves), moves


def test_breakdowns_reported_while_a_repair_waits_are_repaired_by_that_one_run(
    plant, planner, place, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(planning, "REPLAN_TIME_LIMIT_S", 2.0)
    sessions = plant.extensions["c2m.sessions"]
    planning.carry_out(sessions, SAMPLES, place("breakdown-joined-0001")["plan_run"])
    first, second = current_rows(plant)[:2]
    until = first.end + timedelta(days=1)
    asked = [
        planner.post("/api/v1/plan-runs", json={
            "kind": "breakdown", "machine": row.machine,
            "from": business_now().isoformat(), "until": until.isoformat()}).get_json()
        for row in (first, second)
    ]
    assert asked[0]["plan_run"] == asked[1]["plan_run"]
    planning.carry_out(sessions, SAMPLES, asked[0]["plan_run"])
    with sessions() as session:
        run = session.get_one(PlanRun, asked[0]["plan_run"])
        assert run.status is PlanRunStatus.SUCCEEDED and run.is_current, run.message
    for row in current_rows(plant):
        if row.machine in {first.machine, second.machine}:
            assert row.end <= business_now() or row.start >= until, row.operation_key
