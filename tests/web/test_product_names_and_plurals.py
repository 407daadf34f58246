"""Pages and PDFs call a product by its name ("Modular sofa", 模块化沙发), not "model sofa ·
version 2026.1", and counted things agree with their count in English and 中文: "1 piece",
"2 pieces", "1 complete product" (never "1 pcs", "1 complete products")."""

from __future__ import annotations

import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from c2m.models import Order
from c2m.web.i18n import number, plural, quantity, unit_label
from configurator.loading import load_model
from tests.flow.conftest import SAMPLES
from tests.web.conftest import click, named_configuration

# A number followed by the abbreviation the pages used to print whatever the count.
RAW_PCS = re.compile(r"\d\s*pcs\b")


def pdf_text(pdf: bytes, tmp_path: Path) -> tuple[str, str]:
    """(the text, the document title) of a PDF."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    info = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, check=True, text=True
    ).stdout
    title = re.search(r"^Title:\s*(.*)$", info, re.M)
    return text, title.group(1).strip() if title else ""


def test_the_catalogue_and_configurator_name_the_product(shop: Flask) -> None:
    client = shop.test_client()
    home = client.get("/?lang=en").get_data(as_text=True)
    for model_file in sorted(SAMPLES.glob("*/model.yaml")):
        name = load_model(model_file).label
        assert f"<h2>{name.en}</h2>" in home
        assert f"<h2>{name.zh}</h2>" in client.get("/?lang=zh").get_data(as_text=True)
    assert "model sofa" not in home and "version 2026.1" not in home
    page = client.get("/configure/sofa?lang=en").get_data(as_text=True)
    assert "<h1>Modular sofa</h1>" in page and "<title>Modular sofa · c2m</title>" in page
    assert "model sofa" not in page  # the version it serves stays, on its own line
    assert '<p class="version">version 2026.1</p>' in page
    zh = client.get("/configure/sofa?lang=zh").get_data(as_text=True)
    assert "<h1>模块化沙发</h1>" in zh and "型号" not in zh and "版本 2026.1" in zh
    assert "型号" not in client.get("/?lang=zh").get_data(as_text=True)


def test_the_checkout_names_the_product_and_counts_its_modules(shop: Flask) -> None:
    client = shop.test_client()
    choices = named_configuration("sofa", "family_corner_leather")  # one 800 mm seat
    html = client.get(
        "/checkout/sofa", query_string={"choices": json.dumps(choices), "lang": "en"}
    ).get_data(as_text=True)
    assert "<title>Checkout · Modular sofa · c2m</title>" in html
    assert "<dt>Standard seat modules (800 mm)</dt><dd>1 piece</dd>" in html
    assert "<dt>Wide seat modules (1000 mm)</dt><dd>2 pieces</dd>" in html
    assert not RAW_PCS.search(html)
    zh = client.get("/checkout/sofa", query_string={"choices": json.dumps(choices), "lang": "zh"})
    assert "<dt>标准座位模块（800毫米）</dt><dd>1 个</dd>" in zh.get_data(as_text=True)


def test_one_complete_product_left_is_said_in_the_singular(shop: Flask) -> None:
    client = shop.test_client()
    choices = named_configuration("sofa", "compact_grey")
    del choices["total_width"]  # the modules fix it: exactly one completion is left
    answer = client.post("/api/v1/configurations", json={"model": "sofa", "choices": choices})
    assert answer.get_json()["completions"] == "1"
    html = click(client, "sofa", {"choices": choices}).get_data(as_text=True)
    assert "1 complete product still possible" in html
    assert "complete products" not in html
    client.get("/?lang=zh")
    zh = click(client, "sofa", {"choices": choices}).get_data(as_text=True)
    assert "仍有 1 种完整配置可选" in zh


def test_many_completions_are_plural_with_grouped_thousands(shop: Flask) -> None:
    client = shop.test_client()
    count = int(
        client.post("/api/v1/configurations", json={"model": "sofa", "choices": {}}).get_json()[
            "completions"
        ]
    )
    assert count > 1000
    html = client.get("/configure/sofa?lang=en").get_data(as_text=True)
    assert f"{count:,} complete products still possible" in html


def test_counted_options_agree_with_their_count(shop: Flask) -> None:
    client = shop.test_client()
    html = client.get("/configure/sofa?lang=en").get_data(as_text=True)
    seats = re.search(r'data-feature="seats_800".*?</fieldset>', html, re.S)
    assert seats
    labels = re.findall(r'data-value="(\d+)"[^>]*>([^<]+)<', seats.group(0))
    assert ("1", "1 piece") in labels and ("2", "2 pieces") in labels
    assert ("0", "0 pieces") in labels
    assert not RAW_PCS.search(html)
    zh = client.get("/configure/sofa?lang=zh").get_data(as_text=True)
    seats_zh = re.search(r'data-feature="seats_800".*?</fieldset>', zh, re.S)
    assert seats_zh and re.search(r'data-value="1"[^>]*>1 个<', seats_zh.group(0))
    assert not RAW_PCS.search(zh)


@pytest.fixture()
def corner_order(shop: Flask, customer: dict[str, str]) -> str:
    """The tracking token of an order of the corner sofa (one 800 mm seat, two wide ones)."""
    response = shop.test_client().post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "family_corner_leather"),
            "customer": customer,
        },
        headers={"Idempotency-Key": "names-and-plurals-0001"},
    )
    assert response.status_code == 201, response.get_json()
    with shop.extensions["c2m.sessions"]() as session:
        return session.scalars(select(Order.tracking_token)).one()


def test_the_confirmation_pdf_names_the_product_in_its_heading_and_title(
    shop: Flask, corner_order: str, tmp_path: Path
) -> None:
    client: FlaskClient = shop.test_client()
    text, title = pdf_text(client.get(f"/track/{corner_order}/confirmation.pdf?lang=en").data,
                           tmp_path)
    assert "Modular sofa" in text and "model sofa" not in text and "version" not in text
    assert title.startswith("Order confirmation C2M-") and title.endswith("· Modular sofa")
    assert re.search(r"Standard seat modules \(800 mm\)\s+1 piece\n", text)
    assert re.search(r"Wide seat modules \(1000 mm\)\s+2 pieces\n", text)
    assert not RAW_PCS.search(text) and "None" not in text
    zh, zh_title = pdf_text(client.get(f"/track/{corner_order}/confirmation.pdf?lang=zh").data,
                            tmp_path)
    assert "模块化沙发" in zh and "型号" not in zh and zh_title.endswith("· 模块化沙发")
    assert re.search(r"标准座位模块（800毫米）\s+1\s*个\n", zh)


def test_the_message_helpers_in_both_languages() -> None:
    assert plural("completions", 1, "en") == "1 complete product still possible"
    assert plural("completions", 0, "en") == "0 complete products still possible"
    assert plural("completions", 12345, "en") == "12,345 complete products still possible"
    assert plural("completions", 1, "zh") == "仍有 1 种完整配置可选"
    assert plural("other_values_unavailable", 1, "en") == "1 other value is unavailable"
    assert quantity(1, "pcs", "en") == "1 piece" and quantity(3, "pcs", "en") == "3 pieces"
    assert quantity(Decimal("1.0000"), "pcs", "en") == "1 piece"
    assert quantity(2, "pcs", "zh") == "2 个" and quantity(1900, "mm", "en") == "1900 mm"
    assert unit_label("pcs", "6.0000", "en") == "pieces" and unit_label("kg", "1", "en") == "kg"
    assert [number(v) for v in ("770.0", 770.0, "0.2400", Decimal("15"), 8, None, "x")] == [
        "770", "770", "0.24", "15", "8", "", "x"
    ]  # fmt: skip

