"""Planner pages: log in, the schedule (Gantt), plan runs, release, work orders, dead letters."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import Unauthorized

from c2m import (
    auth,
    dispatch,
    documents,
    gantt,
    plan_versions,
    planning,
    planning_data,
    shop_floor,
    validation,
)
from c2m.clock import business_now
from c2m.db import session_factory, unit_of_work
from c2m.errors import InvalidInput, NotFound
from c2m.models import (
    Order,
    OrderLine,
    OutboxMessage,
    OutboxStatus,
    PlannedOperation,
    PlanRun,
    WorkOrder,
    utc_now,
)
from c2m.web import export_files, i18n, throttling
from c2m.web.api import enqueue_delivery, enqueue_plan, release_and_send

blueprint = Blueprint("planning", __name__)
F = TypeVar("F", bound=Callable[..., Any])
_role_required = auth.role_required("planner")


def planner_only(view: F) -> F:
    """Planners (and admins) only. A browser asking for a page without a session is sent to
    the login form, and back afterwards; scripts and htmx requests keep the 401 problem JSON."""
    guarded = _role_required(view)

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return guarded(*args, **kwargs)
        except Unauthorized:
            if not _browser_navigation():
                raise
            return redirect(url_for("planning.log_in", next=request.full_path.rstrip("?")), 303)

    return wrapped  # type: ignore[return-value]


def _browser_navigation() -> bool:
    wants = request.accept_mimetypes.best_match(["application/json", "text/html"])
    htmx = request.headers.get("HX-Request")
    return request.method == "GET" and not htmx and wants == "text/html"


def safe_next(raw: str | None) -> str | None:
    """Only a path on this site: an absolute or protocol-relative URL would be an open redirect."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return None
    return quote(raw, safe="/?=&%-_.~")


def factory_zone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["c2m.settings"].factory_timezone)


def local_day(raw: str | None) -> tuple[datetime, datetime]:
    """Midnight to midnight of the asked day in the factory's zone."""
    start = _day(raw)
    return start, start + timedelta(days=1)


@blueprint.route("/login", methods=["GET", "POST"])
@throttling.login_attempts
def log_in() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("planning/login.html", failed=False)
    with unit_of_work(session_factory()) as db:
        user = auth.authenticate(
            db, request.form.get("username", ""), request.form.get("password", "")
        )
        if user is None:
            return render_template("planning/login.html", failed=True), 401
        auth.start_session(user)
        home = "admin.admin_page" if user.role == "admin" else "planning.schedule_page"
    return redirect(safe_next(request.args.get("next")) or url_for(home), code=303)


@blueprint.post("/logout")
def log_out() -> ResponseReturnValue:
    auth.end_session()
    return redirect(url_for("shop.catalogue_page"), code=303)


def _day(raw: str | None) -> datetime:
    """The window start: midnight of the asked day (default today) in the factory's zone, so
    the chart's axis, its titles and the printed schedule read in factory-local time."""
    zone = factory_zone()
    asked = validation.day_start(raw, business_now().astimezone(zone).date()).date()
    return datetime.combine(asked, time(), zone)


