"""The home page's "from" price is the exact lowest price of a valid complete product.

Not the base price (the sofa's ¥1999 buys no sofa: the cheapest valid one is ¥4,166.20), but
the low end of the price range the configurator itself gives for no choices at all, and a
complete product at that price can be configured and ordered.
"""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from c2m import catalogue, products
from c2m.web import shop as shop_views
from configurator.pricing import PriceSearch
from tests.flow.conftest import SAMPLES
from tests.web.conftest import click, panel_state

SAMPLE_MODELS = sorted(path.parent.name for path in SAMPLES.glob("*/model.yaml"))


def from_prices(client: FlaskClient, lang: str = "en") -> dict[str, str]:
    """Each product card's "from" text on the home page, by model."""
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    cards = re.findall(r'<li class="product-card" data-model="([a-z_0-9]+)">(.*?)</li>', page, re.S)
    found = {}
    for model, card in cards:
        price = re.search(r'<p class="price"[^>]*>(.*?)</p>', card, re.S)
        assert price, f"{model}: no from price on its card"
        found[model] = html_lib.unescape(price.group(1)).strip()
    return found


def empty_configuration(client: FlaskClient, model: str) -> dict:  # type: ignore[type-arg]
    answer = client.post("/api/v1/configurations", json={"model": model, "choices": {}})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def test_every_card_shows_the_exact_minimum_the_configurator_api_gives(shop: Flask) -> None:
    client = shop.test_client()
    shown = from_prices(client)
    assert sorted(shown) == SAMPLE_MODELS
    for model in SAMPLE_MODELS:
        answer = empty_configuration(client, model)
        assert answer["price_range"]["exact"] is True, model
        low = Decimal(answer["price_range"]["low"])
        assert shown[model] == f"from CN¥{low:,.2f}", model
        if answer["completions"] is None or int(answer["completions"]) == 0:
            continue
        # That price is real: "Cheapest" on the panel completes a product at exactly it,
        # and the API (which recomputes everything) confirms it is complete and costs that.
        cheap = click(client, model, {}, action="cheapest").get_data(as_text=True)
        choices = panel_state(cheap)["choices"]
        priced = client.post("/api/v1/configurations", json={"model": model, "choices": choices})
        body = priced.get_json()
        assert body["complete"] and body["consistent"], (model, choices)
        assert Decimal(body["price"]["total"]) == low, (model, body["price"])


def test_the_issue_s_figures_sofa_and_washer(shop: Flask) -> None:
    shown = from_prices(shop.test_client())
    assert shown["sofa"] == "from CN¥4,166.20" and shown["washer"] == "from CN¥719.00"


def test_chinese_puts_the_price_before_qi(shop: Flask) -> None:
    assert from_prices(shop.test_client(), "zh")["sofa"] == "¥4,166.20 起"


def test_the_minimum_is_searched_once_per_product_version(
    shop: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = shop.test_client()
    before = from_prices(client)

    def no_search(self: PriceSearch, choices: object) -> None:
        raise AssertionError("the from price was searched again")

    monkeypatch.setattr(PriceSearch, "price_range", no_search)
    assert from_prices(client) == before  # served from the cache
    with shop.app_context(), shop.extensions["c2m.sessions"]() as session:
        record = next(r for r in catalogue.latest_products(session) if r.model == "sofa")
        configurator = products.configurator_for(record)
    # Another version (other content) of the same model is a search of its own.
    with pytest.raises(AssertionError, match="searched again"):
        shop_views.from_price(configurator, "the content hash of an edited sofa")
