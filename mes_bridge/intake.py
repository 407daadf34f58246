"""Folding MES events into a work order's progress: the rule the event endpoint applies after
it has verified the signature and de-duplicated by event id (a unique key in the database).

Ordering: an event changes state only if its sequence is above the last applied one; an older or
equal sequence is stale (duplicates and reordered callbacks are therefore harmless). A gap in the
sequence is not waited for: forward skips are legal in the lifecycle and quantities are running
totals, so applying the newest news is always right.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from decimal import Decimal

from mes_bridge.errors import InvalidTransition
from mes_bridge.lifecycle import WorkOrderState, apply_event
from mes_bridge.model import Event


@dataclass(frozen=True)
class Progress:
    """What the app keeps per work order (columns on its row)."""

    state: WorkOrderState
    last_sequence: int = 0
    good: Decimal = Decimal(0)
    scrap: Decimal = Decimal(0)


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # older sequence, or a state behind the current one: recorded, no change
    CONFLICT = "conflict"  # impossible (e.g. running a cancelled order): log and alert


@dataclass(frozen=True)
class IntakeResult:
    progress: Progress
    outcome: Outcome
    note: str = ""


def fold(progress: Progress, event: Event) -> IntakeResult:
    """The progress after `event`. Pure; never moves the state backwards."""
    if event.sequence <= progress.last_sequence:
        return IntakeResult(
            progress,
            Outcome.STALE,
            f"sequence {event.sequence} <= applied {progress.last_sequence}",
        )
    counted = replace(
        progress,
        last_sequence=event.sequence,
        good=progress.good if event.good is None else event.good,
        scrap=progress.scrap if event.scrap is None else event.scrap,
    )
    try:
        state = apply_event(progress.state, event.kind)
    except InvalidTransition as error:
        if error.stale:
            return IntakeResult(counted, Outcome.STALE, error.why)
        return IntakeResult(progress, Outcome.CONFLICT, str(error))
    return IntakeResult(replace(counted, state=state), Outcome.APPLIED)


def quantity_problem(event: Event, ordered: int) -> tuple[str, str] | None:
    """(field, reason) if the event's good count cannot be right for a work order of `ordered`
    pieces: more good pieces than ordered, or a fraction of a piece. Scrap is not bounded
    (scrapped pieces are made again). Pure."""
    good = event.good
    if good is None:
        return None
    if good != good.to_integral_value():
        return "good", f"{good} is not a whole number of pieces"
    if good > ordered:
        return "good", (
            f"{good} good pieces exceed the ordered quantity {ordered} of work order "
            f"{event.work_order_id} (a running total, at most the ordered quantity)"
        )
    return None
