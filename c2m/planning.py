"""Use cases of planning: insert new orders into the live schedule, re-plan, read schedules.

Runs in a worker. A plan run that fails leaves the previous schedule in force: the new
version is written, made current and its orders marked PLANNED in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from c2m import planning_data as data
from c2m.db import unit_of_work
from c2m.models import (
    MachineDowntime,
    Order,
    OrderLine,
    PlannedOperation,
    PlanRun,
    PlanRunStatus,
    utc_now,
)
from mes_bridge.lifecycle import WorkOrderState, transition
from planner import api as planner_api
from planner.checker import check
from planner.kpis import kpis
from planner.model import Objective, Operation, PlanningError, Problem, Schedule, Window
from routing.factory import Factory, load_factory

log = logging.getLogger(__name__)
FROZEN_HORIZON = timedelta(hours=2)
REPLAN_TIME_LIMIT_S = 20.0
AT_OR_AFTER_RELEASE = {
    WorkOrderState.RELEASED,
    WorkOrderState.DISPATCHED,
    WorkOrderState.ACCEPTED,
    WorkOrderState.RUNNING,
    WorkOrderState.INTERRUPTED,
    WorkOrderState.COMPLETED,
    WorkOrderState.CLOSED,
}


@lru_cache(maxsize=4)
def _factory_at(path: str, mtime_ns: int) -> Factory:
    return load_factory(Path(path))


def factory_of(products_dir: Path) -> Factory:
    path = products_dir / "factory.yaml"
    return _factory_at(str(path), path.stat().st_mtime_ns)


@dataclass(frozen=True)
class LiveSchedule:
    """The current plan run's assignments, with which lines they belong to."""

    run: PlanRun | None
    stored: tuple[data.StoredAssignment, ...]


def current_run(session: Session, lock: bool = False) -> PlanRun | None:
    """`lock` serialises planners on PostgreSQL: two runs never build on the same version."""
    query = select(PlanRun).where(PlanRun.is_current.is_(True))
    return session.scalar(query.with_for_update() if lock else query)


def live_schedule(session: Session, now: datetime, lock: bool = False) -> LiveSchedule:
    run = current_run(session, lock)
    if run is None:
        return LiveSchedule(None, ())
    released = _released_line_ids(session)
    rows = session.scalars(select(PlannedOperation).filter_by(plan_run_id=run.id)).all()
    stored = tuple(
        data.StoredAssignment(
            row.operation_key,
            row.machine,
            row.start,
            row.end,
            fixed=row.fixed or row.order_line_id in released or row.start < now,
        )
        for row in rows
    )
    return LiveSchedule(run, stored)


def _released_line_ids(session: Session) -> set[int]:
    query = select(OrderLine.id).join(Order).where(Order.status.in_(AT_OR_AFTER_RELEASE))
    return set(session.scalars(query))


def _lines_with_status(session: Session, status: WorkOrderState) -> list[OrderLine]:
    query = select(OrderLine).join(Order).where(Order.status == status).order_by(OrderLine.id)
    return list(session.scalars(query))


def downtime_windows(session: Session) -> dict[str, list[tuple[datetime, datetime]]]:
    """Planned downtime per machine (admin-recorded exceptions to the shift calendars)."""
    by_machine: dict[str, list[tuple[datetime, datetime]]] = {}
    for row in session.scalars(select(MachineDowntime).order_by(MachineDowntime.start)):
        by_machine.setdefault(row.machine, []).append((row.start, row.end))
    return by_machine


def _operations(lines: list[OrderLine]) -> tuple[Operation, ...]:
    ops: list[Operation] = []
    for line in lines:
        ops.extend(data.planner_operations(line.id, line.routing["planner_operations"]))
    return tuple(ops)


def _planner_orders(lines: list[OrderLine], origin: datetime) -> tuple[data.Order, ...]:
    return tuple(
        data.planner_order(line.id, origin, line.order.created_at, line.order.promised_at)
        for line in lines
    )


def request_replan_once(session: Session) -> None:
    """Shop-floor news asks for a re-plan; one waiting re-plan serves all news so far."""
    waiting = select(PlanRun.id).filter_by(kind="replan", status=PlanRunStatus.QUEUED)
    if session.scalar(waiting.limit(1)) is None:
        request_plan(session, "replan")


