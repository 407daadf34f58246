"""PDF documents rendered with WeasyPrint from Jinja templates: the customer's order
confirmation, the planner's day schedule (Gantt) and the work-order traveler of a unit."""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from flask import render_template
from sqlalchemy.orm import Session
from weasyprint import HTML

from c2m import preview
from c2m.models import Order, OrderLine, ProductModelRecord
from c2m.products import configurator_for


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
    return [(f.label.get(lang), f.value_label(line.choices[f.name], lang))
            for f in model.features if f.name in line.choices]


def order_confirmation(session: Session, order: Order, tracking_url: str, lang: str) -> bytes:
    lines = [
        {"line": line, "preview": data_uri(line_preview(session, line)),
         "summary": line_summary(session, line, lang)}
        for line in order.lines
    ]
    return render_pdf("pdf/confirmation.html", order=order, lines=lines, pdf_lang=lang,
                      qr=data_uri(qr_svg(tracking_url)), tracking_url=tracking_url)
