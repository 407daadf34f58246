"""The simulator's shop-floor story, without HTTP: what it reports and that it folds cleanly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mes_bridge import payloads
from mes_bridge.intake import Outcome, Progress, fold
from mes_bridge.lifecycle import EventKind, WorkOrderState
from mes_bridge.model import Event, PayloadFormat
from mes_bridge.sim_executor import abort_step, run_steps, timeline
from mes_bridge.sim_intake import read_work_order
from mes_bridge.sim_state import Faults, SimState


def story(order, **faults) -> list[Event]:
    body = payloads.render(order, PayloadFormat.JSON, "m", order.planned_start)
    received = read_work_order(body, "application/json")
    state = SimState(Faults(**faults), seed=5)
    steps = run_steps(received, state)
    moments = timeline(received, steps, abort_step(received, steps, state))
    return [
        Event(
            f"e{n}",
            order.id,
            n,
            kind,
            at,
            None if g is None else Decimal(g),
            None if s is None else Decimal(s),
            None,
            ops,
        )
        for n, (at, kind, ops, g, s) in enumerate(moments, start=1)
    ]


def folded(events: list[Event]) -> Progress:
    progress = Progress(WorkOrderState.DISPATCHED)
    for event in events:
        result = fold(progress, event)
        assert result.outcome is Outcome.APPLIED, (event, result.note)
        progress = result.progress
    return progress


def test_an_undisturbed_order_reports_accept_start_progress_and_completion(make_order):
    events = story(make_order(quantity=3))
    kinds = [e.kind for e in events]
    assert kinds[:2] == [EventKind.ACCEPTED, EventKind.STARTED] and kinds[-1] is EventKind.COMPLETED
    goods = [e.good for e in events if e.good is not None]
    assert goods == sorted(goods) and goods[-1] == 3
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
    assert folded(events).state is WorkOrderState.COMPLETED


def test_operations_never_start_before_their_planned_window_nor_overlap(make_order):
    order = make_order()
    events = story(order)
    starts = {
        op.operation_id: op.actual_start
        for e in events
        for op in e.operations
        if op.state is EventKind.STARTED and op.actual_start is not None
    }
    ends = {
        op.operation_id: op.actual_end
        for e in events
        for op in e.operations
        if op.state is EventKind.COMPLETED and op.actual_end is not None
    }
    for op in order.operations:
        assert starts[op.id] >= op.planned_start and ends[op.id] > starts[op.id]
    assert starts["OP20"] >= ends["OP10"]


def test_interruptions_are_followed_by_a_resume_and_the_order_still_completes(make_order):
    events = story(make_order(), interrupt_rate=1.0)
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.INTERRUPTED) == 2 == kinds.count(EventKind.RESUMED)
    assert kinds.index(EventKind.INTERRUPTED) < kinds.index(EventKind.RESUMED)
    assert folded(events).state is WorkOrderState.COMPLETED


def test_an_aborted_order_stops_reporting_after_the_abort(make_order):
    events = story(make_order(), abort_ids=("WO-1001",))
    assert events[-1].kind is EventKind.ABORTED
    assert EventKind.COMPLETED not in [e.kind for e in events]
    assert folded(events).state is WorkOrderState.ABORTED


def test_scrap_is_a_running_total_that_only_counts_finished_operations(make_order):
    events = story(make_order(quantity=4), scrap_rate=0.5)
    scraps = [e.scrap for e in events if e.scrap is not None]
    assert scraps == sorted(scraps) and scraps[-1] > 0
    json.dumps(payloads.event_document(events[-1]))  # every event stays serialisable


# The shop floor on the business clock (sim_floor): machines, lateness, breakdowns.


def floor_story(order, now, machines=None, **faults):
    from mes_bridge.sim_executor import floor_steps
    from mes_bridge.sim_floor import Machines

    body = payloads.render(order, PayloadFormat.JSON, "m", order.planned_start)
    received = read_work_order(body, "application/json")
    state = SimState(Faults(**faults), seed=7)
    machines = machines or Machines()
    return received, floor_steps(received, state, machines, now), machines


def test_on_the_business_clock_nothing_starts_before_its_plan_nor_in_the_past(make_order):
    order = make_order()
    early = order.planned_start - timedelta(hours=1)
    received, steps, _ = floor_story(order, early, duration_spread=0.3, late_start_rate=0.5)
    for planned, step in zip(received.steps, steps, strict=True):
        assert step.start >= planned.planned_start
    late = order.planned_start + timedelta(hours=5)
    _, steps, _ = floor_story(order, late)
    assert steps[0].start >= late


def test_a_busy_machine_delays_the_next_work_order_planned_on_it(make_order):
    order = make_order()
    _, first, machines = floor_story(order, order.planned_start)
    _, second, _ = floor_story(order, order.planned_start, machines=machines)
    assert second[0].start >= first[0].end  # same machine, same planned slot: it waits


def test_actual_durations_spread_around_the_planned_one(make_order):
    order = make_order()
    received, _, _ = floor_story(order, order.planned_start)
    planned = (received.steps[0].planned_end - received.steps[0].planned_start).total_seconds()
    spans = []
    for seed in range(40):
        from mes_bridge.sim_executor import floor_steps
        from mes_bridge.sim_floor import Machines

        state = SimState(Faults(duration_spread=0.3), seed=seed)
        step = floor_steps(received, state, Machines(), order.planned_start)[0]
        spans.append((step.end - step.start).total_seconds())
    assert min(spans) < planned < max(spans)


def test_a_breakdown_stops_the_machine_and_is_reported_as_an_interruption(make_order):
    order = make_order()
    received, steps, machines = floor_story(order, order.planned_start, breakdown_rate=1.0)
    assert all(step.pause for step in steps)
    assert {b.machine_id for b in machines.breakdowns} == {s.machine_id for s in received.steps}
    kinds = [kind for _, kind, *_ in timeline(received, steps, None)]
    assert kinds.count(EventKind.INTERRUPTED) == len(steps) == kinds.count(EventKind.RESUMED)


def test_the_first_free_gap_skips_busy_intervals():
    from mes_bridge.sim_floor import first_gap

    t = datetime(2026, 12, 1, 8, tzinfo=UTC)
    busy = [(t, t + timedelta(minutes=30)), (t + timedelta(minutes=40), t + timedelta(hours=1))]
    assert first_gap(busy, t, timedelta(minutes=10)) == t + timedelta(minutes=30)
    assert first_gap(busy, t, timedelta(minutes=11)) == t + timedelta(hours=1)