def request_plan(session: Session, kind: str, parameters: dict[str, str] | None = None) -> PlanRun:
    """A queued plan run the worker will carry out; the web shows its progress."""
    now = utc_now()
    run = PlanRun(
        kind=kind,
        status=PlanRunStatus.QUEUED,
        origin=now,
        frozen_until=now,
        parameters=parameters or {},
    )
    session.add(run)
    session.flush()
    return run


def carry_out(sessions: sessionmaker[Session], products_dir: Path, run_id: int) -> None:
    """Compute the plan of a queued run; on any planning error the run fails, nothing else."""
    with unit_of_work(sessions) as session:
        # One atomic take: a redelivered task, or a second worker, finds nothing to do.
        taken = session.execute(
            update(PlanRun)
            .where(PlanRun.id == run_id, PlanRun.status == PlanRunStatus.QUEUED)
            .values(status=PlanRunStatus.RUNNING)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return
    try:
        with unit_of_work(sessions) as session:
            _plan(session, products_dir, session.get_one(PlanRun, run_id))
    except PlanningError as error:
        _fail(sessions, run_id, str(error))
    except BaseException as error:
        # A time limit (Celery's SoftTimeLimitExceeded), a bug, a lost database: the run must
        # not stay RUNNING for ever, and the previous schedule stays in force.
        log.exception("plan run crashed", extra={"plan_run": run_id})
        _fail(sessions, run_id, f"the plan run stopped: {type(error).__name__}: {error}")
        raise


def _fail(sessions: sessionmaker[Session], run_id: int, reason: str) -> None:
    log.warning("plan run failed", extra={"plan_run": run_id, "reason": reason})
    with unit_of_work(sessions) as session:
        failed = session.get_one(PlanRun, run_id)
        failed.status, failed.message, failed.finished_at = PlanRunStatus.FAILED, reason, utc_now()


@dataclass(frozen=True)
class PlanInput:
    origin: datetime
    frozen_until: int
    known: Problem  # the lines already in the schedule
    schedule: Schedule
    new_lines: list[OrderLine]
    new: Problem  # the lines still to insert (machines and setups shared)


def _plan_input(
    session: Session, products_dir: Path, now: datetime
) -> tuple[PlanInput, PlanRun | None]:
    live = live_schedule(session, now, lock=True)
    factory = factory_of(products_dir)
    starts = [a.start for a in live.stored]
    origin = min([now, *starts]).replace(second=0, microsecond=0)
    known_ids = sorted({data.line_of(a.operation_key) for a in live.stored})
    known_lines = list(session.scalars(select(OrderLine).where(OrderLine.id.in_(known_ids))))
    new_lines = _lines_with_status(session, WorkOrderState.ENGINEERED)
    known_ops, new_ops = _operations(known_lines), _operations(new_lines)
    machines = data.planner_machines(factory, origin, downtime_windows(session))
    setups = data.planner_setups(factory, {op.setup_family for op in known_ops + new_ops})
    known = Problem(machines, _planner_orders(known_lines, origin), known_ops, setups)
    new = Problem(machines, _planner_orders(new_lines, origin), new_ops, setups)
    frozen_until = data.minutes_between(origin, now + FROZEN_HORIZON)
    schedule = data.planner_schedule(origin, live.stored)
    return PlanInput(origin, frozen_until, known, schedule, new_lines, new), live.run


def _plan(session: Session, products_dir: Path, run: PlanRun) -> None:
    plan, previous = _plan_input(session, products_dir, utc_now())
    if run.kind == "insert" and not plan.new_lines:
        # An earlier run already took these orders in; a new identical version helps nobody.
        run.status, run.finished_at = PlanRunStatus.SUCCEEDED, utc_now()
        run.message = "no new orders to insert"
        return
    merged = Problem(
        plan.known.machines,
        plan.known.orders + plan.new.orders,
        plan.known.operations + plan.new.operations,
        plan.known.setups,
    )
    if run.kind == "replan":
        schedule = _replanned(plan, merged)
    elif run.kind == "breakdown":
        merged, schedule = _after_breakdown(plan, merged, run.parameters or {})
    else:
        schedule = _with_new_lines(plan)
    fixed = [a for a in plan.schedule.assignments if a.fixed]
    violations = check(merged, schedule, fixed)
    if violations:
        raise PlanningError("; ".join(v.message for v in violations[:5]))
    _store(session, run, previous, plan, merged, schedule)
    for line in plan.new_lines:
        line.order.status = transition(line.order.status, WorkOrderState.PLANNED)


def _replanned(plan: PlanInput, merged: Problem) -> Schedule:
    """Every movable operation after the frozen horizon may move; new lines come in too."""
    return planner_api.reoptimise(
        merged,
        _with_new_lines(plan),
        plan.frozen_until,
        Objective.WEIGHTED_TARDINESS,
        REPLAN_TIME_LIMIT_S,
    )


def _after_breakdown(
    plan: PlanInput, merged: Problem, parameters: dict[str, str]
) -> tuple[Problem, Schedule]:
    """A machine is down for a window: work on it moves (interrupted work restarts after it);
    the problem checked afterwards carries the downtime, so nothing may sit in the window."""
    machine = parameters["machine"]
    down = Window(
        data.minutes_between(plan.origin, datetime.fromisoformat(parameters["from"])),
        data.minutes_between(plan.origin, datetime.fromisoformat(parameters["until"])),
    )
    start = _with_new_lines(plan)
    now = data.minutes_between(plan.origin, utc_now())
    schedule = planner_api.reschedule_after(
        merged, start, now, breakdown=(machine, down), time_limit=REPLAN_TIME_LIMIT_S
    )
    machines = tuple(
        replace(m, downtime=m.downtime + (down,)) if m.id == machine else m for m in merged.machines
    )
    return replace(merged, machines=machines), schedule


def _with_new_lines(plan: PlanInput) -> Schedule:
    """The schedule in force with the new lines inserted (as is when there are none)."""
    if not plan.new.operations:
        return plan.schedule
    return planner_api.insert_orders(
        plan.known, plan.schedule, plan.new.orders, plan.new.operations, plan.frozen_until
    ).schedule


def _store(
    session: Session,
    run: PlanRun,
    previous: PlanRun | None,
    plan: PlanInput,
    merged: Problem,
    schedule: Schedule,
) -> None:
    fixed_ids = {a.operation_id for a in plan.schedule.assignments if a.fixed}
    for a in schedule.assignments:
        session.add(
            PlannedOperation(
                plan_run_id=run.id,
                order_line_id=data.line_of(a.operation_id),
                operation_key=a.operation_id,
                operation_id=data.operation_of(a.operation_id),
                machine=a.machine_id,
                start=data.moment_at(plan.origin, a.start),
                end=data.moment_at(plan.origin, a.end),
                fixed=a.operation_id in fixed_ids,
            )
        )
    moves = planner_api.diff(plan.schedule, schedule)
    run.based_on_id = previous.id if previous else None
    run.origin = plan.origin
    run.frozen_until = data.moment_at(plan.origin, plan.frozen_until)
    run.kpis = data.kpi_dict(kpis(merged, schedule))
    run.moves = {"moved": data.moves_dict(plan.origin, moves)}
    run.status, run.finished_at, run.is_current = PlanRunStatus.SUCCEEDED, utc_now(), True
    if previous is not None:
        previous.is_current = False


STALE_AFTER = timedelta(seconds=30)


def queued_runs(sessions: sessionmaker[Session]) -> list[int]:
    with unit_of_work(sessions) as session:
        query = select(PlanRun.id).where(PlanRun.status == PlanRunStatus.QUEUED)
        return list(session.scalars(query))


def stale_queued_runs(sessions: sessionmaker[Session]) -> list[int]:
    """Queued runs nobody picked up: their task message was lost, so they are sent again."""
    cutoff = utc_now() - STALE_AFTER
    with unit_of_work(sessions) as session:
        query = select(PlanRun.id).where(
            PlanRun.status == PlanRunStatus.QUEUED, PlanRun.created_at < cutoff
        )
        return list(session.scalars(query))
