"""`GET /api/v1/plant-status`: what a plant operator (and the plant simulator) checks the
closed loop by: current schedules, plan runs, orders, outbox, MES events, units. Read-only.

`?detail=orders` adds every order with its promise, completion and shop-floor actuals (for
reports over a finished run; large on a big plant)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2m.auth import role_required
from c2m.clock import business_now
from c2m.db import session_factory, unit_of_work
from c2m.models import (
    MesEvent,
    Order,
    OrderLine,
    OutboxMessage,
    OutboxStatus,
    PlannedOperation,
    PlanRun,
    PlanRunStatus,
    Unit,
    WorkOrder,
    utc_now,
)
from mes_bridge.lifecycle import WorkOrderState

blueprint = Blueprint("status_api", __name__, url_prefix="/api/v1")


@blueprint.get("/plant-status")
@role_required("planner")
def plant_status() -> ResponseReturnValue:
    settings = current_app.extensions["c2m.settings"]
    with unit_of_work(session_factory()) as session:
        body: dict[str, Any] = {
            "wall_now": utc_now().isoformat(),
            "business_now": business_now().isoformat(),
            **schedules(session),
            "orders": _counts(session, Order.status),
            "outbox": outbox(session, settings.mes_claim_timeout_s),
            "mes_events": mes_events(session),
            "units": units(session),
        }
        if request.args.get("detail") == "orders":
            body["order_details"] = order_details(session)
            body["plan_run_latencies"] = plan_run_latencies(session)
        return jsonify(body)


def _counts(session: Session, column: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {getattr(key, "value", str(key)): count for key, count in rows}


def schedules(session: Session) -> dict[str, Any]:
    current = session.scalars(select(PlanRun.id).where(PlanRun.is_current.is_(True))).all()
    by_kind: dict[str, dict[str, int]] = {}
    for kind, status, count in session.execute(
        select(PlanRun.kind, PlanRun.status, func.count()).group_by(PlanRun.kind, PlanRun.status)
    ):
        by_kind.setdefault(kind, {})[status.value] = count
    last_end = select(func.max(PlannedOperation.end))
    planned_until = (
        session.scalar(last_end.where(PlannedOperation.valid_to.is_(None)))
        if current
        else None
    )
    return {
        "current_schedules": len(current),
        "current_plan_run": max(current) if current else None,
        "planned_until": _iso(planned_until),  # the current schedule's last operation ends
        "plan_runs": _counts(session, PlanRun.status),
        "plan_runs_by_kind": by_kind,
        "plan_run_failures": failures(session),
    }


def failures(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The latest failed runs and why: a run the checker refused is a planner defect."""
    rows = session.execute(
        select(PlanRun.id, PlanRun.kind, PlanRun.message)
        .where(PlanRun.status == PlanRunStatus.FAILED)
        .order_by(PlanRun.id.desc())
        .limit(limit)
    )
    return [{"plan_run": run, "kind": kind, "reason": (message or "")[:300]}
            for run, kind, message in rows]


def outbox(session: Session, claim_timeout_s: float) -> dict[str, Any]:
    """In-flight rows carry `next_attempt_at` = claim time + claim timeout: past it, the
    claim has expired and the sweeper should have taken the row over."""
    now = utc_now()
    overdue = session.scalars(
        select(OutboxMessage.next_attempt_at).where(
            OutboxMessage.status == OutboxStatus.IN_FLIGHT, OutboxMessage.next_attempt_at < now
        )
    ).all()
    oldest = max(((now - moment).total_seconds() for moment in overdue), default=0.0)
    return {
        "by_status": _counts(session, OutboxMessage.status),
        "in_flight_overdue": len(overdue),
        "oldest_overdue_s": round(oldest, 1),
        "claim_timeout_s": claim_timeout_s,
    }


def mes_events(session: Session) -> dict[str, int]:
    received = session.scalar(select(func.count()).select_from(MesEvent)) or 0
    applied = session.scalar(select(func.count()).where(MesEvent.applied.is_(True))) or 0
    return {"received": received, "applied": applied}


def units(session: Session) -> dict[str, Any]:
    """Completed work orders must have made exactly their ordered quantity; others none."""
    made = (
        select(Unit.work_order_id, func.count().label("made"))
        .group_by(Unit.work_order_id)
        .subquery()
    )
    rows = session.execute(
        select(WorkOrder.number, WorkOrder.state, OrderLine.quantity, made.c.made)
        .join(OrderLine, OrderLine.id == WorkOrder.order_line_id)
        .outerjoin(made, made.c.work_order_id == WorkOrder.id)
    ).all()
    mismatched = []
    for number, state, quantity, count in rows:
        expected = quantity if state in (WorkOrderState.COMPLETED, WorkOrderState.CLOSED) else 0
        if (count or 0) != expected:
            mismatched.append({"work_order": number, "units": count or 0, "expected": expected})
    return {
        "work_orders": len(rows),
        "units": sum(count or 0 for *_, count in rows),
        "mismatched": mismatched,
    }


def order_details(session: Session) -> list[dict[str, Any]]:
    completions = _completions(session)
    actuals = _actuals(session)
    lines = session.execute(select(OrderLine, Order).join(Order).order_by(Order.id)).all()
    return [
        {
            "number": order.number,
            "status": order.status.value,
            "quantity": line.quantity,
            "created_at": order.created_at.isoformat(),
            "promised_at": _iso(order.promised_at),
            "completed_at": _iso(completions.get(line.id)),
            "operations": line.routing.get("planner_operations", []),
            "actuals": actuals.get(line.id, {}),
        }
        for line, order in lines
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _completions(session: Session) -> dict[int, datetime]:
    rows = session.execute(
        select(WorkOrder.order_line_id, func.min(MesEvent.occurred_at))
        .join(MesEvent, MesEvent.work_order_id == WorkOrder.id)
        .where(MesEvent.kind == "completed", MesEvent.applied.is_(True))
        .group_by(WorkOrder.order_line_id)
    ).all()
    return dict(rows)


def _actuals(session: Session) -> dict[int, dict[str, dict[str, Any]]]:
    """Per order line and operation: machine and actual start/end as the MES reported them."""
    found: dict[int, dict[str, dict[str, Any]]] = {}
    rows = session.execute(
        select(WorkOrder.order_line_id, MesEvent.body)
        .join(MesEvent, MesEvent.work_order_id == WorkOrder.id)
        .where(MesEvent.applied.is_(True))
        .order_by(MesEvent.sequence)
    ).all()
    for line_id, body in rows:
        for op in body.get("operations", []):
            seen = found.setdefault(line_id, {}).setdefault(op["operation"], {})
            seen["machine"] = op.get("machine") or seen.get("machine")
            seen["start"] = seen.get("start") or op.get("start")
            seen["end"] = op.get("end") or seen.get("end")
    return found


def plan_run_latencies(session: Session) -> list[float]:
    """Wall seconds from request to result of every finished plan run."""
    rows = session.execute(
        select(PlanRun.created_at, PlanRun.finished_at).where(PlanRun.finished_at.is_not(None))
    ).all()
    return [round((end - start).total_seconds(), 3) for start, end in rows if end is not None]
