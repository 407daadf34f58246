"""Consumer pages through the Flask test client: catalogue, configurator clicks, checkout."""

from __future__ import annotations

import json
import re
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from c2m.models import Order, PlanRun
from c2m.web import formatting
from tests.web.conftest import click, csrf_of, named_configuration, panel_state

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the test factory's zone


def test_the_catalogue_shows_each_product_with_a_picture(shop: Flask) -> None:
    html = shop.test_client().get("/").get_data(as_text=True)
    assert 'data-model="sofa"' in html
    assert "<svg" in html and 'href="/configure/sofa"' in html


def test_the_catalogue_speaks_chinese_when_asked_and_remembers_it(shop: Flask) -> None:
    client = shop.test_client()
    assert "定制您的产品" in client.get("/?lang=zh").get_data(as_text=True)
    assert "模块化沙发" in client.get("/").get_data(as_text=True)
    assert "Configure your product" in client.get("/?lang=en").get_data(as_text=True)


def test_the_configurator_page_lists_every_feature_with_a_price_and_preview(shop: Flask) -> None:
    html = shop.test_client().get("/configure/sofa").get_data(as_text=True)
    for feature in ("layout", "cover", "colour", "legs", "total_width"):
        assert f'data-feature="{feature}"' in html
    assert 'class="total"' in html and "<svg" in html
    assert "complete products still possible" in html


def test_an_unknown_product_is_a_404_page(shop: Flask) -> None:
    response = shop.test_client().get("/configure/spaceship")
    assert response.status_code == 404
    assert "spaceship" in response.get_data(as_text=True)


