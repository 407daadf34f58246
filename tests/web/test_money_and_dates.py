"""Prices, days and moments in one format per language, through Babel (issue #15): no
"¥8945.08" next to "¥8,945.08", on the pages and in the confirmation PDF."""

from __future__ import annotations

import html as markup
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from c2m.models import Order
from c2m.web import formatting
from tests.web.conftest import named_configuration
from tests.web.test_tracking_and_documents import pdf_text, place, token_of

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A currency symbol (CN¥, ¥, €, US$, $) and the figure after it, as the pages show prices.
PRICE = re.compile(r"(?:[A-Z]{2})?[¥€$]\s?[\d,.]+\d")
UNGROUPED = re.compile(r"[¥€$]\s?\d{4,}")
# The one format of each language: CLDR's en_US and zh_CN with two decimals.
FORMAT = {
    "en": re.compile(r"CN¥\d{1,3}(?:,\d{3})*\.\d{2}"),
    "zh": re.compile(r"¥\d{1,3}(?:,\d{3})*\.\d{2}"),
}


def test_a_renminbi_price_reads_cn_yen_in_english_and_yen_in_chinese() -> None:
    assert formatting.money(Decimal("8945.08"), "CNY", "en") == "CN¥8,945.08"
    assert formatting.money(Decimal("8945.08"), "CNY", "zh") == "¥8,945.08"


def test_a_price_without_a_currency_is_in_the_catalogues_renminbi() -> None:
    assert formatting.money(Decimal("1999"), None, "en") == "CN¥1,999.00"
    assert formatting.money("1999", None, "zh") == "¥1,999.00"


def test_a_euro_price_keeps_its_own_symbol_in_both_languages() -> None:
    assert formatting.money(Decimal("1234567.5"), "EUR", "en") == "€1,234,567.50"
    assert formatting.money(Decimal("1234567.5"), "eur", "zh") == "€1,234,567.50"


def test_half_a_fen_rounds_up_as_an_invoice_does_not_to_even() -> None:
    assert formatting.money(Decimal("0.125"), "CNY", "en") == "CN¥0.13"
    assert formatting.money(Decimal("8945.085"), "CNY", "zh") == "¥8,945.09"
    assert formatting.money(Decimal("-3.505"), "CNY", "zh") == "-¥3.51"


def test_a_float_is_taken_by_its_shortest_text_not_its_binary_fraction() -> None:
    assert formatting.exact(2.675) == Decimal("2.675")  # as a binary float it is 2.67499…
    assert formatting.money(2.675, "CNY", "en") == "CN¥2.68"


def test_a_currency_without_minor_units_shows_none() -> None:
    assert formatting.money(Decimal("1234.5"), "JPY", "en") == "¥1,235"


def test_a_day_is_the_factorys_calendar_day_in_the_readers_language() -> None:
    late_evening_utc = datetime(2026, 12, 10, 20, 0, tzinfo=UTC)  # already the 11th in Shanghai
    assert formatting.day(late_evening_utc, "en", SHANGHAI) == "Dec 11, 2026"
    assert formatting.day(late_evening_utc, "zh", SHANGHAI) == "2026年12月11日"
    naive_utc = datetime(2026, 12, 10, 20, 0)  # as the database gives it back
    assert formatting.day(naive_utc, "en", SHANGHAI) == "Dec 11, 2026"


def test_a_moment_is_factory_time_to_the_minute_with_its_zone() -> None:
    moment = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    # CLDR (and so Babel) puts a narrow no-break space before "PM".
    assert formatting.when(moment, "en", SHANGHAI) == "Jan 5, 2026, 4:00\u202fPM CST"
    assert formatting.when(moment, "zh", SHANGHAI) == "2026年1月5日 16:00 CST"


def visible_text(page: str) -> str:
    """The page as its reader sees it: without tags and attributes (data-total="8945.08")."""
    return markup.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_one_format(text: str, lang: str, where: str) -> None:
    prices = PRICE.findall(text)
    assert prices, f"{where} ({lang}) shows no price"
    assert UNGROUPED.findall(text) == [], f"{where} ({lang}) has an ungrouped price"
    odd = [p for p in prices if not FORMAT[lang].fullmatch(p)]
    assert odd == [], f"{where} ({lang}) shows prices in another format"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_configure_checkout_and_tracking_show_every_price_in_one_format(
    shop: Flask, customer, lang: str  # type: ignore[no-untyped-def]
) -> None:
    client = shop.test_client()
    choices = json.dumps(named_configuration("sofa", "compact_grey"))
    pages = {
        "configure": client.get(f"/configure/sofa?lang={lang}"),
        "checkout": client.get("/checkout/sofa", query_string={"choices": choices, "lang": lang}),
    }
    place(client, customer)
    pages["tracking"] = client.get(f"/track/{token_of(shop)}?lang={lang}")
    for where, response in pages.items():
        assert response.status_code == 200, where
        assert_one_format(visible_text(response.get_data(as_text=True)), lang, where)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_confirmation_pdf_prices_read_as_the_pages_do(
    shop: Flask, customer, tmp_path: Path, lang: str  # type: ignore[no-untyped-def]
) -> None:
    place(shop.test_client(), customer)
    with shop.extensions["c2m.sessions"]() as session:
        order = session.scalars(select(Order)).one()
        total = formatting.money(Decimal(order.total_price), order.currency, lang)
    response = shop.test_client().get(f"/track/{token_of(shop)}/confirmation.pdf?lang={lang}")
    text = pdf_text(response.data, tmp_path)
    assert_one_format(text, lang, "confirmation PDF")
    assert total in text
