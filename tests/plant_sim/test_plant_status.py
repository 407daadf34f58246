"""`GET /api/v1/plant-status`: what the plant simulator samples, for planners only."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.flow.conftest import customer, named_configuration, shop  # noqa: F401
from tests.web.conftest import planner  # noqa: F401

DESK = "office_white_1400"


def test_the_plant_status_is_for_planners_only(shop: Flask) -> None:  # noqa: F811
    response = shop.test_client().get("/api/v1/plant-status")
    assert response.status_code in (401, 403)


def test_an_empty_plant_has_no_schedule_no_orders_and_nothing_in_flight(
    planner: FlaskClient,  # noqa: F811
) -> None:
    status = planner.get("/api/v1/plant-status").get_json()
    assert status["current_schedules"] == 0 and status["current_plan_run"] is None
    assert status["planned_until"] is None
    assert status["orders"] == {} and status["outbox"]["in_flight_overdue"] == 0
    assert status["units"] == {"work_orders": 0, "units": 0, "mismatched": []}


def test_an_order_placed_over_the_api_is_counted_and_detailed(
    shop: Flask,  # noqa: F811
    planner: FlaskClient,  # noqa: F811
    customer: dict[str, str],  # noqa: F811
) -> None:
    first = named_configuration("desk", DESK)
    body = {"model": "desk", "choices": first, "customer": customer}
    consumer = shop.test_client()  # a consumer's order: no session, so no CSRF token either
    placed = consumer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "status-1"})
    assert placed.status_code == 201, placed.get_data(as_text=True)
    status = planner.get("/api/v1/plant-status?detail=orders").get_json()
    assert sum(status["orders"].values()) == 1
    assert sum(status["plan_runs"].values()) == 1
    (order,) = status["order_details"]
    assert order["number"] == placed.get_json()["order"] and order["quantity"] == 1
    assert order["operations"] and order["completed_at"] is None and order["actuals"] == {}
