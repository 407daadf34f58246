"""A customer's private pages: order tracking, the confirmation PDF, a unit's traceability.

No login: the tracking token (and the unit code printed on the product) is the key.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import documents
from c2m.db import session_factory, unit_of_work
from c2m.errors import NotFound
from c2m.models import MesEvent, Order, OrderLine, ProductModelRecord, Unit, WorkOrder
from c2m.web import progress
from c2m.web.i18n import language

blueprint = Blueprint("tracking", __name__)


def _order(session: Session, token: str) -> Order:
    order = session.scalar(select(Order).filter_by(tracking_token=token))
    if order is None:
        raise NotFound("no order with this tracking link")
    return order


def order_context(session: Session, order: Order) -> dict[str, Any]:
    line_ids = [line.id for line in order.lines]
    work_orders = session.scalars(
        select(WorkOrder).where(WorkOrder.order_line_id.in_(line_ids)).order_by(WorkOrder.id)
    ).all()
    wo_ids = [wo.id for wo in work_orders]
    units = session.scalars(select(Unit).where(Unit.work_order_id.in_(wo_ids))).all()
    events = session.scalars(
        select(MesEvent)
        .where(MesEvent.work_order_id.in_(wo_ids))
        .order_by(MesEvent.occurred_at, MesEvent.sequence)
    ).all()
    names = progress.operation_names((line.routing for line in order.lines), language())
    return {
        "order": order,
        "work_orders": work_orders,
        "units": units,
        "events": events,
        "progress": progress.progress_lines(events, names, language(), factory_zone()),
        "tracking_url": url_for("tracking.track_page", token=order.tracking_token, _external=True),
    }


def factory_zone() -> ZoneInfo:
    return ZoneInfo(current_app.extensions["c2m.settings"].factory_timezone)


@blueprint.get("/track/<token>")
def track_page(token: str) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        context = order_context(session, _order(session, token))
        return render_template(
            "shop/track.html", placed=bool(request.args.get("placed")), **context
        )


@blueprint.get("/track/<token>/status")
def track_status(token: str) -> ResponseReturnValue:
    """The htmx-polled status block: the status as MES events move the order along."""
    with unit_of_work(session_factory()) as session:
        context = order_context(session, _order(session, token))
        return render_template("shop/_status.html", **context)


@blueprint.get("/track/<token>/confirmation.pdf")
def confirmation_pdf(token: str) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        order = _order(session, token)
        tracking_url = url_for("tracking.track_page", token=token, _external=True)
        pdf = documents.order_confirmation(session, order, tracking_url, language())
        number = order.number
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
    )


@blueprint.get("/u/<code>")
def unit_page(code: str) -> ResponseReturnValue:
    """The unit's traceability record: what it is, from which model version, how it was built."""
    with unit_of_work(session_factory()) as session:
        unit = session.scalar(select(Unit).filter_by(code=code))
        if unit is None:
            raise NotFound(f"no unit {code}")
        work_order = session.get_one(WorkOrder, unit.work_order_id)
        line = session.get_one(OrderLine, work_order.order_line_id)
        events = session.scalars(
            select(MesEvent).filter_by(work_order_id=work_order.id).order_by(MesEvent.sequence)
        ).all()
        product = session.get_one(ProductModelRecord, line.product_model_id)
        lang = language()
        names = progress.operation_names([line.routing], lang)
        here = url_for("tracking.unit_page", code=unit.code, _external=True)
        return render_template(
            "shop/unit.html",
            unit=unit,
            work_order=work_order,
            line=line,
            product=product,
            summary=documents.line_summary(session, line, lang),
            operation_names=names,
            progress=progress.progress_lines(events, names, lang, factory_zone()),
            qr=documents.data_uri(documents.qr_svg(here)),
        )