def schedule_bars(
    session: Session, run: PlanRun | None, win: gantt.Window
) -> tuple[list[gantt.Bar], list[str]]:
    """The operations of the run that overlap the window (lanes: every machine)."""
    from c2m.planning import factory_of

    settings = current_app.extensions["c2m.settings"]
    machines: set[str] = set()
    with contextlib.suppress(OSError):  # no factory file: lanes come from the schedule alone
        machines.update(factory_of(settings.products_dir).machines)
    if run is None:
        return [], sorted(machines)
    in_window = (
        plan_versions.rows_of(run)
        & (PlannedOperation.end > win.start)
        & (PlannedOperation.start < win.end)
    )
    setups = _setup_minutes(session, in_window)
    rows = session.execute(
        select(PlannedOperation, Order.number)
        .join(OrderLine, OrderLine.id == PlannedOperation.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(in_window)
    ).all()
    actuals = shop_floor.actuals_of(session, {op.order_line_id for op, _ in rows})
    bars = []
    for op, number in rows:
        done = actuals.get((op.order_line_id, op.operation_id))
        machine, start, end = (op.machine, op.start, op.end) if done is None else (
            done.machine, done.started_at, done.ended_at or max(op.end, business_now()))
        setup = op.setup_minutes or setups.get((op.order_line_id, op.operation_id, op.machine), 0)
        bars.append(
            gantt.Bar(op.id, machine, start, end, number, op.operation_id, op.fixed, setup)
        )
    machines.update(bar.machine for bar in bars)
    return bars, sorted(machines)


def _setup_minutes(session: Session, in_window: Any) -> dict[tuple[int, str, str], int]:
    """Each operation's own setup on each machine, from the routing snapshots of its line."""
    in_plan = select(PlannedOperation.order_line_id).where(in_window)
    lines = session.execute(
        select(OrderLine.id, OrderLine.routing).where(OrderLine.id.in_(in_plan))
    ).all()
    return {
        (line_id, op["id"], machine): int(spec.get("setup", 0))
        for line_id, routing in lines
        for op in routing.get("planner_operations", [])
        for machine, spec in op["machines"].items()
    }


@blueprint.get("/planning")
@planner_only
def schedule_page() -> ResponseReturnValue:
    zoom = request.args.get("zoom", "day")
    if zoom not in gantt.ZOOMS:
        raise InvalidInput(f"zoom must be one of {', '.join(gantt.ZOOMS)}", "zoom")
    start = _day(request.args.get("day"))
    raw_run = request.args.get("run")
    with unit_of_work(session_factory()) as session:
        run = _run_asked(session, raw_run)
        win = gantt.window(start, zoom)
        bars, machines = schedule_bars(session, run, win)
        detail = url_for("planning.operation_detail", op_id=0)[:-1]
        svg = gantt.svg(
            bars, machines, win, run.frozen_until if run else None, business_now(),
            interactive=detail,
        )
        return render_template(
            "planning/schedule.html",
            svg=svg,
            zoom=zoom,
            day=start,
            zone=gantt.zone_name(win),
            prev_day=start - gantt.ZOOMS[zoom],
            next_day=start + gantt.ZOOMS[zoom],
            run=run,
            shown_run=raw_run and run,
            legend=_legend(bars),
            **_board(session, run),
        )


def _run_asked(session: Session, raw: str | None) -> PlanRun | None:
    """The run of ?run= (one from the list of runs), else the current one."""
    if not raw:
        return planning.current_run(session)
    run = session.get(PlanRun, validation.whole_number(raw, "run"))
    if run is None:
        raise NotFound(f"no plan run {raw}")
    return run


def _legend(bars: list[gantt.Bar]) -> list[dict[str, Any]]:
    """One entry per order on the chart: its colour, and whether any of its bars is fixed."""
    orders = sorted({bar.order for bar in bars})
    return [
        {
            "order": order,
            "colour": gantt.colour(order),
            "fixed": any(bar.fixed for bar in bars if bar.order == order),
        }
        for order in orders
    ]


def _board(session: Session, run: PlanRun | None) -> dict[str, Any]:
    return {
        "orders": session.scalars(select(Order).order_by(Order.id.desc()).limit(100)).all(),
        "runs": session.scalars(select(PlanRun).order_by(PlanRun.id.desc()).limit(8)).all(),
        "work_orders": session.scalars(
            select(WorkOrder).order_by(WorkOrder.id.desc()).limit(100)
        ).all(),
        "dead": session.scalars(
            select(OutboxMessage)
            .filter_by(status=OutboxStatus.DEAD)
            .order_by(OutboxMessage.created_at)
        ).all(),
        "moves": _named_moves(session, (run.moves or {}).get("moved", [])[:200] if run else []),
        "kpis": run.kpis if run else {},
    }


def _named_moves(session: Session, moves: list[dict[str, Any]]) -> list[dict[str, Any]]:
    line_ids = {planning_data.line_of(move["operation"]) for move in moves}
    lang = i18n.language()
    lines = {
        line.id: planning_data.LineNames(
            line.order.number,
            documents.line_name(session, line, lang),
            {
                op["id"]: op.get("name", {}).get(lang) or op.get("name", {}).get("en") or op["id"]
                for op in line.routing["routing"]["operations"]
            },
        )
        for line in session.scalars(select(OrderLine).where(OrderLine.id.in_(line_ids)))
    }
    return planning_data.named_moves(moves, lines, factory_zone())


@blueprint.get("/planning/operations/<id:op_id>")
@planner_only
def operation_detail(op_id: int) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        op = session.get(PlannedOperation, op_id)
        if op is None:
            raise NotFound(f"no planned operation {op_id}")
        line = session.get_one(OrderLine, op.order_line_id)
        run = session.get_one(PlanRun, op.plan_run_id)
        moved = [
            m for m in (run.moves or {}).get("moved", []) if m["operation"] == op.operation_key
        ]
        routing_op = next(
            (o for o in line.routing["routing"]["operations"] if o["id"] == op.operation_id), None
        )
        return render_template(
            "planning/_operation.html",
            op=op,
            line=line,
            run=run,
            moved=planning_data.named_moves(moved, {}, factory_zone()),
            routing_op=routing_op,
            start=op.start.astimezone(factory_zone()),
            end=op.end.astimezone(factory_zone()),
            zone=factory_zone().key,
        )


@blueprint.post("/planning/runs")
@planner_only
def request_run() -> ResponseReturnValue:
    kind = request.form.get("kind", "insert")
    if kind not in {"insert", "replan"}:
        raise InvalidInput("kind must be 'insert' or 'replan'", "kind")
    with unit_of_work(session_factory()) as session:
        run_id = planning.request_plan(session, kind).id
    enqueue_plan(run_id)
    if request.headers.get("HX-Request"):
        return run_status(run_id)
    return redirect(url_for("planning.schedule_page"), code=303)


@blueprint.get("/planning/runs/<id:run_id>/status")
@planner_only
def run_status(run_id: int) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        run = session.get(PlanRun, run_id)
        if run is None:
            raise NotFound(f"no plan run {run_id}")
        return render_template("planning/_run_status.html", run=run, now=utc_now())


@blueprint.post("/planning/runs/<id:run_id>/release")
@planner_only
def release_run(run_id: int) -> ResponseReturnValue:
    """Approve: work orders and outbox rows in one transaction, then hand them to workers."""
    work_orders = release_and_send(run_id)
    return redirect(url_for("planning.schedule_page", released=len(work_orders)), code=303)


@blueprint.post("/planning/dead-letters/<message_id>/replay")
@planner_only
def replay(message_id: str) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        dispatch.replay(session, message_id)
    enqueue_delivery(message_id)
    return redirect(url_for("planning.schedule_page", replayed=message_id), code=303)


@blueprint.get("/planning/gantt.pdf")
@planner_only
def gantt_pdf() -> ResponseReturnValue:
    zoom = request.args.get("zoom", "day")
    if zoom not in ("shift", "day"):
        raise InvalidInput("the printed schedule covers a shift or a day", "zoom")
    hour = validation.whole_number(request.args.get("hour"), "hour", top=23)
    start = _day(request.args.get("day")) + timedelta(hours=hour)
    win = gantt.window(start, zoom)
    with unit_of_work(session_factory()) as session:
        run = planning.current_run(session)
        bars, machines = schedule_bars(session, run, win)  # every machine of the plant
    pdf = documents.gantt_pdf(bars, machines, win, zoom, run, business_now())
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="plan-{start:%Y-%m-%d}.pdf"'},
    )


