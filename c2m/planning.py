"""Use cases of planning: insert new orders into the live schedule, re-plan, repair after a
breakdown.

A run reads the plant in one short transaction, computes with no transaction open, and stores
its version in another, under the schedule lock: the new version, the swap of the current
run and its orders marked PLANNED commit together, or nothing does (the previous schedule
stays in force). Runs are serialised by the database (c2m.plan_runs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from c2m import mail, plan_runs, plan_versions
from c2m import planning_data as data
from c2m import planning_input as plant
from c2m.clock import business_now
from c2m.db import exclusive, unit_of_work
from c2m.logging_setup import log_context
from c2m.models import LockName, MailKind, OrderLine, PlanRun, PlanRunStatus, utc_now
from c2m.planning_input import FROZEN_HORIZON, LiveSchedule, current_run, live_schedule
from mes_bridge.lifecycle import WorkOrderState, transition
from planner import api as planner_api
from planner.checker import check
from planner.kpis import kpis
from planner.model import Assignment, Objective, PlanningError, Problem, Schedule, Status, Window
from routing.factory import Factory, load_factory

log = logging.getLogger(__name__)
REPLAN_TIME_LIMIT_S = 20.0
request_plan = plan_runs.request
queued_runs = plan_runs.queued_runs
__all__ = ["FROZEN_HORIZON", "LiveSchedule", "current_run", "live_schedule", "carry_out"]


@lru_cache(maxsize=4)
def _factory_at(path: str, mtime_ns: int) -> Factory:
    return load_factory(Path(path))


def factory_of(products_dir: Path) -> Factory:
    path = products_dir / "factory.yaml"
    return _factory_at(str(path), path.stat().st_mtime_ns)


def request_replan_once(session: Session) -> PlanRun:
    """Shop-floor news asks for a re-plan; one waiting re-plan serves all news so far."""
    return plan_runs.request_once(session, "replan")


def request_insert(session: Session) -> PlanRun:
    """A new order asks for an insertion; one waiting insertion serves every order so far."""
    return plan_runs.request_once(session, "insert")


@dataclass(frozen=True)
class Outcome:
    problem: Problem
    schedule: Schedule
    fixed: tuple[Assignment, ...]  # what must not have moved


def carry_out(
    sessions: sessionmaker[Session],
    products_dir: Path,
    run_id: int,
    time_limit_s: float | None = None,
) -> int | None:
    """Compute and store a queued run. Returns the next queued run to start, if any.

    On a planning error the run fails and nothing else changes; so on any crash."""
    with log_context(plan_run=run_id):  # every line the run logs says which run it is
        return _carry_out(sessions, products_dir, run_id, time_limit_s)


def _carry_out(
    sessions: sessionmaker[Session], products_dir: Path, run_id: int, time_limit_s: float | None
) -> int | None:
    if not plan_runs.take(sessions, run_id):
        return None
    limit = REPLAN_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    try:
        with plan_runs.leased(sessions, run_id):
            _compute_and_store(sessions, products_dir, run_id, limit)
    except PlanningError as error:
        _fail(sessions, run_id, str(error))
    except BaseException as error:
        # A time limit (Celery's SoftTimeLimitExceeded), a bug, a lost database: the run must
        # not stay RUNNING for ever, and the previous schedule stays in force.
        log.exception("plan run crashed", extra={"plan_run": run_id})
        _fail(sessions, run_id, f"the plan run stopped: {type(error).__name__}: {error}")
        raise
    return plan_runs.next_to_run(sessions)


def _compute_and_store(
    sessions: sessionmaker[Session], products_dir: Path, run_id: int, time_limit_s: float
) -> None:
    with unit_of_work(sessions) as session:
        run = session.get_one(PlanRun, run_id)
        kind, parameters = run.kind, dict(run.parameters or {})
        new_lines = plant.engineered_lines(session)
        plan = plant.build(session, factory_of(products_dir), business_now(), new_lines)
    if kind == "insert" and not plan.new_line_ids:
        # An earlier run already took these orders in; a new identical version helps nobody.
        _finish_without_version(sessions, run_id, "no new orders to insert")
        return
    outcome = _compute(kind, parameters, plan, time_limit_s)
    violations = check(outcome.problem, outcome.schedule, list(outcome.fixed))
    if violations:
        raise PlanningError("; ".join(v.message for v in violations[:5]))
    with unit_of_work(sessions) as session:
        exclusive(session, LockName.SCHEDULE)
        _store(session, session.get_one(PlanRun, run_id), plan, outcome)


def _compute(
    kind: str, parameters: dict[str, Any], plan: plant.PlanInput, time_limit_s: float
) -> Outcome:
    merged = plan.merged
    fixed = tuple(a for a in plan.schedule.assignments if a.fixed)
    if kind == "replan":
        return Outcome(merged, _replanned(plan, merged, time_limit_s), fixed)
    if kind == "breakdown":
        return _after_breakdown(plan, merged, parameters, time_limit_s)
    return Outcome(merged, _with_new_lines(plan), fixed)


def _finish_without_version(sessions: sessionmaker[Session], run_id: int, message: str) -> None:
    with unit_of_work(sessions) as session:
        run = session.get_one(PlanRun, run_id)
        run.status, run.finished_at, run.message = PlanRunStatus.SUCCEEDED, utc_now(), message
        run.lease_until = None


def _fail(sessions: sessionmaker[Session], run_id: int, reason: str) -> None:
    log.warning("plan run failed", extra={"plan_run": run_id, "reason": reason})
    with unit_of_work(sessions) as session:
        failed = session.get_one(PlanRun, run_id)
        failed.status, failed.message, failed.finished_at = PlanRunStatus.FAILED, reason, utc_now()
        failed.lease_until = None


def _replanned(plan: plant.PlanInput, merged: Problem, time_limit_s: float) -> Schedule:
    """Every movable operation after the frozen horizon may move; new lines come in too."""
    return planner_api.reoptimise(
        merged, _with_new_lines(plan), plan.frozen_until, Objective.WEIGHTED_TARDINESS, time_limit_s
    )


def _after_breakdown(
    plan: plant.PlanInput, merged: Problem, parameters: dict[str, Any], time_limit_s: float
) -> Outcome:
    """Machines are down for windows: unfinished work they hit moves (interrupted work
    restarts after it); work before the frozen horizon elsewhere stays. The problem checked
    afterwards carries the downtime, so nothing may sit in a window."""
    downs = tuple(
        (
            window["machine"],
            Window(
                data.minutes_between(plan.origin, datetime.fromisoformat(window["from"])),
                data.minutes_between(plan.origin, datetime.fromisoformat(window["until"])),
            ),
        )
        for window in plan_runs.breakdown_windows(parameters)
    )
    start = _with_new_lines(plan)
    schedule = planner_api.reschedule_after(
        merged, start, plan.frozen_until, breakdowns=downs, time_limit=time_limit_s
    )
    machines = tuple(
        replace(m, downtime=m.downtime + tuple(w for mid, w in downs if mid == m.id))
        for m in merged.machines
    )
    hit = {a.operation_id for a in start.assignments for mid, w in downs if _hit_by(a, mid, w)}
    fixed = tuple(a for a in plan.schedule.assignments if a.fixed and a.operation_id not in hit)
    return Outcome(replace(merged, machines=machines), schedule, fixed)


def _hit_by(assignment: Assignment, machine: str, down: Window) -> bool:
    return (
        assignment.machine_id == machine
        and assignment.status is not Status.DONE
        and assignment.start < down.end
        and assignment.end > down.start
    )


def _with_new_lines(plan: plant.PlanInput) -> Schedule:
    """The schedule in force, its movable work settled after what the floor reported (see
    planner.live), with the new lines inserted."""
    return planner_api.insert_orders(
        plan.known, plan.schedule, plan.new.orders, plan.new.operations, plan.frozen_until
    ).schedule


def _store(session: Session, run: PlanRun, plan: plant.PlanInput, outcome: Outcome) -> None:
    """Under the schedule lock: the version, the swap of the current run, the orders."""
    if run.status is not PlanRunStatus.RUNNING:
        raise PlanningError(f"plan run {run.id} was given up while it computed (lease expired)")
    previous = current_run(session)
    if (previous.id if previous else None) != plan.parent_id:
        raise PlanningError("the schedule changed while this run computed; it will run again")
    _add_rows(session, run, plan, outcome.schedule)
    moves = planner_api.diff(plan.schedule, outcome.schedule)
    run.based_on_id = plan.parent_id
    run.origin = plan.origin
    run.frozen_until = data.moment_at(plan.origin, plan.frozen_until)
    run.kpis = data.kpi_dict(kpis(outcome.problem, outcome.schedule))
    run.moves = {"moved": data.moves_dict(plan.origin, moves)}
    if previous is not None:
        previous.is_current = False
        session.flush()  # the one-current index holds at every statement, not only at commit
    run.status, run.finished_at, run.is_current = PlanRunStatus.SUCCEEDED, utc_now(), True
    run.lease_until = None
    _plan_new_lines(session, plan.new_line_ids)


def _add_rows(session: Session, run: PlanRun, plan: plant.PlanInput, schedule: Schedule) -> None:
    stored = plan_versions.store(
        session,
        run,
        [
            plan_versions.Row(
                operation_key=a.operation_id,
                order_line_id=data.line_of(a.operation_id),
                operation_id=data.operation_of(a.operation_id),
                machine=a.machine_id,
                start=data.moment_at(plan.origin, a.start),
                end=data.moment_at(plan.origin, a.end),
                fixed=a.fixed,
            )
            for a in schedule.assignments
        ],
    )
    log.info(
        "schedule version stored",
        extra={"version": stored.version, "written": stored.written, "closed": stored.closed},
    )


def _plan_new_lines(session: Session, line_ids: tuple[int, ...]) -> None:
    """The lines this run took in become PLANNED (unless cancelled meanwhile); orders placed
    while it computed get the next insertion."""
    for line_id in line_ids:
        order = session.get_one(OrderLine, line_id).order
        if order.status is WorkOrderState.ENGINEERED:
            order.status = transition(order.status, WorkOrderState.PLANNED)
            mail.enqueue(session, order, MailKind.SCHEDULED)  # with its promised date
    session.flush()
    if plant.engineered_lines(session):
        request_insert(session)


def stale_queued_runs(sessions: sessionmaker[Session]) -> list[int]:
    """Runs the sweeper sends again: lost with a worker or a broker message."""
    return plan_runs.due_for_sweep(sessions)
