"""Real HTTP between the delivery client and a simulator process on a spare loopback port."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from mes_bridge import delivery, payloads, signing
from mes_bridge.delivery import Endpoint, OutboundMessage, RetryPolicy, Verdict
from mes_bridge.events_in import parse_json_event
from mes_bridge.intake import Progress, fold
from mes_bridge.lifecycle import EventKind, WorkOrderState
from mes_bridge.model import PayloadFormat

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # the sample work order's start

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

FAST = RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=0.5, max_retry_after=5.0)


def message(order, fmt=PayloadFormat.JSON, key="msg-1") -> OutboundMessage:
    return OutboundMessage(key, order.id, order.sequence, fmt, payloads.render(order, fmt, key, T0))


def deliver(endpoint: Endpoint, outbound: OutboundMessage, policy: RetryPolicy = FAST):
    """The dispatcher loop in miniature: push, decide, sleep, until a final verdict."""
    rng = random.Random(0)
    for attempt in range(1, policy.max_attempts + 1):
        outcome = delivery.push(endpoint, outbound)
        decision = delivery.decide(outcome, attempt, policy, rng)
        if decision.verdict is not Verdict.RETRY:
            return attempt, decision
        time.sleep(decision.delay_seconds)
    raise AssertionError("policy must end in a final verdict")


@pytest.mark.parametrize("fmt", list(PayloadFormat))
def test_a_message_pushed_three_times_has_exactly_one_effect(start_simulator, work_order, fmt):
    sim = start_simulator("--speed", "1000000")
    endpoint = Endpoint(sim.push_url, sim.secret)
    outcomes = [delivery.push(endpoint, message(work_order, fmt)) for _ in range(3)]
    assert [o.status for o in outcomes] == [202, 202, 202]
    state = sim.state()
    assert state["effects"] == {"WO-1001": 1}
    assert state["duplicates"] == {"msg-1": 2}
    assert state["work_orders"]["WO-1001@1"]["format"] == fmt.value


def test_503s_then_success_is_delivered_by_retrying(start_simulator, work_order):
    sim = start_simulator("--error-first", "2")
    attempts, decision = deliver(Endpoint(sim.push_url, sim.secret), message(work_order))
    assert (attempts, decision.verdict) == (3, Verdict.DELIVERED)
    state = sim.state()
    assert state["injected"]["503"] == 2 and state["effects"] == {"WO-1001": 1}


def test_a_429_retry_after_is_honoured_before_the_next_try(start_simulator, work_order):
    sim = start_simulator("--throttle-first", "1", "--retry-after", "1")
    endpoint = Endpoint(sim.push_url, sim.secret)
    first = delivery.push(endpoint, message(work_order))
    assert (first.status, first.retry_after) == (429, "1")
    decision = delivery.decide(first, 1, FAST, random.Random(0))
    assert decision.verdict is Verdict.RETRY and decision.delay_seconds >= 1.0
    time.sleep(decision.delay_seconds)
    assert delivery.push(endpoint, message(work_order)).status == 202
    assert sim.state()["effects"] == {"WO-1001": 1}


@pytest.mark.parametrize("status", ["400", "422"])
def test_a_rejected_work_order_is_not_retried_and_has_no_effect(
    start_simulator, work_order, status
):
    sim = start_simulator("--reject-id", "WO-1001", "--reject-status", status)
    attempts, decision = deliver(Endpoint(sim.push_url, sim.secret), message(work_order))
    assert (attempts, decision.verdict) == (1, Verdict.REJECTED)
    assert "reject list" in decision.reason and decision.reason.startswith(f"HTTP {status}")
    state = sim.state()
    assert state["effects"] == {"WO-1001": 0} and state["attempts"] == {"msg-1": 1}


def test_a_slow_mes_applies_the_order_after_the_client_gave_up_and_the_retry_is_deduplicated(
    start_simulator, work_order
):
    sim = start_simulator("--slow", "1.5")
    impatient = Endpoint(sim.push_url, sim.secret, read_timeout=0.3)
    outcome = delivery.push(impatient, message(work_order))
    assert outcome.status is None and outcome.transport_error == "read timeout"
    assert delivery.decide(outcome, 1, FAST).verdict is Verdict.RETRY
    sim.set_faults(slow_seconds=0)
    assert delivery.push(impatient, message(work_order)).status == 202
    state = sim.state()
    assert state["effects"] == {"WO-1001": 1} and state["duplicates"] == {"msg-1": 1}


def test_a_down_mes_is_a_connection_error_and_the_backlog_drains_after_recovery(
    start_simulator, make_order
):
    sim = start_simulator("--down")
    endpoint = Endpoint(sim.push_url, sim.secret)
    backlog = [message(make_order(f"WO-{n}"), key=f"msg-{n}") for n in range(5)]
    outcomes = [delivery.push(endpoint, item) for item in backlog]
    assert all(o.status is None and o.transport_error for o in outcomes)
    assert all(delivery.decide(o, 1, FAST).verdict is Verdict.RETRY for o in outcomes)
    sim.set_faults(down=False)
    assert [deliver(endpoint, item)[1].verdict for item in backlog] == [Verdict.DELIVERED] * 5
    assert sim.state()["effects"] == {f"WO-{n}": 1 for n in range(5)}


def test_an_unsigned_or_tampered_push_is_refused_without_effect(start_simulator, work_order):
    sim = start_simulator()
    outbound = message(work_order)
    headers = delivery.request_headers(Endpoint(sim.push_url, sim.secret), outbound)
    tampered = outbound.body.replace(b'"quantity": 2', b'"quantity": 200')
    answer = requests.post(sim.push_url, data=tampered, headers=headers, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"] == "signature tampered"
    wrong_key = Endpoint(sim.push_url, signing.new_secret())
    assert delivery.push(wrong_key, outbound).status == 401
    assert sim.state()["work_orders"] == {}


def test_an_invalid_b2mml_push_gets_422_with_the_validators_reason(start_simulator, work_order):
    sim = start_simulator()
    good = message(work_order, PayloadFormat.B2MML_V0701)
    broken = good.body.replace(
        b"<RequestState>Released</RequestState>", b"<RequestState>Started</RequestState>"
    )
    outcome = delivery.push(
        Endpoint(sim.push_url, sim.secret),
        OutboundMessage("msg-x", "WO-1001", 1, good.format, broken),
    )
    assert outcome.status == 422 and "RequestState" in outcome.response_excerpt
    assert delivery.decide(outcome, 1).verdict is Verdict.REJECTED


def _story(receiver, work_order_id: str) -> list:
    return sorted(
        (e for e in receiver.events.values() if e.work_order_id == work_order_id),
        key=lambda e: e.sequence,
    )


def _complete_story(receiver, work_order_id: str) -> bool:
    """Every sequence number up to a completion has arrived (senders run concurrently)."""
    story = _story(receiver, work_order_id)
    return (
        bool(story)
        and story[-1].kind is EventKind.COMPLETED
        and [e.sequence for e in story] == list(range(1, len(story) + 1))
    )


@pytest.mark.parametrize("callback_format", ["json", "xml"])
def test_signed_callbacks_walk_the_work_order_to_completed(
    start_simulator, receiver, make_order, callback_format
):
    sim = start_simulator(
        "--speed", "20000", "--callback-url", receiver.url, "--callback-format", callback_format
    )
    order = make_order(quantity=3)
    assert delivery.push(Endpoint(sim.push_url, sim.secret), message(order)).status == 202
    assert receiver.wait_until(lambda: _complete_story(receiver, order.id))
    story = _story(receiver, order.id)
    assert story[0].kind is EventKind.ACCEPTED and story[1].kind is EventKind.STARTED
    finished = story[-1]
    assert finished.good == Decimal(3) and {op.operation_id for op in finished.operations} == {
        "OP20"
    }
    assert finished.operations[0].actual_end > finished.operations[0].actual_start
    assert receiver.refused == []


def test_duplicated_and_shuffled_callbacks_never_regress_the_work_order(
    start_simulator, receiver, make_order
):
    sim = start_simulator(
        "--speed",
        "50000",
        "--callback-url",
        receiver.url,
        "--duplicate-rate",
        "1",
        "--shuffle-window",
        "0.4",
    )
    order = make_order(quantity=4)
    assert delivery.push(Endpoint(sim.push_url, sim.secret), message(order)).status == 202
    assert receiver.wait_until(
        lambda: sim.state()["pending_callbacks"] == 0 and receiver.deliveries >= 2 * 8
    )
    assert receiver.arrivals != sorted(receiver.arrivals)  # the shuffle did reorder them
    arrival = list(receiver.events.values())  # first arrival of each id, in arrival order
    progress = Progress(WorkOrderState.DISPATCHED)
    rank = {
        WorkOrderState.DISPATCHED: 0,
        WorkOrderState.ACCEPTED: 1,
        WorkOrderState.RUNNING: 2,
        WorkOrderState.INTERRUPTED: 2,
        WorkOrderState.COMPLETED: 3,
    }
    for event in arrival:
        after = fold(progress, event).progress
        assert rank[after.state] >= rank[progress.state]
        progress = after
    assert progress.state is WorkOrderState.COMPLETED and progress.good == Decimal(4)
    assert sim.state()["callbacks"]["duplicated"] >= 8


def test_a_restarted_simulator_with_a_state_file_still_applies_each_order_once(
    start_simulator, work_order, tmp_path
):
    state_file = str(tmp_path / "mes-state.json")
    first = start_simulator("--state-file", state_file)
    assert delivery.push(Endpoint(first.push_url, first.secret), message(work_order)).status == 202
    first.process.terminate()
    first.process.wait(timeout=5)
    second = start_simulator("--state-file", state_file)
    assert (
        delivery.push(Endpoint(second.push_url, second.secret), message(work_order)).status == 202
    )
    state = second.state()
    assert state["effects"] == {"WO-1001": 1} and state["duplicates"] == {"msg-1": 1}


def test_events_missed_while_the_app_was_down_can_be_pulled_for_reconciliation(
    start_simulator, make_order
):
    sim = start_simulator(
        "--speed",
        "1000000",
        "--callback-url",
        "http://127.0.0.1:9/none",
        "--callback-attempts",
        "1",
    )
    order = make_order(quantity=2)
    assert delivery.push(Endpoint(sim.push_url, sim.secret), message(order)).status == 202
    deadline = time.monotonic() + 20
    while sim.state()["callbacks"]["failed"] < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    answer = requests.get(sim.url + "/events", params={"work_order": order.id}, timeout=5)
    pulled = [parse_json_event(json.dumps(item).encode()) for item in answer.json()["events"]]
    assert [e.sequence for e in pulled] == list(range(1, len(pulled) + 1))
    progress = Progress(WorkOrderState.DISPATCHED)
    for event in pulled:
        progress = fold(progress, event).progress
    assert progress.state is WorkOrderState.COMPLETED and progress.good == Decimal(2)


def test_an_order_on_the_abort_list_comes_back_aborted_with_a_reason(
    start_simulator, receiver, make_order
):
    sim = start_simulator(
        "--speed", "1000000", "--callback-url", receiver.url, "--abort-id", "WO-1001"
    )
    order = make_order()
    assert delivery.push(Endpoint(sim.push_url, sim.secret), message(order)).status == 202
    assert receiver.wait_until(
        lambda: any(e.kind is EventKind.ABORTED for e in receiver.events.values())
    )
    progress = Progress(WorkOrderState.DISPATCHED)
    for event in _story(receiver, order.id):
        progress = fold(progress, event).progress
    assert progress.state is WorkOrderState.ABORTED
    aborted = _story(receiver, order.id)[-1]
    assert aborted.reason == "simulated abort" and aborted.operations[0].state is EventKind.ABORTED
