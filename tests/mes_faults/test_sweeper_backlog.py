"""The sweeper during a backlog: it sends one delivery task per outbox row that has none
waiting, not one per row and sweep. A row whose task was taken (and the push retried) is sent
again when due; a row whose task vanished is sent again after the redelivery window."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from c2m import dispatch, tasks
from c2m.db import unit_of_work
from c2m.models import OutboxMessage, utc_now
from c2m.settings import Settings
from tests.conftest import free_port
from tests.mes_faults.conftest import config_for

pytestmark = pytest.mark.usefixtures("no_background_worker")
BACKLOG = 20


class FakeTask:
    """Stands in for a Celery task: counts what the sweeper hands to the broker."""

    def __init__(self) -> None:
        self.sent: Counter[object] = Counter()

    def delay(self, *args: object) -> None:
        self.sent[args[0]] += 1


@pytest.fixture()
def broker(app: Flask, monkeypatch: pytest.MonkeyPatch) -> FakeTask:
    deliveries = FakeTask()
    monkeypatch.setattr(tasks, "deliver", deliveries)
    monkeypatch.setattr(tasks, "plan", FakeTask())
    return deliveries


def sweep(app: Flask, times: int) -> None:
    with app.app_context():
        for _ in range(times):
            tasks.sweep()


def age_enqueued(app: Flask, by: timedelta) -> None:
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        session.execute(update(OutboxMessage).values(enqueued_at=utc_now() - by))


def test_repeated_sweeps_over_a_backlog_send_each_row_once(
    app: Flask, release_orders: Callable[[int], list[str]], broker: FakeTask
) -> None:
    message_ids = release_orders(BACKLOG)
    sweep(app, 5)
    assert broker.sent == Counter(dict.fromkeys(message_ids, 1))


def test_a_row_whose_push_was_retried_is_sent_again_when_due_and_only_once(
    app: Flask, settings: Settings, release_orders: Callable[[int], list[str]], broker: FakeTask
) -> None:
    message_ids = release_orders(BACKLOG)
    sweep(app, 1)
    nobody_listens = config_for(f"http://127.0.0.1:{free_port()}", settings)
    sessions = app.extensions["c2m.sessions"]
    verdicts = {dispatch.deliver(sessions, nobody_listens, m) for m in message_ids}
    assert verdicts == {"retry"}
    time.sleep(0.5)  # the retry delays (fast policy) run out
    sweep(app, 4)
    assert broker.sent == Counter(dict.fromkeys(message_ids, 2))


def test_a_task_lost_with_the_broker_is_sent_again_after_the_redelivery_window(
    app: Flask, settings: Settings, release_orders: Callable[[int], list[str]], broker: FakeTask
) -> None:
    message_ids = release_orders(BACKLOG)
    sweep(app, 1)
    window = timedelta(seconds=settings.mes_claim_timeout_s)
    age_enqueued(app, window - timedelta(seconds=3))
    sweep(app, 2)
    assert set(broker.sent.values()) == {1}, "still within the window: presumably waiting"
    age_enqueued(app, window + timedelta(seconds=1))
    sweep(app, 3)
    assert broker.sent == Counter(dict.fromkeys(message_ids, 2))


def test_rows_whose_tasks_were_sent_at_release_are_left_alone_by_the_sweeper(
    app: Flask, release_orders: Callable[[int], list[str]], broker: FakeTask
) -> None:
    message_ids = release_orders(BACKLOG)
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        dispatch.mark_enqueued(session, message_ids)
    sweep(app, 3)
    assert broker.sent == Counter()
