"""A plan run end to end at plant size: `c2m bench plan-run`.

A scratch database holds a live schedule of about `ops` operations (sofa orders, packed on
their first machines, then settled by a first insertion run into the plant's shifts). Each
measured run then takes `new` freshly placed orders in the way a worker does
(planning.carry_out: load from the database, insert, check, store the version), and reports
its wall time and the rows its version wrote, against the size of the schedule.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from c2m import planning
from c2m.app import create_app
from c2m.benchmarks import setup
from c2m.benchmarks.mes import _sofa_choices
from c2m.db import unit_of_work
from c2m.models import OrderLine, PlannedOperation, PlanRun, PlanRunStatus
from c2m.settings import Settings


@dataclass(frozen=True)
class PlanRunBench:
    settings: Settings
    operations: int
    new_orders: int
    runs: int


def run(config: PlanRunBench) -> dict[str, Any]:
    settings = config.settings
    setup.fresh_database(settings)
    sessions = create_app(settings).extensions["c2m.sessions"]
    choices = _sofa_choices(settings.products_dir)
    setup.place_orders(sessions, 1, choices, "probe")
    per_order = _operations_of_any_line(sessions)
    setup.place_orders(sessions, max(0, config.operations // per_order - 1), choices, "live")
    setup.packed_plan(sessions)
    _drop_queued_runs(sessions)  # the packed plan took every order in
    measured = []
    for k in range(config.runs + 1):  # the first also settles the packed plan into the shifts
        setup.place_orders(sessions, config.new_orders, choices, f"new{k}")
        with unit_of_work(sessions) as session:
            planning.request_insert(session)  # as the checkout does
        measured.append(_timed_run(sessions, settings))
    first, rest = measured[0], measured[1:]
    seconds = [m["seconds"] for m in rest]
    return {
        "database": settings.database_url.split("@")[-1],
        "live_operations": rest[-1]["live_operations"] if rest else first["live_operations"],
        "new_orders_per_run": config.new_orders,
        "first_run_settling_the_packed_plan": first,
        "runs": rest,
        "seconds_median": round(statistics.median(seconds), 2) if seconds else None,
        "seconds_max": max(seconds, default=None),
        "rows_written_median": statistics.median(m["rows_written"] for m in rest)
        if rest else None,
    }


def _operations_of_any_line(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        line = session.scalars(select(OrderLine)).first()
        assert line is not None
        return len(line.routing["planner_operations"])


def _drop_queued_runs(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for run in session.scalars(select(PlanRun).filter_by(status=PlanRunStatus.QUEUED)):
            session.delete(run)


def _timed_run(sessions: sessionmaker[Session], settings: Settings) -> dict[str, Any]:
    with sessions() as session:
        queued = session.scalars(select(PlanRun.id).filter_by(status=PlanRunStatus.QUEUED)).all()
    started = time.perf_counter()
    for run_id in queued:
        planning.carry_out(sessions, settings.products_dir, run_id)
    seconds = time.perf_counter() - started
    with sessions() as session:
        run = session.get_one(PlanRun, max(queued))
        written = session.scalar(
            select(func.count()).where(PlannedOperation.plan_run_id == run.id)
        )
        live = session.scalar(
            select(func.count()).where(PlannedOperation.valid_to.is_(None))
        )
        return {
            "plan_run": run.id,
            "status": run.status.value,
            "message": run.message[:200],
            "seconds": round(seconds, 2),
            "rows_written": written,
            "live_operations": live,
        }
