"""Tracking, the unit's traceability record and the PDF documents (checked with pdftotext)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from c2m import planning
from c2m.models import MesEvent, Order, PlanRun, Unit, WorkOrder
from tests.flow.conftest import samples_dir
from tests.web.conftest import csrf_of, finished, named_configuration


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def place(client: FlaskClient, customer: dict[str, str], key: str = "web-order-0001") -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": customer,
        },
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def token_of(app: Flask) -> str:
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(Order.tracking_token)).one()


def test_the_tracking_page_shows_number_status_and_pdf_link(shop: Flask, customer) -> None:  # type: ignore[no-untyped-def]
    placed = place(shop.test_client(), customer)
    token = token_of(shop)
    html = shop.test_client().get(f"/track/{token}").get_data(as_text=True)
    assert placed["order"] in html and "Being prepared" in html
    assert f"/track/{token}/confirmation.pdf" in html
    status = shop.test_client().get(f"/track/{token}/status").get_data(as_text=True)
    assert status.startswith('<section id="status"') and 'hx-trigger="every 5s"' in status


def test_the_confirmation_pdf_carries_configuration_price_and_link(
    shop: Flask, customer, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    placed = place(shop.test_client(), customer)
    token = token_of(shop)
    response = shop.test_client().get(f"/track/{token}/confirmation.pdf?lang=en")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    assert placed["order"] in text and "Order confirmation" in text
    assert "Stone grey" in text and "Total" in text and f"/track/{token}" in text


def test_the_confirmation_pdf_renders_chinese(shop: Flask, customer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    place(shop.test_client(), customer)
    token = token_of(shop)
    text = pdf_text(
        shop.test_client().get(f"/track/{token}/confirmation.pdf?lang=zh").data, tmp_path
    )
    assert "订单确认书" in text and "石墨灰" in text and "李雷" in text


@pytest.fixture()
def released(shop: Flask, customer, planner: FlaskClient) -> int:  # type: ignore[no-untyped-def]
    place(shop.test_client(), customer)
    sessions = shop.extensions["c2m.sessions"]
    with sessions() as session:
        run_id = session.scalars(select(PlanRun.id)).one()
    planning.carry_out(sessions, samples_dir(), run_id)
    finished(sessions, run_id)
    html = planner.get("/planning").get_data(as_text=True)
    response = planner.post(f"/planning/runs/{run_id}/release", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 303, response.get_data(as_text=True)
    with sessions() as session:
        return session.scalars(select(WorkOrder.id)).one()


def test_a_unit_page_shows_configuration_bom_routing_and_history(
    shop: Flask, released: int
) -> None:
    with shop.extensions["c2m.sessions"].begin() as session:
        session.add(Unit(code="U0000101ABCDEF", work_order_id=released, serial=1))
        session.add(
            MesEvent(
                id="evt-1",
                work_order_id=released,
                sequence=2,
                kind="started",
                occurred_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
                body={
                    "operations": [
                        {"operation": "cut_fabric", "machine": "FCUT-01", "state": "started"}
                    ]
                },
            )
        )
    html = shop.test_client().get("/u/U0000101ABCDEF").get_data(as_text=True)
    assert "2026.1" in html and "Tech fabric" in html
    assert "CH-GLUE-CONTACT" in html and "Cut fabric cover panels" in html and "FCUT-01" in html
    tracking = shop.test_client().get(f"/track/{token_of(shop)}").get_data(as_text=True)
    assert "/u/U0000101ABCDEF" in tracking and "started" in tracking


def test_the_traveler_pdf_lists_operations_cut_list_and_bom(
    shop: Flask, released: int, planner: FlaskClient, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    response = planner.get(f"/planning/work-orders/{released}/traveler.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    assert "Traveler WO-" in text and "Cut list" in text and "PLY-15" in text
    assert "cut_fabric" in text and "CH-GLUE-CONTACT" in text


def test_the_day_gantt_pdf_shows_the_schedule(
    shop: Flask, released: int, planner: FlaskClient, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    with shop.extensions["c2m.sessions"]() as session:
        day = session.scalars(select(PlanRun)).one().origin
    response = planner.get(f"/planning/gantt.pdf?day={day:%Y-%m-%d}")
    assert response.status_code == 200
    assert f"Schedule {day:%Y-%m-%d}" in pdf_text(response.data, tmp_path)