def test_a_choice_greys_out_options_with_the_reason_and_a_repair(shop: Flask) -> None:
    client = shop.test_client()
    response = click(client, "sofa", {}, pick=json.dumps(["cover", "top_grain_leather"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<form id="panel"')
    beige = re.search(r'class="option unavailable" data-value="beige".*?</div>', html, re.S)
    assert beige, "beige should be greyed out once leather is chosen"
    assert "not made in the chosen cover material" in beige.group(0)
    assert (
        "change Cover material to Tech fabric (polyester microfibre) to allow this"
        in beige.group(0)
    )
    assert 'name="repair"' in beige.group(0)


def test_repair_switches_the_blocking_choice_and_takes_the_wanted_option(shop: Flask) -> None:
    client = shop.test_client()
    state = panel_state(
        click(client, "sofa", {}, pick=json.dumps(["cover", "top_grain_leather"])).get_data(
            as_text=True
        )
    )
    repair = json.dumps([["cover", "tech_fabric"], ["colour", "beige"]])
    after = panel_state(click(client, "sofa", state, repair=repair).get_data(as_text=True))
    assert after["choices"] == {"cover": "tech_fabric", "colour": "beige"}


def test_undo_goes_back_one_click(shop: Flask) -> None:
    client = shop.test_client()
    first = panel_state(
        click(client, "sofa", {}, pick=json.dumps(["legs", "walnut"])).get_data(as_text=True)
    )
    second = panel_state(
        click(client, "sofa", first, pick=json.dumps(["arms", "slim"])).get_data(as_text=True)
    )
    assert second["choices"] == {"legs": "walnut", "arms": "slim"}
    back = panel_state(click(client, "sofa", second, action="undo").get_data(as_text=True))
    assert back["choices"] == {"legs": "walnut"} and back["history"] == [{}]


def test_complete_with_defaults_gives_a_complete_orderable_product(shop: Flask) -> None:
    html = click(shop.test_client(), "sofa", {}, action="defaults").get_data(as_text=True)
    assert 'id="order-now"' in html
    assert len(panel_state(html)["choices"]) == 18


def _figure(html: str, name: str) -> float:
    return float(re.search(rf'data-{name}="([0-9.]+)"', html).group(1))  # type: ignore[union-attr]


def test_an_incomplete_product_shows_the_exact_range_of_possible_prices(shop: Flask) -> None:
    html = click(shop.test_client(), "sofa", {}, pick=json.dumps(["cover", "velvet"])).get_data(
        as_text=True
    )
    low, high = _figure(html, "low"), _figure(html, "high")
    assert low <= _figure(html, "total") <= high and low < high


def test_cheapest_reaches_the_lowest_possible_price(shop: Flask) -> None:
    client = shop.test_client()
    start = {"choices": {"cover": "velvet"}, "history": []}
    low = _figure(click(client, "sofa", start, action="undo").get_data(as_text=True), "low")
    cheap = click(client, "sofa", start, action="cheapest").get_data(as_text=True)
    assert _figure(cheap, "total") == low
    assert 'id="order-now"' in cheap


def test_a_select_sets_an_integer_parameter(shop: Flask) -> None:
    state = panel_state(
        click(shop.test_client(), "sofa", {}, **{"set.seat_depth": "1000"}).get_data(as_text=True)
    )
    assert state["choices"] == {"seat_depth": 1000}


def test_retracting_a_choice_frees_the_feature(shop: Flask) -> None:
    client = shop.test_client()
    state = {"choices": {"legs": "walnut"}, "history": []}
    after = panel_state(
        click(client, "sofa", state, pick=json.dumps(["legs", None])).get_data(as_text=True)
    )
    assert after["choices"] == {}


def test_a_forged_choice_is_refused_naming_the_feature(shop: Flask) -> None:
    response = click(shop.test_client(), "sofa", {}, pick=json.dumps(["colour", "gold"]))
    assert response.status_code == 422
    assert "gold" in response.get_data(as_text=True)


def test_broken_form_state_is_refused_clearly(shop: Flask) -> None:
    response = click(shop.test_client(), "sofa", {}, choices="{not json")
    assert response.status_code == 422 and "choices" in response.get_data(as_text=True)


def test_without_javascript_a_click_returns_the_whole_page(shop: Flask) -> None:
    client = shop.test_client()
    token = csrf_of(client.get("/configure/sofa").get_data(as_text=True))
    response = client.post(
        "/configure/sofa",
        data={
            "choices": "{}",
            "history": "[]",
            "csrf_token": token,
            "pick": json.dumps(["legs", "oak"]),
        },
    )
    assert response.status_code == 200 and "<html" in response.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(shop: Flask) -> None:
    response = shop.test_client().post("/configure/sofa", data={"choices": "{}"})
    assert response.status_code == 400


def _checkout_form(client, choices):  # type: ignore[no-untyped-def]
    page = client.get("/checkout/sofa", query_string={"choices": json.dumps(choices)})
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    return html, key


def test_checkout_needs_a_complete_configuration(shop: Flask) -> None:
    response = shop.test_client().get("/checkout/sofa", query_string={"choices": '{"legs": "oak"}'})
    assert response.status_code == 422


def test_checkout_marks_every_wrong_field(shop: Flask) -> None:
    client = shop.test_client()
    choices = named_configuration("sofa", "compact_grey")
    html, key = _checkout_form(client, choices)
    response = client.post(
        "/checkout/sofa",
        data={
            "csrf_token": csrf_of(html),
            "choices": json.dumps(choices),
            "idempotency_key": key,
            "name": "",
            "email": "nope",
            "phone": "x",
            "address": "?",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("name", "email", "phone", "address"):
        assert f'id="e-{field}"' in body and f'for="f-{field}"' in body
    assert key in body  # the same form keeps its idempotency key


def test_placing_twice_from_one_form_makes_one_order_and_one_plan_run(
    shop: Flask, customer
) -> None:  # type: ignore[no-untyped-def]
    client = shop.test_client()
    choices = named_configuration("sofa", "compact_grey")
    html, key = _checkout_form(client, choices)
    data = {
        "csrf_token": csrf_of(html),
        "choices": json.dumps(choices),
        "idempotency_key": key,
        **customer,
    }
    first, second = (
        client.post("/checkout/sofa", data=data),
        client.post("/checkout/sofa", data=data),
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with shop.extensions["c2m.sessions"]() as session:
        order = session.scalars(select(Order)).one()
        assert order.promised_at is not None
        runs = session.scalars(select(PlanRun)).all()
        assert [r.kind for r in runs] == ["insert"]  # queued (a session worker may take it)
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert order.number in page and f"/track/{order.tracking_token}" in page


def test_an_unknown_tracking_link_is_a_404(shop: Flask) -> None:
    assert shop.test_client().get("/track/nope").status_code == 404
    assert shop.test_client().get("/u/U0000").status_code == 404


def test_the_delivery_promise_comes_from_the_planner_and_lies_ahead(shop: Flask) -> None:
    from c2m.models import utc_now
    from c2m.promise import promise_for

    with shop.extensions["c2m.sessions"]() as session:
        promised = promise_for(session, "sofa", named_configuration("sofa", "compact_grey"))
    assert promised.source == "planner" and promised.ready_at > utc_now()
    assert promised.lead_time_days > 0


def test_every_product_in_the_catalogue_can_be_configured_and_completed(shop: Flask) -> None:
    client = shop.test_client()
    models = re.findall(r'data-model="([^"]+)"', client.get("/").get_data(as_text=True))
    assert "sofa" in models
    for model in models:
        page = client.get(f"/configure/{model}")
        assert page.status_code == 200, (model, page.get_data(as_text=True)[-500:])
        done = click(client, model, {}, action="defaults").get_data(as_text=True)
        assert 'id="order-now"' in done, model


def test_checkout_shows_the_delivery_promise_the_order_is_then_given(
    shop: Flask, customer
) -> None:  # type: ignore[no-untyped-def]
    client = shop.test_client()
    choices = named_configuration("sofa", "compact_grey")
    html, key = _checkout_form(client, choices)
    shown = re.search(r'id="delivery-promise">.*?([A-Z][a-z]{2} \d{1,2}, \d{4})', html, re.S)
    assert shown is not None, "no delivery promise on the checkout page"
    data = {"csrf_token": csrf_of(html), "choices": json.dumps(choices), "idempotency_key": key,
            **customer}
    assert client.post("/checkout/sofa", data=data).status_code == 303
    with shop.extensions["c2m.sessions"]() as session:
        promised_at = session.scalars(select(Order.promised_at)).one()
    assert formatting.day(promised_at, "en", SHANGHAI) == shown.group(1)
