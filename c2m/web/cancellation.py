"""Cancelling an order: the customer's form on the tracking page and the planner's button, and
their JSON counterparts. The use case is c2m.cancellation; here only who asks and what follows
the commit (cancel messages to the dispatcher, the re-plan to a worker)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from c2m import cancellation
from c2m.auth import role_required
from c2m.cancellation import Actor, Cancellation
from c2m.db import session_factory, unit_of_work
from c2m.errors import NotFound
from c2m.models import Order
from c2m.web import throttling
from c2m.web.api import enqueue_delivery, enqueue_plan
from c2m.web.planning_views import planner_only
from mes_bridge.model import PayloadFormat

pages = Blueprint("cancellation", __name__)
api = Blueprint("cancellation_api", __name__, url_prefix="/api/v1")


def _order_id_for(token: str) -> int:
    with unit_of_work(session_factory()) as session:
        order_id = session.scalar(select(Order.id).filter_by(tracking_token=token))
    if order_id is None:
        raise NotFound("no order with this tracking link")
    return order_id


def cancel_and_send(order_id: int, actor: Actor) -> Cancellation:
    """One transaction; after the commit its messages and its plan run go to the workers."""
    fmt = PayloadFormat(current_app.extensions["c2m.settings"].mes_format)
    with unit_of_work(session_factory()) as session:
        done = cancellation.cancel(session, order_id, actor, fmt)
    for message_id in done.message_ids:
        enqueue_delivery(message_id)
    if done.plan_run_id is not None:
        enqueue_plan(done.plan_run_id)
    return done


@pages.post("/track/<token>/cancel")
def customer_cancel_form(token: str) -> ResponseReturnValue:
    cancel_and_send(_order_id_for(token), Actor.CUSTOMER)
    return redirect(url_for("tracking.track_page", token=token, cancelled=1), code=303)


@pages.post("/planning/orders/<id:order_id>/cancel")
@planner_only
def planner_cancel_form(order_id: int) -> ResponseReturnValue:
    done = cancel_and_send(order_id, Actor.PLANNER)
    return redirect(url_for("planning.schedule_page", cancelled=done.number), code=303)


@api.post("/track/<token>/cancel")
@throttling.api_requests
def customer_cancel(token: str) -> ResponseReturnValue:
    """The tracking link is the key, as for the order's status."""
    done = cancel_and_send(_order_id_for(token), Actor.CUSTOMER)
    return jsonify(done.as_dict()), 200


@api.post("/orders/<id:order_id>/cancel")
@role_required("planner")
def planner_cancel(order_id: int) -> ResponseReturnValue:
    done = cancel_and_send(order_id, Actor.PLANNER)
    return jsonify(done.as_dict()), 200


@pages.app_template_global()
def cancel_refusal(order_id: int, actor: str) -> str | None:
    """For pages: the message key saying why the cancel button is absent, None to show it."""
    with unit_of_work(session_factory()) as session:
        order = session.get(Order, order_id)
        if order is None:
            return None
        reason = cancellation.why_not(session, order, Actor(actor))
    return None if reason is None else reason.value
