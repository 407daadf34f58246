"""The OpenAPI document covers every API route, and what the pull feed hands out matches it."""

from __future__ import annotations

import re

import jsonschema
import pytest
from flask import Flask
from sqlalchemy import select

from c2m import auth
from c2m.db import unit_of_work
from c2m.models import WorkOrder
from mes_bridge.lifecycle import WorkOrderState

pytestmark = pytest.mark.usefixtures("no_background_worker")


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_every_api_route_is_in_the_openapi_document(app: Flask) -> None:
    documented = app.test_client().get("/api/openapi.json").get_json()["paths"]
    routes = {
        openapi_path(rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json"
    }
    missing = {route for route in routes if route not in documented}
    assert not missing, sorted(missing)


def pull_client(app: Flask, scopes: tuple[str, ...] = ("pull",)):  # type: ignore[no-untyped-def]
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        token = auth.issue_client_token(session, "line-1-mes", scopes)
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def test_a_pull_client_reads_released_work_orders_that_match_the_schema_and_acks_them(
    app: Flask,
    release_orders,  # type: ignore[no-untyped-def]
) -> None:
    release_orders(2)
    client, headers = pull_client(app)
    page = client.get("/api/mes/v1/work-orders?after=0", headers=headers).get_json()
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert len(page["work_orders"]) == 2
    for item in page["work_orders"]:
        jsonschema.validate(item["work_order"], schema["WorkOrderMessage"])
    empty = client.get(f"/api/mes/v1/work-orders?after={page['cursor']}", headers=headers)
    assert empty.get_json()["work_orders"] == []
    with app.extensions["c2m.sessions"]() as session:
        number = session.scalars(select(WorkOrder.number).order_by(WorkOrder.id)).first()
    assert client.post(f"/api/mes/v1/work-orders/{number}/ack", headers=headers).status_code == 200
    with app.extensions["c2m.sessions"]() as session:
        acked = session.scalars(select(WorkOrder).filter_by(number=number)).one()
        assert acked.state is WorkOrderState.ACCEPTED


def test_a_token_without_the_pull_scope_or_revoked_is_refused(app: Flask) -> None:
    client, headers = pull_client(app, ("events",))
    assert client.get("/api/mes/v1/work-orders", headers=headers).status_code == 403
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        auth.revoke_client(session, "line-1-mes")
    assert client.get("/api/mes/v1/work-orders", headers=headers).status_code == 401
