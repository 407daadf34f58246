from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

from mes_bridge.intake import Outcome, Progress, fold, quantity_problem
from mes_bridge.lifecycle import EventKind, WorkOrderState
from mes_bridge.model import Event

T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def event(sequence: int, kind: EventKind, good: int | None = None) -> Event:
    return Event(
        f"e{sequence}",
        "WO-1",
        sequence,
        kind,
        T,
        None if good is None else Decimal(good),
        None if good is None else Decimal(0),
    )


STORY = [
    event(1, EventKind.ACCEPTED),
    event(2, EventKind.STARTED),
    event(3, EventKind.PROGRESS, 1),
    event(4, EventKind.INTERRUPTED, 1),
    event(5, EventKind.RESUMED, 1),
    event(6, EventKind.PROGRESS, 2),
    event(7, EventKind.COMPLETED, 3),
]


def replay(events: list[Event]) -> Progress:
    progress = Progress(WorkOrderState.DISPATCHED)
    for item in events:
        progress = fold(progress, item).progress
    return progress


def test_the_story_in_order_ends_completed_with_the_last_running_total():
    final = replay(STORY)
    assert final.state is WorkOrderState.COMPLETED and final.good == 3 and final.last_sequence == 7


def test_duplicated_and_shuffled_events_end_in_the_same_place_without_ever_regressing():
    rank = {
        WorkOrderState.DISPATCHED: 0,
        WorkOrderState.ACCEPTED: 1,
        WorkOrderState.RUNNING: 2,
        WorkOrderState.INTERRUPTED: 2,
        WorkOrderState.COMPLETED: 3,
    }
    rng = random.Random(3)
    for _ in range(200):
        events = STORY + rng.sample(STORY, 3)
        rng.shuffle(events)
        progress = Progress(WorkOrderState.DISPATCHED)
        for item in events:
            after = fold(progress, item).progress
            assert rank[after.state] >= rank[progress.state]
            progress = after
        if progress.last_sequence == 7:
            assert progress.state is WorkOrderState.COMPLETED and progress.good == 3


def test_an_old_sequence_is_stale_and_changes_nothing():
    done = replay(STORY)
    result = fold(done, event(2, EventKind.STARTED))
    assert result.outcome is Outcome.STALE and result.progress == done


def test_an_event_for_a_cancelled_order_is_a_conflict_and_changes_nothing():
    cancelled = Progress(WorkOrderState.CANCELLED, last_sequence=1)
    result = fold(cancelled, event(2, EventKind.STARTED))
    assert result.outcome is Outcome.CONFLICT and result.progress == cancelled


def test_a_good_count_above_the_ordered_quantity_or_a_fraction_of_a_piece_is_a_problem() -> None:
    def completed(good: str | None) -> Event:
        return Event(
            "e", "WO-1", 3, EventKind.COMPLETED, T, None if good is None else Decimal(good)
        )

    assert quantity_problem(completed("20000"), ordered=1) == (
        "good",
        "20000 good pieces exceed the ordered quantity 1 of work order WO-1 "
        "(a running total, at most the ordered quantity)",
    )
    assert quantity_problem(completed("1.5"), ordered=2) == (
        "good",
        "1.5 is not a whole number of pieces",
    )
    assert quantity_problem(completed("2"), ordered=2) is None
    assert quantity_problem(completed("2.000"), ordered=2) is None
    assert quantity_problem(completed(None), ordered=1) is None
