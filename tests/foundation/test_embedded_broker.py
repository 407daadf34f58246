"""The embedded broker survives two processes racing to create the same queue."""

from __future__ import annotations

from pathlib import Path

from kombu import Connection

from c2m.embedded_broker import TRANSPORT_PATH


def connection(path: Path) -> Connection:
    return Connection(f"sqlite:///{path}", transport=TRANSPORT_PATH)


def test_a_publisher_that_lost_the_queue_creation_race_can_still_publish(tmp_path: Path) -> None:
    broker = tmp_path / "broker.sqlite"
    with connection(broker) as winner, connection(broker) as loser:
        winner_queue = winner.SimpleQueue("celery")
        loser_queue = loser.SimpleQueue("celery")
        winner_queue.put({"n": 1})
        # The loser's channel believed the queue row absent: simulate its stale view.
        channel = loser_queue.channel
        channel.session.expire_all()
        original = channel.session.query
        misses = [2]  # both of kombu's lookups miss, as they would in another process

        def stale_query(*args, **kwargs):  # type: ignore[no-untyped-def]
            misses[0] -= 1
            if misses[0] == 0:
                channel.session.query = original
            return original(*args, **kwargs).filter(False)

        channel.session.query = stale_query  # so it inserts the queue row again, and loses
        loser_queue.put({"n": 2})
        loser_queue.put({"n": 3})
        received = sorted(winner_queue.get(timeout=5).payload["n"] for _ in range(3))
    assert received == [1, 2, 3]
