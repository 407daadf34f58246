"""The EDD baseline and the report maths, on small hand-made plants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from c2m.plant_sim import report
from c2m.plant_sim.baseline import BaselineOperation, BaselineOrder, edd, fit

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
ALWAYS = [(T0, T0 + timedelta(days=30))]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def order(number, arrival, due, *ops):
    return BaselineOrder(number, at(arrival), None if due is None else at(due), tuple(ops))


def op(name, minutes, predecessors=(), factor=1.0):
    return BaselineOperation(name, tuple(predecessors), minutes, factor)


def test_an_operation_only_starts_inside_a_working_window():
    windows = [(at(0), at(60)), (at(120), at(240))]
    assert fit(windows, at(30), timedelta(minutes=20)) == at(30)
    assert fit(windows, at(50), timedelta(minutes=20)) == at(120)
    assert fit(windows, at(50), timedelta(minutes=500)) is None


def test_the_machine_takes_the_ready_operation_with_the_earliest_due_date():
    late_due = order("A", 0, 500, op("cut", {"M": 30}))
    early_due = order("B", 0, 100, op("cut", {"M": 30}))
    result = edd([late_due, early_due], {"M": ALWAYS})
    assert result.completed == {"B": at(30), "A": at(60)}


def test_an_order_is_never_started_before_it_arrives():
    waiting = order("A", 0, 1000, op("cut", {"M": 30}))
    urgent_later = order("B", 10, 50, op("cut", {"M": 30}))
    result = edd([waiting, urgent_later], {"M": ALWAYS})
    assert result.completed["A"] == at(30)  # B had not arrived when M was free
    assert result.completed["B"] == at(60)


def test_operations_follow_their_predecessors_and_use_actual_durations():
    two_steps = order(
        "A", 0, 1000, op("cut", {"M1": 30}, factor=2.0), op("sew", {"M2": 10}, ["cut"])
    )
    result = edd([two_steps], {"M1": ALWAYS, "M2": ALWAYS})
    assert result.completed == {"A": at(70)}


def test_an_operation_goes_to_the_eligible_machine_that_can_start_first():
    a = order("A", 0, 100, op("cut", {"M1": 30, "M2": 60}))
    b = order("B", 0, 200, op("cut", {"M1": 30, "M2": 60}))
    result = edd([a, b], {"M1": ALWAYS, "M2": ALWAYS})
    assert result.completed == {"A": at(30), "B": at(60)}


def test_percentiles_and_on_time_rate():
    assert report.percentile([5, 1, 3, 2, 4], 0.95) == 5
    assert report.percentile([1, 2, 3, 4], 0.5) == 2
    assert report.percentile([], 0.95) is None
    promised = {"A": at(60), "B": at(60), "C": at(60)}
    completed = {"A": at(30), "B": at(90)}  # C unfinished counts as late
    assert report.on_time_rate(completed, promised) == 1 / 3


def test_lead_time_and_utilisation_come_from_the_reported_times():
    details = [
        {
            "number": "A",
            "created_at": at(0).isoformat(),
            "completed_at": at(180).isoformat(),
            "actuals": {"cut": {"start": at(0).isoformat(), "end": at(60).isoformat()}},
        }
    ]
    assert report.lead_hours(details) == [3.0]
    assert report.utilisation(details, machines=2, span=timedelta(hours=1)) == 0.5


def test_the_baseline_sees_the_actual_over_planned_factor_of_each_operation():
    detail = {
        "number": "A",
        "created_at": at(0).isoformat(),
        "promised_at": None,
        "operations": [{"id": "cut", "machines": {"M1": {"duration": 20}}, "predecessors": []}],
        "actuals": {
            "cut": {"machine": "M1", "start": at(0).isoformat(), "end": at(30).isoformat()}
        },
    }
    (built,) = report.baseline_orders([detail])
    assert built.operations[0].actual_factor == 1.5
