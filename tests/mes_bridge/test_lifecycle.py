from __future__ import annotations

import pytest

from mes_bridge.errors import InvalidTransition
from mes_bridge.lifecycle import (
    ALLOWED,
    B2MML_REQUEST_STATE,
    OPCUA_JOB_STATE,
    EventKind,
    WorkOrderState,
    apply_event,
    can_cancel,
    transition,
)

S = WorkOrderState
MAIN_LINE = [
    S.CONFIGURED,
    S.ENGINEERED,
    S.PLANNED,
    S.RELEASED,
    S.DISPATCHED,
    S.ACCEPTED,
    S.RUNNING,
    S.COMPLETED,
    S.CLOSED,
]


def test_the_main_line_can_be_walked_step_by_step():
    state = MAIN_LINE[0]
    for target in MAIN_LINE[1:]:
        state = transition(state, target)
    assert state is S.CLOSED


@pytest.mark.parametrize(
    "later,earlier",
    [(later, earlier) for i, later in enumerate(MAIN_LINE) for earlier in MAIN_LINE[:i]],
)
def test_no_state_on_the_main_line_can_go_back(later, earlier):
    with pytest.raises(InvalidTransition) as caught:
        transition(later, earlier)
    assert caught.value.from_state is later and caught.value.to_state is earlier
    assert caught.value.stale


def test_running_and_interrupted_alternate():
    assert transition(S.RUNNING, S.INTERRUPTED) is S.INTERRUPTED
    assert transition(S.INTERRUPTED, S.RUNNING) is S.RUNNING


def test_rejected_goes_back_to_planning_and_nowhere_at_the_mes():
    assert transition(S.DISPATCHED, S.REJECTED) is S.REJECTED
    assert transition(S.REJECTED, S.PLANNED) is S.PLANNED
    with pytest.raises(InvalidTransition) as caught:
        transition(S.REJECTED, S.RUNNING)
    assert not caught.value.stale


def test_cancelling_a_running_order_is_refused_with_the_reason():
    with pytest.raises(InvalidTransition, match="only possible before the work order runs"):
        transition(S.RUNNING, S.CANCELLED)
    assert can_cancel(S.ACCEPTED) and not can_cancel(S.RUNNING)


def test_a_cancelled_order_that_starts_is_a_conflict_not_a_late_event():
    with pytest.raises(InvalidTransition) as caught:
        apply_event(S.CANCELLED, EventKind.STARTED)
    assert not caught.value.stale and "final" in caught.value.why


def test_every_state_has_a_b2mml_and_an_opc_ua_name():
    assert set(B2MML_REQUEST_STATE) == set(S) == set(OPCUA_JOB_STATE) == set(ALLOWED)
    assert B2MML_REQUEST_STATE[S.INTERRUPTED] == "Held"
    assert OPCUA_JOB_STATE[S.COMPLETED] == "Ended"


def test_a_started_report_right_after_dispatch_skips_forward_to_running():
    assert apply_event(S.DISPATCHED, EventKind.STARTED) is S.RUNNING


def test_progress_keeps_an_interrupted_order_interrupted_and_resume_runs_it_again():
    assert apply_event(S.INTERRUPTED, EventKind.PROGRESS) is S.INTERRUPTED
    assert apply_event(S.INTERRUPTED, EventKind.RESUMED) is S.RUNNING


def test_a_repeated_event_is_idempotent():
    assert apply_event(S.RUNNING, EventKind.STARTED) is S.RUNNING
    assert apply_event(S.COMPLETED, EventKind.COMPLETED) is S.COMPLETED


def test_a_late_accepted_after_completion_is_stale_and_does_not_regress():
    with pytest.raises(InvalidTransition) as caught:
        apply_event(S.COMPLETED, EventKind.ACCEPTED)
    assert caught.value.stale and "backwards" in caught.value.why


def test_completing_an_aborted_order_is_a_conflict():
    with pytest.raises(InvalidTransition) as caught:
        apply_event(S.ABORTED, EventKind.COMPLETED)
    assert not caught.value.stale
