"""Order and work-order lifecycle (DESIGN.md): states, their standard names, and the one place
where transitions are checked.

Main line: CONFIGURED -> ENGINEERED -> PLANNED -> RELEASED -> DISPATCHED -> ACCEPTED -> RUNNING <->
INTERRUPTED -> COMPLETED -> CLOSED. Side exits: REJECTED (back to PLANNED), CANCELLED (only before
running), ABORTED. Forward skips along the main line are allowed because MES reports can be lost
or coalesced (a "started" may be the first thing we hear after dispatch); moving backwards never is.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from mes_bridge.errors import InvalidTransition


class WorkOrderState(enum.StrEnum):
    CONFIGURED = "configured"
    ENGINEERED = "engineered"
    PLANNED = "planned"
    RELEASED = "released"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    COMPLETED = "completed"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    ABORTED = "aborted"


class EventKind(enum.StrEnum):
    """What an MES reports. Quantities on `progress` (and any other kind) are running totals."""

    ACCEPTED = "accepted"
    STARTED = "started"
    PROGRESS = "progress"
    INTERRUPTED = "interrupted"
    RESUMED = "resumed"
    COMPLETED = "completed"
    ABORTED = "aborted"


S = WorkOrderState

# Position on the main line; INTERRUPTED shares RUNNING's rank since the two alternate.
_RANK: Mapping[WorkOrderState, int] = {
    S.CONFIGURED: 0,
    S.ENGINEERED: 1,
    S.PLANNED: 2,
    S.RELEASED: 3,
    S.DISPATCHED: 4,
    S.ACCEPTED: 5,
    S.RUNNING: 6,
    S.INTERRUPTED: 6,
    S.COMPLETED: 7,
    S.CLOSED: 8,
}

_BEFORE_RUNNING = frozenset(
    {S.CONFIGURED, S.ENGINEERED, S.PLANNED, S.RELEASED, S.DISPATCHED, S.ACCEPTED}
)
_AT_MES = frozenset({S.RELEASED, S.DISPATCHED, S.ACCEPTED, S.RUNNING, S.INTERRUPTED})

ALLOWED: Mapping[WorkOrderState, frozenset[WorkOrderState]] = {
    S.CONFIGURED: frozenset({S.ENGINEERED, S.CANCELLED}),
    S.ENGINEERED: frozenset({S.PLANNED, S.CANCELLED}),
    S.PLANNED: frozenset({S.RELEASED, S.CANCELLED}),
    S.RELEASED: frozenset(
        {
            S.DISPATCHED,
            S.ACCEPTED,
            S.RUNNING,
            S.INTERRUPTED,
            S.COMPLETED,
            S.REJECTED,
            S.CANCELLED,
            S.ABORTED,
        }
    ),
    S.DISPATCHED: frozenset(
        {S.ACCEPTED, S.RUNNING, S.INTERRUPTED, S.COMPLETED, S.REJECTED, S.CANCELLED, S.ABORTED}
    ),
    S.ACCEPTED: frozenset({S.RUNNING, S.INTERRUPTED, S.COMPLETED, S.CANCELLED, S.ABORTED}),
    S.RUNNING: frozenset({S.INTERRUPTED, S.COMPLETED, S.ABORTED}),
    S.INTERRUPTED: frozenset({S.RUNNING, S.COMPLETED, S.ABORTED}),
    S.COMPLETED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    # A rejection sends the work order back to the planner, which re-plans and releases anew.
    S.REJECTED: frozenset({S.PLANNED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
    S.ABORTED: frozenset({S.CLOSED}),
}

TERMINAL = frozenset(state for state, targets in ALLOWED.items() if not targets)

# ISA-95 / B2MML V0701 RequestStateType for what we send about a work order.
B2MML_REQUEST_STATE: Mapping[WorkOrderState, str] = {
    S.CONFIGURED: "Forecast",
    S.ENGINEERED: "Forecast",
    S.PLANNED: "Forecast",
    S.RELEASED: "Released",
    S.DISPATCHED: "Released",
    S.ACCEPTED: "Ready",
    S.RUNNING: "Running",
    S.INTERRUPTED: "Held",
    S.COMPLETED: "Completed",
    S.CLOSED: "Closed",
    S.REJECTED: "Forecast",
    S.CANCELLED: "Cancelled",
    S.ABORTED: "Aborted",
}

# OPC UA ISA-95 Job Control (OPC 10031-4) job order states.
OPCUA_JOB_STATE: Mapping[WorkOrderState, str] = {
    S.CONFIGURED: "NotAllowedToStart",
    S.ENGINEERED: "NotAllowedToStart",
    S.PLANNED: "NotAllowedToStart",
    S.RELEASED: "Store",
    S.DISPATCHED: "Store",
    S.ACCEPTED: "AllowedToStart",
    S.RUNNING: "Running",
    S.INTERRUPTED: "Interrupted",
    S.COMPLETED: "Ended",
    S.CLOSED: "Ended",
    S.REJECTED: "NotAllowedToStart",
    S.CANCELLED: "Aborted",
    S.ABORTED: "Aborted",
}

# ISA-95 ResponseStateType (what an MES reports) -> the event kind it means for us.
B2MML_RESPONSE_EVENT: Mapping[str, EventKind] = {
    "Waiting": EventKind.ACCEPTED,
    "Ready": EventKind.ACCEPTED,
    "Running": EventKind.STARTED,
    "Held": EventKind.INTERRUPTED,
    "Paused": EventKind.INTERRUPTED,
    "Suspended": EventKind.INTERRUPTED,
    "Completed": EventKind.COMPLETED,
    "Closed": EventKind.COMPLETED,
    "Aborted": EventKind.ABORTED,
}


def transition(current: WorkOrderState, target: WorkOrderState) -> WorkOrderState:
    """Return `target` if the lifecycle allows current -> target, else raise InvalidTransition."""
    if target in ALLOWED[current]:
        return target
    raise InvalidTransition(
        current, target, _why_not(current, target), stale=_is_behind(current, target)
    )


def _is_behind(current: WorkOrderState, target: WorkOrderState) -> bool:
    """True for news that is merely late; False for a real conflict (e.g. running a cancelled
    order, completing an aborted one)."""
    if target == current or current == S.CLOSED:
        return True
    if current == S.ABORTED:
        return target in _RANK and _RANK[target] < _RANK[S.COMPLETED]
    if current not in _RANK or target not in _RANK:
        return False
    return _RANK[target] <= _RANK[current]


def _why_not(current: WorkOrderState, target: WorkOrderState) -> str:
    if current == target:
        return f"already {current}"
    if current in TERMINAL:
        return f"{current} is final"
    if target == S.CANCELLED:
        return "cancelling is only possible before the work order runs"
    if target == S.REJECTED:
        return "the MES can only reject a work order it has not accepted"
    if _is_behind(current, target):
        return "would move the work order backwards"
    return f"{target} cannot follow {current}"


# Event kind -> the state it moves a work order to, when it moves it at all.
_EVENT_TARGET: Mapping[EventKind, WorkOrderState] = {
    EventKind.ACCEPTED: S.ACCEPTED,
    EventKind.STARTED: S.RUNNING,
    EventKind.RESUMED: S.RUNNING,
    EventKind.INTERRUPTED: S.INTERRUPTED,
    EventKind.COMPLETED: S.COMPLETED,
    EventKind.ABORTED: S.ABORTED,
}


def apply_event(state: WorkOrderState, kind: EventKind) -> WorkOrderState:
    """The state after the MES reports `kind`. Pure; raises InvalidTransition (see `.stale`).

    Repeats of the current state are idempotent (a re-sent "started" while RUNNING is harmless).
    A progress report means the work order runs, unless it is interrupted (quantities may still
    be reported then) or finished.
    """
    if kind == EventKind.PROGRESS:
        if state in (S.RUNNING, S.INTERRUPTED):
            return state
        return transition(state, S.RUNNING)
    target = _EVENT_TARGET[kind]
    if target == state and state not in TERMINAL:
        return state
    return transition(state, target)


def can_cancel(state: WorkOrderState) -> bool:
    return state in _BEFORE_RUNNING or state == S.REJECTED


def is_at_mes(state: WorkOrderState) -> bool:
    """True while the MES holds the work order (events from it are expected)."""
    return state in _AT_MES
