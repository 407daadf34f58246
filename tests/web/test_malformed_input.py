"""Malformed input over HTTP gets a clear 4xx that says what is wrong and where (the field),
never a 500, and nothing of it is stored: wrong JSON types, oversized and control-laden
customer fields, bodies nested or sized beyond reason, ids beyond 64 bits, far-off days."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from c2m.models import Order
from tests.web.conftest import named_configuration, token

HUGE_ID = "99999999999999999999"


def order_request(customer: Any, **changes: Any) -> dict[str, Any]:
    return {
        "model": "sofa",
        "choices": named_configuration("sofa", "compact_grey"),
        "customer": customer,
        **changes,
    }


def post_order(client: FlaskClient, body: Any) -> Any:
    return client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "bad-input-01"})


def no_orders(app: Flask) -> bool:
    with app.extensions["c2m.sessions"]() as session:
        return session.scalars(select(Order)).all() == []


@pytest.mark.parametrize("customer", ["李雷", ["李雷", "lilei@example.com"], 7])
def test_an_order_whose_customer_is_not_an_object_is_refused_naming_customer(
    shop: Flask, customer: Any
) -> None:
    answer = post_order(shop.test_client(), order_request(customer))
    assert answer.status_code == 422 and answer.get_json()["where"] == "customer"
    assert no_orders(shop)


@pytest.mark.parametrize("choices", [["cover", "leather"], "cover=leather"])
def test_an_order_whose_choices_are_not_an_object_is_refused_naming_choices(
    shop: Flask, customer: dict[str, str], choices: Any
) -> None:
    answer = post_order(shop.test_client(), order_request(customer, choices=choices))
    assert answer.status_code == 422 and answer.get_json()["where"] == "choices"
    assert no_orders(shop)


def test_a_configuration_request_whose_choices_are_a_list_is_refused_naming_choices(
    shop: Flask,
) -> None:
    answer = shop.test_client().post(
        "/api/v1/configurations", json={"model": "sofa", "choices": ["cover"]}
    )
    assert answer.status_code == 422 and answer.get_json()["where"] == "choices"


@pytest.mark.parametrize(
    "field,value",
    [
        ("address", "广东省佛山市顺德区" * 1000),
        ("language", "x" * 10_000),
        ("language", "en\nzh"),
        ("name", "李" * 201),
        ("name", ["李雷"]),
        ("phone", 8613800000000),
        ("name", "Li Lei\u202egnp.exe"),
        ("name", "Li\u2066 Lei"),
        ("name", "Li\x00Lei"),
        ("name", "Li\nLei"),
        ("address", "广东省佛山市顺德区大良街道\x1b[2J 88 号"),
    ],
)
def test_an_order_with_an_oversized_mistyped_or_control_laden_field_is_refused_naming_it(
    shop: Flask, customer: dict[str, str], field: str, value: Any
) -> None:
    answer = post_order(shop.test_client(), order_request({**customer, field: value}))
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["where"] == field and field in answer.get_json()["fields"]
    assert no_orders(shop)


def test_an_address_over_several_lines_with_a_tab_is_accepted(
    shop: Flask, customer: dict[str, str]
) -> None:
    address = "广东省佛山市顺德区\r\n大良街道\t88 号"
    answer = post_order(shop.test_client(), order_request({**customer, "address": address}))
    assert answer.status_code == 201, answer.get_json()


def test_a_five_megabyte_order_is_refused_as_too_large_and_nothing_is_stored(
    shop: Flask, customer: dict[str, str]
) -> None:
    body = order_request({**customer, "address": "a" * 5_000_000})
    answer = post_order(shop.test_client(), body)
    assert answer.status_code == 413
    assert no_orders(shop)


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/configurations"])
def test_a_json_body_nested_100000_deep_is_a_400_saying_so(shop: Flask, path: str) -> None:
    body = '{"model": ' + "[" * 100_000 + "]" * 100_000 + "}"
    answer = shop.test_client().post(
        path,
        data=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": "deep-0001"},
    )
    assert answer.status_code == 400
    assert "nested too deeply" in answer.get_json()["detail"]
    assert no_orders(shop)


def test_the_checkout_form_refuses_a_control_character_in_the_name_marking_the_field(
    shop: Flask, customer: dict[str, str]
) -> None:
    client = shop.test_client()
    choices = json.dumps(named_configuration("sofa", "compact_grey"))
    page = client.get("/checkout/sofa", query_string={"choices": choices})
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.get_data(as_text=True))
    assert key
    form = {**customer, "name": "Li\u202eLei", "choices": choices}
    answer = client.post(
        "/checkout/sofa",
        data={**form, "idempotency_key": key.group(1), "csrf_token": token(client)},
    )
    assert "U+202E" in answer.get_data(as_text=True)  # the form, with the name marked
    assert answer.status_code == 422
    assert no_orders(shop)


def id_routes(app: Flask, id_text: str = HUGE_ID) -> list[tuple[str, str]]:
    """(method, path) of every route with an integer id in it, the id set to `id_text`."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        path = re.sub(r"<[^>]+>", id_text, rule.rule)
        routes.append(("POST" if "POST" in (rule.methods or ()) else "GET", path))
    return routes