@blueprint.get("/planning/work-orders/<id:work_order_id>/traveler.pdf")
@planner_only
def traveler_pdf(work_order_id: int) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        pdf, number = documents.traveler_pdf(session, work_order_id)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{number}-traveler.pdf"'},
    )


EXPORT_KINDS = "any(schedule, 'work-orders', bom, 'cut-list')"


@blueprint.get(f"/planning/exports/<{EXPORT_KINDS}:kind>.<any(csv, xlsx):fmt>")
@planner_only
def export(kind: str, fmt: str) -> ResponseReturnValue:
    """One export of a plan run (?run=, default the current one), or of one factory-local day
    of it (?day=YYYY-MM-DD), as CSV or Excel."""
    raw_run = request.args.get("run")
    span = local_day(request.args["day"]) if "day" in request.args else None
    with unit_of_work(session_factory()) as session:
        run = (
            session.get(PlanRun, validation.whole_number(raw_run, "run"))
            if raw_run else planning.current_run(session)
        )
        if run is None:
            raise NotFound("no such plan run" if raw_run else "no plan run yet")
        table = export_files.table(
            session, kind, run.id, span, factory_zone(), i18n.language()
        )
    scope = f"day-{request.args['day']}" if span else f"run-{run.id}"
    return Response(
        export_files.WRITERS[fmt](table),
        mimetype=export_files.MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kind}-{scope}.{fmt}"'},
    )
