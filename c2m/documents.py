"""PDF documents rendered with WeasyPrint from Jinja templates: the customer's order
confirmation, the planner's day schedule (Gantt) and the work-order traveler of a unit."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import qrcode
import qrcode.image.svg
from flask import render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from weasyprint import HTML

from c2m import gantt, plan_versions, preview
from c2m.errors import NotFound
from c2m.mes_intake import unit_code
from c2m.models import Order, OrderLine, PlannedOperation, PlanRun, ProductModelRecord, WorkOrder
from c2m.products import configurator_for
from c2m.web.i18n import number, product_name, value_label


def data_uri(svg: str | bytes) -> str:
    raw = svg.encode() if isinstance(svg, str) else svg
    return "data:image/svg+xml;base64," + base64.b64encode(raw).decode()


def qr_svg(text: str) -> str:
    """A QR code as SVG (vector: crisp at any print size)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return image.to_string(encoding="unicode")


def render_pdf(template: str, **context: Any) -> bytes:
    html = render_template(template, **context)
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def line_preview(session: Session, line: OrderLine) -> str:
    record = session.get_one(ProductModelRecord, line.product_model_id)
    model = configurator_for(record).model
    return preview.svg(model, line.choices)


def line_summary(session: Session, line: OrderLine, lang: str) -> list[tuple[str, str]]:
    """(feature label, value label) for every feature of the line's frozen configuration."""
    record = session.get_one(ProductModelRecord, line.product_model_id)
    model = configurator_for(record).model
    return [
        (f.label.get(lang), value_label(f, line.choices[f.name], lang))
        for f in model.features
        if f.name in line.choices
    ]


def line_name(session: Session, line: OrderLine, lang: str) -> str:
    """The product's name ("Modular sofa") as the version the line was ordered from has it."""
    return product_name(session.get_one(ProductModelRecord, line.product_model_id), lang)


def cut_size(row: Mapping[str, Any]) -> str:
    """A cut-list row's size in the dimensions it has: "760 × 780 × 15 mm" for a panel,
    "1000 × 880 mm" for fabric, "770 mm" for a batten cut to length."""
    dimensions = [
        number(row[key])
        for key in ("length_mm", "width_mm", "thickness_mm")
        if row.get(key) is not None
    ]
    return f"{' × '.join(dimensions)} mm" if dimensions else ""


def order_confirmation(session: Session, order: Order, tracking_url: str, lang: str) -> bytes:
    lines = [
        {
            "line": line,
            "preview": data_uri(line_preview(session, line)),
            "summary": line_summary(session, line, lang),
            "name": line_name(session, line, lang),
        }
        for line in order.lines
    ]
    return render_pdf(
        "pdf/confirmation.html",
        order=order,
        lines=lines,
        pdf_lang=lang,
        qr=data_uri(qr_svg(tracking_url)),
        tracking_url=tracking_url,
    )


def gantt_pdf(
    bars: Sequence[gantt.Bar],
    machines: Sequence[str],
    win: gantt.Window,
    zoom: str,
    run: PlanRun | None,
    now: datetime | None,
) -> bytes:
    """Every machine of the plant, a page-sized chart of them per page (one tall picture
    would not fit the first page and lose its last lanes at the bottom of the next)."""
    frozen = run.frozen_until if run else None
    pages = [
        {
            "svg": data_uri(gantt.svg(bars, lanes, win, frozen, now)),
            "first": lanes[0] if lanes else "",
            "last": lanes[-1] if lanes else "",
        }
        for lanes in gantt.print_pages(machines)
    ]
    return render_pdf("pdf/gantt.html", pages=pages, start=win.start, zoom=zoom, run=run)


def traveler_pdf(session: Session, work_order_id: int) -> tuple[bytes, str]:
    """The paper that travels with a unit: operations and machines, cut list, BOM, QR."""
    work_order = session.get(WorkOrder, work_order_id)
    if work_order is None:
        raise NotFound(f"no work order {work_order_id}")
    line = session.get_one(OrderLine, work_order.order_line_id)
    operations = session.scalars(
        select(PlannedOperation)
        .where(
            plan_versions.rows_of(session.get_one(PlanRun, work_order.plan_run_id)),
            PlannedOperation.order_line_id == line.id,
        )
        .order_by(PlannedOperation.start)
    ).all()
    names = {op["id"]: op["name"] for op in line.routing["routing"]["operations"]}
    codes = [unit_code(work_order.id, serial) for serial in range(1, line.quantity + 1)]
    units = [
        {
            "code": code,
            "qr": data_uri(qr_svg(url_for("tracking.unit_page", code=code, _external=True))),
        }
        for code in codes
    ]
    cut_list = [{**row, "size": cut_size(row)} for row in line.bom.get("cut_list", [])]
    pdf = render_pdf(
        "pdf/traveler.html",
        work_order=work_order,
        line=line,
        product=line_name(session, line, "en"),
        cut_list=cut_list,
        order=line.order,
        operations=operations,
        names=names,
        units=units,
        preview=data_uri(line_preview(session, line)),
    )
    return pdf, work_order.number
