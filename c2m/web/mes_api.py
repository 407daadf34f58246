"""The MES-facing API (`/api/mes/v1`): signed status events in, work orders pulled out.

Events authenticate by their Standard Webhooks signature (the MES endpoint's shared secret);
pull clients by a bearer token with the `pull` scope. Nothing else gets in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from c2m import mes_intake, validation
from c2m.auth import scope_required
from c2m.db import exclusive, session_factory, unit_of_work
from c2m.errors import InvalidInput, NotFound
from c2m.logging_setup import get_logger
from c2m.models import LockName, OutboxMessage, OutboxStatus, WorkOrder, utc_now
from mes_bridge.errors import EventParseError, InvalidTransition, SignatureError
from mes_bridge.events_in import receive_events
from mes_bridge.lifecycle import WorkOrderState, transition

log = get_logger(__name__)
blueprint = Blueprint("mes_api", __name__, url_prefix="/api/mes/v1")
PAGE_SIZE = 100


@blueprint.post("/events")
@scope_required("events")
def events() -> ResponseReturnValue:
    """A bearer token with the `events` scope says which MES client this is; the webhook
    signature proves the body is theirs, fresh (±5 min) and unaltered."""
    settings = current_app.extensions["c2m.settings"]
    body = request.get_data()
    try:
        parsed = receive_events(settings.mes_secret, dict(request.headers), body)
    except SignatureError as error:
        log.warning(
            "MES callback refused", extra={"reason": str(error), "remote": request.remote_addr}
        )
        return jsonify({"error": "Unauthorized", "detail": str(error)}), 401
    except EventParseError as error:
        # Named like the JSON pointer or B2MML path the parser gives, without the leading "/".
        raise InvalidInput(str(error), error.field.lstrip("/") or "body") from None
    with unit_of_work(session_factory()) as session:
        reports = mes_intake.take_in(session, parsed)
    return jsonify({"events": [r.__dict__ for r in reports]}), 200


@blueprint.get("/work-orders")
@scope_required("pull")
def pull() -> ResponseReturnValue:
    """Cursor feed of released work orders: `after` is the last cursor the client saw."""
    validation.known_parameters(request.args, {"after"})
    after = validation.whole_number(request.args.get("after"), "after")
    with unit_of_work(session_factory()) as session:
        rows = session.scalars(
            select(WorkOrder).where(WorkOrder.id > after).order_by(WorkOrder.id).limit(PAGE_SIZE)
        ).all()
        items = [_pulled(row) for row in rows]
    cursor = rows[-1].id if rows else after
    return jsonify({"work_orders": items, "cursor": cursor, "more": len(rows) == PAGE_SIZE})


def _pulled(row: WorkOrder) -> dict[str, Any]:
    """The released snapshot itself: later model edits never change what is handed out."""
    return {"cursor": row.id, "state": row.state.value, "work_order": row.payload}


@blueprint.post("/work-orders/<number>/ack")
@scope_required("pull")
def acknowledge(number: str) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        # The same read-modify-write of the work order's state as an event: the same lock, or
        # on SQLite an event applied meanwhile could be overwritten with ACCEPTED.
        exclusive(session, LockName.MES_INTAKE)
        row = session.scalar(select(WorkOrder).filter_by(number=number).with_for_update())
        if row is None:
            raise NotFound(f"no work order {number!r}")
        try:
            row.state = transition(row.state, WorkOrderState.ACCEPTED)
        except InvalidTransition as error:
            if not error.stale:
                raise InvalidInput(str(error), "state") from None
        _settle_outbox(session, row.id)
        state = row.state.value
    log.info("work order acknowledged by pull", extra={"client": g.api_client, "wo": number})
    return jsonify({"work_order": number, "state": state})


def _settle_outbox(session: Any, work_order_id: int) -> None:
    """A pulled-and-acknowledged work order needs no push any more."""
    for message in session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.work_order_id == work_order_id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.DEAD]),
        )
    ):
        message.status, message.delivered_at = OutboxStatus.DELIVERED, utc_now()
