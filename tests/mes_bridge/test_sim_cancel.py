"""The reference MES honours a cancel revision: a work order not started is withdrawn (its due
events dropped, a later push of it not run); one already started is refused, the same way
however often the cancel is repeated. And who may cancel an order when, in c2m (pure)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from c2m.cancellation import Actor, Reason, refusal
from mes_bridge.lifecycle import EventKind, WorkOrderState
from mes_bridge.sim_intake import PlannedStep, ReceivedWorkOrder
from mes_bridge.sim_state import Verdict
from mes_bridge.simulator import SimSettings, Simulator

S = WorkOrderState
SECRET = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3"


def work_order(name: str, sequence: int = 1, cancelled: bool = False) -> ReceivedWorkOrder:
    start = datetime.now(UTC)
    steps = (PlannedStep("cut", "saw-1", start, start + timedelta(minutes=30)),)
    return ReceivedWorkOrder(name, sequence, 1, steps, "json", cancelled)


def simulator(speed: float) -> Simulator:
    return Simulator(SimSettings(secret=SECRET, speed=speed, clock=None))


def test_a_work_order_not_started_is_withdrawn_and_a_later_push_of_it_is_not_run() -> None:
    sim = simulator(speed=0.0001)
    order = work_order("WO-1")
    sim.executor.execute(order)  # the executor is not started: nothing happens yet
    assert sim.executor.pending() > 0
    cancel = replace(order, sequence=2, cancelled=True)
    answers = [sim.state.cancel("k-1", cancel, sim.executor.withdraw("WO-1")) for _ in range(2)]
    assert [a[:2] for a in answers] == [(Verdict.APPLIED, 202), (Verdict.DUPLICATE, 202)]
    assert answers[0][2] == answers[1][2]
    assert sim.executor.pending() == 0
    sim.executor.execute(order)  # the release again, e.g. replayed: the floor does not run it
    assert sim.executor.pending() == 0
    assert {r["status"] for r in sim.state.held("WO-1")} == {"cancelled"}
    sim.server.server_close()


def test_a_work_order_already_started_is_not_withdrawn_and_the_cancel_is_refused() -> None:
    sim = simulator(speed=20000)
    sim.executor.start()
    try:
        sim.executor.execute(work_order("WO-2"))
        deadline = time.monotonic() + 10
        while not any(e.kind is EventKind.STARTED for e in sim.executor.happened("WO-2")):
            assert time.monotonic() < deadline, "the work order never started"
            time.sleep(0.01)
        cancel = work_order("WO-2", sequence=2, cancelled=True)
        first = sim.state.cancel("k-2", cancel, sim.executor.withdraw("WO-2"))
        again = sim.state.cancel("k-2", cancel, sim.executor.withdraw("WO-2"))
    finally:
        sim.executor.stop()
        sim.server.server_close()
    assert first[:2] == (Verdict.REJECTED, 409)
    assert again[1:] == first[1:]


@pytest.mark.parametrize(
    ("state", "work_orders", "started", "actor", "expected"),
    [
        (S.ENGINEERED, [], False, Actor.CUSTOMER, None),
        (S.PLANNED, [], False, Actor.CUSTOMER, None),
        (S.RELEASED, [S.DISPATCHED], False, Actor.CUSTOMER, Reason.RELEASED),
        (S.RELEASED, [S.ACCEPTED], False, Actor.PLANNER, None),
        (S.RELEASED, [S.ACCEPTED], True, Actor.PLANNER, Reason.STARTED),
        (S.RELEASED, [S.RUNNING], False, Actor.PLANNER, Reason.STARTED),
        (S.RUNNING, [S.RUNNING], True, Actor.CUSTOMER, Reason.STARTED),
        (S.COMPLETED, [S.COMPLETED], True, Actor.PLANNER, Reason.FINISHED),
        (S.PLANNED, [S.REJECTED], False, Actor.CUSTOMER, None),
    ],
)
def test_who_may_cancel_when_is_decided_in_one_place(
    state: S, work_orders: list[S], started: bool, actor: Actor, expected: Reason | None
) -> None:
    assert refusal(state, work_orders, started, actor) is expected