# Beyond 64 bits, and just beyond PostgreSQL's 4-byte INTEGER ids (which SQLite would store).
@pytest.mark.parametrize("id_text", [HUGE_ID, str(2**31)])
def test_an_id_no_row_can_have_is_404_on_every_id_route(
    admin: FlaskClient, shop: Flask, id_text: str
) -> None:
    admin.environ_base["HTTP_X_CSRFTOKEN"] = token(admin)
    routes = id_routes(shop, id_text)
    assert len(routes) >= 9, routes
    for method, path in routes:
        answer = admin.open(path, method=method)
        assert answer.status_code == 404, (method, path, answer.status_code)


def test_every_id_route_uses_the_bounded_id_converter(shop: Flask) -> None:
    unbounded = [
        rule.rule
        for rule in shop.url_map.iter_rules()
        for converter in rule._converters.values()
        if isinstance(converter, IntegerConverter) and converter.max is None
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    "path",
    [
        "/planning?day=0001-01-01",
        "/planning?day=9999-12-31",
        "/planning?zoom=week&day=9999-12-31",
        "/planning?day=2026-02-30",
        "/planning/gantt.pdf?day=0001-01-01",
        "/planning/gantt.pdf?day=9999-12-31",
    ],
)
def test_a_day_far_outside_the_planning_window_is_refused_naming_day(
    planner: FlaskClient, path: str
) -> None:
    answer = planner.get(path, headers={"Accept": "application/json"})
    assert answer.status_code == 422, answer.status_code
    assert answer.get_json()["where"] == "day"


@pytest.mark.parametrize("hour", ["abc", "24", "-1", HUGE_ID])
def test_an_hour_that_is_no_hour_of_the_day_is_refused_naming_hour(
    planner: FlaskClient, hour: str
) -> None:
    answer = planner.get(f"/planning/gantt.pdf?hour={hour}", headers={"Accept": "application/json"})
    assert answer.status_code == 422 and answer.get_json()["where"] == "hour"


def test_a_product_upload_larger_than_the_default_body_limit_still_reaches_the_upload(
    admin: FlaskClient,
) -> None:
    """Four files of up to 2,000,000 bytes each fit under the upload's own, larger limit:
    the answer is the upload's own check of the file, not a 413 from the body limit."""
    padding = b"# padding\n" * 190_000  # 1.9 MB per file, 3.8 MB in all
    files = {"model.yaml": padding, "bom.yaml": padding}
    data = {
        "csrf_token": token(admin),
        "files": [(io.BytesIO(body), f"sofa/{name}") for name, body in files.items()],
    }
    answer = admin.post("/admin/products", data=data, content_type="multipart/form-data")
    assert answer.status_code == 422


def test_a_product_upload_beyond_four_full_files_is_refused_as_too_large(
    admin: FlaskClient,
) -> None:
    data = {"csrf_token": token(admin), "files": [(io.BytesIO(b"x" * 11_000_000), "m.yaml")]}
    answer = admin.post("/admin/products", data=data, content_type="multipart/form-data")
    assert answer.status_code == 413
