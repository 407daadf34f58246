"""The simulator's pure parts: how a consumer picks its next option, how invariants judge."""

from __future__ import annotations

import random

from c2m.plant_sim import invariants as inv
from c2m.plant_sim.consumers import next_choices


def feature(name, available, chosen=None, forced=None):
    return {
        "name": name,
        "chosen": chosen,
        "forced": forced,
        "available": [{"value": v} for v in available],
    }


def test_a_consumer_picks_an_unchosen_feature_and_one_of_its_available_values():
    answer = {
        "features": [
            feature("frame", ["single", "dual"], chosen="single"),
            feature("colour", ["black"], forced="black"),
            feature("shape", ["rectangle", "curved"]),
        ]
    }
    picks = {tuple(next_choices(answer, random.Random(seed)).items()) for seed in range(40)}
    assert picks == {(("shape", "rectangle"),), (("shape", "curved"),), (("colour", "black"),)}


def test_a_batch_picks_distinct_open_features_each_with_an_available_value():
    answer = {"features": [feature(f"f{n}", ["a", "b"]) for n in range(6)]}
    picks = next_choices(answer, random.Random(3), batch=3)
    assert len(picks) == 3 and set(picks.values()) <= {"a", "b"}


def test_a_configuration_with_nothing_open_ends_the_walk():
    answer = {"features": [feature("frame", ["single"], chosen="single"), feature("x", [])]}
    assert next_choices(answer, random.Random(1), batch=4) == {}


def sample(at, current=1, overdue=0.0, orders=None, memory=None):
    status = {
        "current_schedules": current,
        "outbox": {"oldest_overdue_s": overdue},
        "orders": orders or {},
    }
    return inv.Sample(at, status, memory or {})


def test_two_current_schedules_in_any_sample_fail_the_run():
    samples = [sample(0, 0), sample(3, 1), sample(6, 2), sample(9, 1)]
    check = inv.one_current_schedule(samples)
    assert not check.ok and "2 current schedules at t=6s" in check.detail


def test_losing_the_current_schedule_after_it_existed_fails_the_run():
    assert not inv.one_current_schedule([sample(0, 1), sample(3, 0)]).ok
    assert inv.one_current_schedule([sample(0, 0), sample(3, 1), sample(6, 1)]).ok


def test_an_in_flight_row_past_its_claim_by_more_than_the_grace_fails():
    assert inv.outbox_never_stuck([sample(0, overdue=4.0)], grace_s=20).ok
    assert not inv.outbox_never_stuck([sample(0, overdue=4.0), sample(3, overdue=31)], 20).ok


def test_every_placed_order_must_be_completed():
    final = {"orders": {"completed": 9, "running": 1}}
    assert not inv.every_order_completed(final, placed=10).ok
    assert inv.every_order_completed({"orders": {"completed": 10}}, placed=10).ok
    assert not inv.every_order_completed({"orders": {"completed": 9}}, placed=10).ok


def test_memory_is_measured_from_each_process_warm_up_level():
    samples = [
        sample(0, memory={"web": 50_000}),  # before its warm-up: ignored
        sample(10, memory={"web": 100_000, "worker-1": 80_000}),
        sample(20, memory={"web": 119_000, "worker-1": 90_000, "worker-2": 40_000}),
        sample(30, memory={"web": 118_000, "worker-2": 90_000}),  # worker-2 warmed up at 20 + 5
        sample(35, memory={"web": 118_000, "worker-2": 95_000}),
    ]
    assert inv.memory_bounded(samples, warm_up_s=5).ok
    samples.append(sample(40, memory={"web": 125_000}))
    check = inv.memory_bounded(samples, warm_up_s=5)
    assert not check.ok and "web 97->122 MiB" in check.detail


def test_a_work_order_applied_twice_at_the_mes_fails_exactly_once():
    final = {"units": {"work_orders": 2}}
    once = {
        "work_orders": {"WO-1@1": {"effects": 1}, "WO-2@1": {"effects": 1}},
        "effects": {"WO-1": 1, "WO-2": 1},
    }
    twice = {
        "work_orders": {"WO-1@1": {"effects": 2}, "WO-2@1": {"effects": 1}},
        "effects": {"WO-1": 2, "WO-2": 1},
    }
    phantom = {"work_orders": {}, "effects": {"WO-1": 1, "WO-2": 1, "WO-3": 1}}
    assert inv.effects_exactly_once(once, final).ok
    assert not inv.effects_exactly_once(twice, final).ok
    assert not inv.effects_exactly_once(phantom, final).ok


def test_5xx_answers_and_unit_mismatches_are_reported():
    assert not inv.no_server_errors(["POST /api/v1/orders -> 500: boom"]).ok
    assert inv.no_server_errors([]).ok
    wrong = {"units": {"units": 3, "mismatched": [{"work_order": "W1", "units": 2}]}}
    assert not inv.units_match_quantities(wrong).ok


def test_the_drain_waits_for_the_latest_commitment_but_never_more_than_three_days_beyond():
    from typing import Any

    from c2m.plant_sim.runner import SimConfig, _drain_wall

    class Status:
        def __init__(self, body: dict[str, Any]) -> None:
            self.body = body

        def json(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
            return 200, self.body

    config = SimConfig(speed=720, drain_days=1.5)
    now = "2026-12-08T22:00:00+00:00"
    promised = {
        "business_now": now,
        "order_details": [{"promised_at": "2026-12-11T22:00:00+00:00"}],
    }
    # three days to the promise, plus two hours' slack, at 120 wall seconds a day
    assert _drain_wall(config, Status(promised)) == (3 * 86400 + 7200) / 720  # type: ignore[arg-type]
    planned_later = {**promised, "planned_until": "2026-12-14T00:57:00+00:00"}
    assert _drain_wall(config, Status(planned_later)) > _drain_wall(config, Status(promised))  # type: ignore[arg-type]
    nothing_owed = {"business_now": now, "order_details": []}
    assert _drain_wall(config, Status(nothing_owed)) == 1.5 * 86400 / 720  # type: ignore[arg-type]
    far = {**nothing_owed, "planned_until": "2027-03-01T00:00:00+00:00"}
    assert _drain_wall(config, Status(far)) == (1.5 + 3) * 86400 / 720  # type: ignore[arg-type]


def test_a_plan_run_the_checker_refused_fails_the_run_and_a_lost_race_does_not():
    # The soak's insert runs failed the checker when the MES reported work running late
    # (planner.live kept the movable work where it was); the counter alone hid it.
    refused = {"plan_run": 24, "kind": "insert",
               "reason": "38/cut_top and 53/cut_frame_panels overlap on CNC-02"}
    race = {"plan_run": 25, "kind": "insert",
            "reason": "the schedule changed while this run computed; it will run again"}
    repair = {"plan_run": 26, "kind": "breakdown", "reason": "a and b overlap on ASM-01"}
    assert not inv.plan_runs_pass_the_checker({"plan_run_failures": [refused, race]}).ok
    judged = inv.plan_runs_pass_the_checker({"plan_run_failures": [race, repair]})
    assert judged.ok and "breakdown repairs refused: 1" in judged.detail
