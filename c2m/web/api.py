"""The JSON API of consumers and planners (`/api/v1`). MES endpoints live in mes_api."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from c2m import (
    auth,
    dispatch,
    orders,
    plan_runs,
    plan_versions,
    planning,
    products,
    release,
    validation,
)
from c2m.auth import role_required
from c2m.db import exclusive, session_factory, unit_of_work
from c2m.errors import InvalidInput, NotFound
from c2m.models import LockName, Order, OrderLine, PlannedOperation, PlanRun
from c2m.web import throttling
from configurator.api import configure_request
from mes_bridge.model import PayloadFormat

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", "body")
    return body


def enqueue_plan(run_id: int) -> None:
    """After commit: a lost message is re-sent by the sweeper, so failure here is harmless."""
    try:
        current_app.extensions["celery"].send_task("c2m.plan", args=[run_id])
    except Exception:  # the broker may be down; the run stays QUEUED for the sweeper
        current_app.logger.warning("plan run %s not enqueued; the sweeper will", run_id)


@blueprint.post("/configurations")
@throttling.api_requests
def configuration() -> ResponseReturnValue:
    """Available and unavailable options with reasons, forced values, price range, completions;
    everything recomputed here from the model: nothing the client says about price is used."""
    body = json_body()
    choices = validation.json_object(body.get("choices"), "choices", "feature: value")
    with unit_of_work(session_factory()) as session:
        record = products.record_for(session, str(body.get("model") or ""))
        return jsonify(configure_request(products.configurator_for(record), choices))


@blueprint.post("/orders")
@throttling.api_requests
def place_order() -> ResponseReturnValue:
    body = json_body()
    key = request.headers.get("Idempotency-Key") or str(body.get("idempotency_key") or "")
    placed = orders.place(
        session_factory(),
        model=str(body.get("model") or ""),
        choices=validation.json_object(body.get("choices"), "choices", "feature: value"),
        customer=customer_of(body.get("customer")),
        idempotency_key=key,
    )
    if placed.plan_run_id is not None:
        enqueue_plan(placed.plan_run_id)
    body_out = {
        "order": placed.number,
        "id": placed.order_id,
        "created": placed.created,
        "plan_run": placed.plan_run_id,
        "tracking_url": url_for("api.order_status", token=placed.tracking_token, _external=True),
    }
    return jsonify(body_out), 201 if placed.created else 200


def customer_of(raw: object) -> orders.Customer:
    """The customer object of an order request; wrong types, lengths or characters are
    refused here, with every such field named, before anything is stored."""
    fields = validation.json_object(raw, "customer", "name, email, phone, address")
    problems = validation.customer_problems(fields)
    if problems:
        raise orders.CustomerInvalid(problems)
    return orders.Customer(
        name=fields.get("name", ""),
        email=fields.get("email", ""),
        phone=fields.get("phone", ""),
        address=fields.get("address", ""),
        language=fields.get("language", "en"),
    )


@blueprint.get("/track/<token>")
def order_status(token: str) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        order = session.scalar(select(Order).filter_by(tracking_token=token))
        if order is None:
            raise NotFound("no order with this tracking link")
        return jsonify(order_view(order))


def order_view(order: Order) -> dict[str, Any]:
    return {
        "order": order.number,
        "status": order.status.value,
        "total": order.total_price,
        "currency": order.currency,
        "promised_at": order.promised_at.isoformat() if order.promised_at else None,
        "lines": [
            {
                "id": line.id,
                "model": line.model,
                "version": line.model_version,
                "choices": line.choices,
                "price": line.price,
            }
            for line in order.lines
        ],
    }


def _line(session: Any, order_id: int) -> OrderLine:
    line = session.scalar(select(OrderLine).filter_by(order_id=order_id))
    if line is None:
        raise NotFound(f"no order {order_id}")
    return line


@blueprint.get("/orders/<id:order_id>/bom")
@role_required("planner")
def order_bom(order_id: int) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        return jsonify(_line(session, order_id).bom)


@blueprint.get("/orders/<id:order_id>/routing")
@role_required("planner")
def order_routing(order_id: int) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        return jsonify(_line(session, order_id).routing["routing"])


@blueprint.post("/plan-runs")
@role_required("planner")
def request_plan_run() -> ResponseReturnValue:
    body = json_body()
    kind = str(body.get("kind", "insert"))
    if kind not in {"insert", "replan", "breakdown"}:
        raise InvalidInput("kind must be 'insert', 'replan' or 'breakdown'", "kind")
    with unit_of_work(session_factory()) as session:
        if kind == "breakdown":
            run_id = plan_runs.request_breakdown(session, breakdown_parameters(body)).id
        else:
            run_id = planning.request_plan(session, kind).id
    enqueue_plan(run_id)
    return jsonify({"plan_run": run_id, "status": "queued"}), 202


def breakdown_parameters(body: dict[str, Any]) -> dict[str, str]:
    """A machine and the window it is down: aware ISO 8601 times, the end after the start."""
    machine = str(body.get("machine") or "")
    if not machine:
        raise InvalidInput("name the machine that is down", "machine")
    window = {}
    for field in ("from", "until"):
        try:
            moment = datetime.fromisoformat(str(body.get(field) or ""))
        except ValueError:
            raise InvalidInput(f"{field} must be an ISO 8601 time with its zone", field) from None
        if moment.tzinfo is None:
            raise InvalidInput(f"{field} needs a time zone (e.g. +08:00 or Z)", field)
        window[field] = moment
    if window["until"] <= window["from"]:
        raise InvalidInput("until must be after from", "until")
    return {"machine": machine, **{k: v.isoformat() for k, v in window.items()}}


@blueprint.get("/plan-runs/<id:run_id>")
@role_required("planner")
def plan_run(run_id: int) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        run = session.get(PlanRun, run_id)
        if run is None:
            raise NotFound(f"no plan run {run_id}")
        return jsonify(plan_run_view(session, run))


def plan_run_view(session: Any, run: PlanRun) -> dict[str, Any]:
    rows = session.scalars(
        select(PlannedOperation)
        .where(plan_versions.rows_of(run))
        .order_by(PlannedOperation.start)
    ).all()
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status.value,
        "current": run.is_current,
        "based_on": run.based_on_id,
        "message": run.message,
        "kpis": run.kpis,
        "moves": run.moves.get("moved", []),
        "frozen_until": run.frozen_until.isoformat(),
        "assignments": [
            {
                "order_line": r.order_line_id,
                "operation": r.operation_id,
                "machine": r.machine,
                "start": r.start.isoformat(),
                "end": r.end.isoformat(),
                "fixed": r.fixed,
            }
            for r in rows
        ],
    }


@blueprint.post("/plan-runs/<id:run_id>/release")
@role_required("planner")
def release_plan_run(run_id: int) -> ResponseReturnValue:
    """Approve the schedule: work orders and their outbox rows in one transaction, then send."""
    return jsonify({"plan_run": run_id, "work_orders": release_and_send(run_id)}), 200


def release_and_send(run_id: int) -> list[int]:
    """Work orders and outbox rows in one transaction; after the commit, hand them to workers."""
    settings = current_app.extensions["c2m.settings"]
    with unit_of_work(session_factory()) as session:
        # Two planners releasing at once must not both turn one line into a work order.
        exclusive(session, LockName.SCHEDULE)
        work_orders = release.release(session, run_id, PayloadFormat(settings.mes_format))
        message_ids = release.pending_messages(session, work_orders)
        dispatch.mark_enqueued(session, message_ids)  # sent right after commit: not by the sweep
    for message_id in message_ids:
        enqueue_delivery(message_id)
    return work_orders


def enqueue_delivery(message_id: str) -> None:
    try:
        current_app.extensions["celery"].send_task("c2m.deliver", args=[message_id])
    except Exception:  # the row is in the outbox; the sweeper sends it
        current_app.logger.warning("message %s not enqueued; the sweeper will", message_id)


@blueprint.post("/session")
@throttling.login_attempts
def log_in() -> ResponseReturnValue:
    """Planners and admins log in (the HTML login form posts to the same use case); failed
    attempts are throttled together with the form's."""
    body = json_body()
    with unit_of_work(session_factory()) as db:
        user = auth.authenticate(db, str(body.get("username", "")), str(body.get("password", "")))
        if user is None:
            return jsonify({"error": "Unauthorized", "detail": "wrong user name or password"}), 401
        auth.start_session(user)
        # A cookie client sends this back as X-CSRFToken on every state-changing call.
        return jsonify({"user": user.username, "role": user.role, "csrf_token": generate_csrf()})


@blueprint.delete("/session")
def log_out() -> ResponseReturnValue:
    auth.end_session()
    return "", 204
