"""MES callbacks that arrive at the same moment, over real HTTP against the served app: each is
taken in after the other, so none is lost, none is applied twice and none gets a 500."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from c2m.models import MesEvent, Unit, WorkOrder
from c2m.settings import Settings
from mes_bridge import signing
from mes_bridge.lifecycle import WorkOrderState
from tests.mes_faults.test_callbacks import EVENTS_TOKEN

pytestmark = pytest.mark.usefixtures("no_background_worker")
CLIENTS = 10


@pytest.fixture()
def work_order(release_orders, app: Flask) -> str:  # type: ignore[no-untyped-def]
    release_orders(1)
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(WorkOrder.number)).one()


def signed(settings: Settings, event_id: str, document: dict[str, object]) -> tuple[bytes, dict]:  # type: ignore[type-arg]
    body = json.dumps({"id": event_id, **document}).encode()
    headers = signing.sign_headers(settings.mes_secret, event_id, body)
    return body, {**headers, **EVENTS_TOKEN, "Content-Type": "application/json"}


def progress(number: str, sequence: int, kind: str = "progress", good: int = 0) -> dict:  # type: ignore[type-arg]
    return {
        "work_order_id": number,
        "sequence": sequence,
        "kind": kind,
        "occurred_at": datetime.now(UTC).isoformat(),
        "good": str(good),
        "scrap": "0",
    }


def post_all_at_once(url: str, requests_: list[tuple[bytes, dict]]) -> list[requests.Response]:  # type: ignore[type-arg]
    """Every client waits at the barrier, then posts: the requests overlap in the server."""
    barrier = threading.Barrier(len(requests_))

    def post(request: tuple[bytes, dict]) -> requests.Response:  # type: ignore[type-arg]
        body, headers = request
        barrier.wait(timeout=30)
        return requests.post(url + "/api/mes/v1/events", data=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(len(requests_)) as pool:
        return list(pool.map(post, requests_))


def test_ten_parallel_events_end_at_the_highest_sequence_and_none_is_lost(
    app: Flask, settings: Settings, work_order: str, live_server: str
) -> None:
    sequences = range(100, 100 + CLIENTS)
    answers = post_all_at_once(
        live_server,
        [signed(settings, f"evt-{work_order}-{s}", progress(work_order, s)) for s in sequences],
    )
    assert [answer.status_code for answer in answers] == [200] * CLIENTS, [
        answer.text for answer in answers
    ]
    outcomes = {
        s: a.json()["events"][0]["outcome"] for s, a in zip(sequences, answers, strict=True)
    }
    assert outcomes[max(sequences)] == "applied", "nothing can be newer than the newest event"
    assert set(outcomes.values()) <= {"applied", "stale"}
    with app.extensions["c2m.sessions"]() as session:
        assert session.scalars(select(WorkOrder.last_sequence_in)).one() == max(sequences)
        stored = {row.sequence: row.applied for row in session.scalars(select(MesEvent))}
    assert stored == {s: outcome == "applied" for s, outcome in outcomes.items()}


def test_one_event_posted_by_ten_clients_at_once_is_applied_once_and_the_rest_are_duplicates(
    app: Flask, settings: Settings, work_order: str, live_server: str
) -> None:
    completed = signed(
        settings, f"evt-{work_order}-done", progress(work_order, 5, "completed", good=1)
    )
    answers = post_all_at_once(live_server, [completed] * CLIENTS)
    assert [answer.status_code for answer in answers] == [200] * CLIENTS, [
        answer.text for answer in answers
    ]
    outcomes = sorted(answer.json()["events"][0]["outcome"] for answer in answers)
    assert outcomes == ["applied"] + ["duplicate"] * (CLIENTS - 1)
    with app.extensions["c2m.sessions"]() as session:
        assert len(session.scalars(select(MesEvent)).all()) == 1
        assert len(session.scalars(select(Unit)).all()) == 1


def test_an_acknowledgement_racing_a_start_event_never_moves_the_work_order_back(
    app: Flask,
    settings: Settings,
    release_orders,
    live_server: str,  # type: ignore[no-untyped-def]
) -> None:
    release_orders(CLIENTS // 2)
    with app.extensions["c2m.sessions"]() as session:
        numbers = session.scalars(select(WorkOrder.number)).all()
    barrier = threading.Barrier(len(numbers) * 2)

    def acknowledge(number: str) -> int:
        barrier.wait(timeout=30)
        url = f"{live_server}/api/mes/v1/work-orders/{number}/ack"
        return requests.post(url, headers=EVENTS_TOKEN, timeout=60).status_code

    def start(number: str) -> int:
        body, headers = signed(settings, f"evt-{number}-start", progress(number, 2, "started"))
        barrier.wait(timeout=30)
        url = live_server + "/api/mes/v1/events"
        return requests.post(url, data=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(len(numbers) * 2) as pool:
        calls = [pool.submit(call, n) for n in numbers for call in (acknowledge, start)]
        assert [call.result() for call in calls] == [200] * len(calls)
    with app.extensions["c2m.sessions"]() as session:
        states = set(session.scalars(select(WorkOrder.state)).all())
    assert states == {WorkOrderState.RUNNING}
