"""What a customer reads about their order: where it is in words of their own, each shop-floor
report as a sentence in the factory's time, and a unit page that names what was chosen (no
option codes, no Python True/False) with a QR code back to itself."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from c2m.models import MesEvent, Order, Unit
from tests.web.test_tracking_and_documents import place, released, token_of  # noqa: F401

UNIT = "U0000202GHIJKL"
STARTED_AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai


def report_cutting_started(shop: Flask, work_order_id: int) -> None:
    with shop.extensions["c2m.sessions"].begin() as session:
        session.add(Unit(code=UNIT, work_order_id=work_order_id, serial=1))
        session.add(MesEvent(
            id="evt-cut", work_order_id=work_order_id, sequence=2, kind="started",
            occurred_at=STARTED_AT,
            body={"kind": "started", "operations": [
                {"operation": "cut_fabric", "machine": "FCUT-01", "state": "started"}]},
        ))


def test_the_unit_page_names_every_choice_and_links_its_qr_code_to_itself(
    shop: Flask, released: int,  # noqa: F811
) -> None:
    report_cutting_started(shop, released)
    html = shop.test_client().get(f"/u/{UNIT}?lang=en").get_data(as_text=True)
    assert "Tech fabric (polyester microfibre)" in html and "Cover material" in html
    assert ">tech_fabric<" not in html and ">True<" not in html and ">False<" not in html
    assert "<dd>no</dd>" in html  # the recliner, as a yes/no
    qr = html.split('class="unit-qr"><img src="data:image/svg+xml;base64,', 1)[1].split('"')[0]
    assert base64.b64decode(qr).startswith(b"<?xml") or b"<svg" in base64.b64decode(qr)


def test_a_shop_floor_report_reads_as_a_sentence_in_factory_time(
    shop: Flask, released: int,  # noqa: F811
) -> None:
    report_cutting_started(shop, released)
    unit = shop.test_client().get(f"/u/{UNIT}?lang=en").get_data(as_text=True)
    assert "Jan 5, 2026, 4:00\u202fPM CST</time> Cut fabric cover panels started on FCUT-01" in unit
    tracking = shop.test_client().get(f"/track/{token_of(shop)}?lang=en").get_data(as_text=True)
    assert "Cut fabric cover panels started on FCUT-01" in tracking
    assert "cut_fabric" not in tracking


def test_the_same_report_in_chinese(shop: Flask, released: int) -> None:  # noqa: F811
    report_cutting_started(shop, released)
    unit = shop.test_client().get(f"/u/{UNIT}?lang=zh").get_data(as_text=True)
    assert "布艺面料裁剪已开始（FCUT-01）" in unit and "科技布" in unit and "<dd>否</dd>" in unit


def test_the_tracking_page_says_where_the_order_is_not_the_plants_internal_stage(
    shop: Flask, customer,  # type: ignore[no-untyped-def]
) -> None:
    place(shop.test_client(), customer)
    with shop.extensions["c2m.sessions"]() as session:
        token, status = session.execute(select(Order.tracking_token, Order.status)).one()
    assert status.value == "engineered"
    english = shop.test_client().get(f"/track/{token}?lang=en").get_data(as_text=True)
    assert ">Being prepared</span>" in english and ">engineered<" not in english
    chinese = shop.test_client().get(f"/track/{token}?lang=zh").get_data(as_text=True)
    assert ">准备中</span>" in chinese
