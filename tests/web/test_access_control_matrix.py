"""Who may call what, for every route of the app: the route table × every kind of caller.

Every rule in `app.url_map` (but static files) needs an entry in RULES below saying who may
call its endpoint; a new route without one fails `test_every_route_has_an_access_rule`, and a
rule whose endpoint is gone fails `test_every_access_rule_names_a_route`.

Each route is then called, through the Flask test client, by each principal:

- anonymous: a browser with no session (but a CSRF token, as any visitor gets one);
- a consumer: the same browser, holding the tracking link of a real order and the code of
  its unit; everyone else addresses those private links with a token that names nothing;
- a planner and an admin: logged in, sending their session's CSRF token;
- an MES pull client and an MES events client: bearer tokens with only that scope; the
  events client also signs its events with the endpoint's Standard Webhooks secret;
- a planner script: a bearer token with the planner scope (auth.role_required takes it).

A principal the rule does not allow must be refused: 401/403, or 404 for a private link
(nothing says whether the link exists); never a 2xx or 3xx, never a 5xx. An allowed principal
is never refused and never gets a 5xx. Every principal sends a valid CSRF token, so a refusal
here is always the access check's, not the CSRF check's (tests/web/test_security.py covers
CSRF); path parameters are the ids of real objects made once for the module.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from c2m import auth, bootstrap, plan_versions, planning
from c2m.app import create_app
from c2m.db import unit_of_work
from c2m.models import (
    MachineDowntime,
    Order,
    OutboxMessage,
    OutboxStatus,
    PlannedOperation,
    PlanRun,
    Unit,
    WorkOrder,
)
from c2m.settings import Settings, load_settings
from mes_bridge import signing
from mes_bridge.lifecycle import EventKind
from mes_bridge.model import Event
from mes_bridge.payloads import event_document
from tests.conftest import api_log_in, empty_database, workers_paused
from tests.flow.conftest import SAMPLES, named_configuration
from tests.web.conftest import finished

HERE = "tests/web/test_access_control_matrix.py"


# --- Who calls -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    key: str
    words: str  # the subject of the test's sentence
    session: str = "visitor"  # whose session cookie rides along: visitor, planner or admin
    bearer: str | None = None  # the scope of the bearer token sent, if any
    holds_private_links: bool = False
    signs_events: bool = False


PRINCIPALS = (
    Principal("anonymous", "anonymous"),
    Principal("consumer", "a consumer with a tracking link", holds_private_links=True),
    Principal("planner", "a planner", session="planner"),
    Principal("admin", "an admin", session="admin"),
    Principal("mes_pull", "an MES pull client", bearer="pull"),
    Principal("mes_events", "an MES events client", bearer="events", signs_events=True),
    Principal("planner_script", "a planner script with a bearer token", bearer="planner"),
)


# --- Who may call what -----------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    name: str
    allowed: frozenset[str]  # principal keys
    refusals: frozenset[int]  # how the others are turned away


REFUSED = frozenset({401, 403})
PUBLIC = Access("PUBLIC", frozenset(p.key for p in PRINCIPALS), REFUSED)
# The consumer's private links: the token (the unit code) is the only key; a wrong one is 404.
TRACKING_TOKEN = Access("TRACKING_TOKEN", frozenset({"consumer"}), REFUSED | {404})
UNIT_CODE = Access("UNIT_CODE", frozenset({"consumer"}), REFUSED | {404})
# A planner's or an admin's session, or a bearer token with the planner scope.
PLANNER = Access("PLANNER", frozenset({"planner", "admin", "planner_script"}), REFUSED)
ADMIN = Access("ADMIN", frozenset({"admin"}), REFUSED)  # admins log in; no token makes one
MES_PULL = Access("MES_PULL", frozenset({"mes_pull"}), REFUSED)
MES_EVENTS = Access("MES_EVENTS", frozenset({"mes_events"}), REFUSED)  # token + signature
ACCESS_KINDS = "PUBLIC, TRACKING_TOKEN, UNIT_CODE, PLANNER, ADMIN, MES_PULL or MES_EVENTS"


@dataclass(frozen=True)
class Rule:
    access: Access
    what: str  # the verb phrase of the test's sentence


RULES: dict[str, Rule] = {
    # consumers' shop
    "shop.catalogue_page": Rule(PUBLIC, "see the catalogue"),
    "shop.configure_page": Rule(PUBLIC, "open the configurator"),
    "shop.configure_click": Rule(PUBLIC, "click in the configurator"),
    "shop.checkout_page": Rule(PUBLIC, "open the checkout"),
    "shop.place_order": Rule(PUBLIC, "check out an order"),
    "api.configuration": Rule(PUBLIC, "configure a product through the API"),
    "api.place_order": Rule(PUBLIC, "place an order through the API"),
    "health.healthz": Rule(PUBLIC, "ask whether the service is healthy"),
    "health.openapi": Rule(PUBLIC, "read the OpenAPI document"),
    # consumers' private links
    "tracking.track_page": Rule(TRACKING_TOKEN, "open an order's tracking page"),
    "tracking.track_status": Rule(TRACKING_TOKEN, "poll an order's tracking status"),
    "tracking.confirmation_pdf": Rule(TRACKING_TOKEN, "download an order confirmation"),
    "cancellation.customer_cancel_form": Rule(TRACKING_TOKEN, "cancel an order from tracking"),
    "cancellation_api.customer_cancel": Rule(TRACKING_TOKEN, "cancel an order by its link"),
    "api.order_status": Rule(TRACKING_TOKEN, "read an order's status through the API"),
    "tracking.unit_page": Rule(UNIT_CODE, "open a unit's traceability record"),
    # logging in and out: anyone may try (the credentials decide)
    "planning.log_in": Rule(PUBLIC, "use the login form"),
    "planning.log_out": Rule(PUBLIC, "log out"),
    "api.log_in": Rule(PUBLIC, "log in through the API"),
    "api.log_out": Rule(PUBLIC, "log out through the API"),
    # planners
    "planning.schedule_page": Rule(PLANNER, "see the schedule"),
    "planning.operation_detail": Rule(PLANNER, "see a planned operation"),
    "planning.request_run": Rule(PLANNER, "request a plan run"),
    "planning.run_status": Rule(PLANNER, "poll a plan run's status"),
    "planning.release_run": Rule(PLANNER, "release a plan run"),
    "cancellation.planner_cancel_form": Rule(PLANNER, "cancel an order as its planner"),
    "cancellation_api.planner_cancel": Rule(PLANNER, "cancel an order through the API"),
    "planning.replay": Rule(PLANNER, "replay a dead letter"),
    "planning.gantt_pdf": Rule(PLANNER, "print the schedule"),
    "planning.traveler_pdf": Rule(PLANNER, "print a work order's traveler"),
    "planning.export": Rule(PLANNER, "export the schedule, work orders, BOM or cut list"),
    "api.order_bom": Rule(PLANNER, "read an order's BOM"),
    "api.order_routing": Rule(PLANNER, "read an order's routing"),
    "api.request_plan_run": Rule(PLANNER, "request a plan run through the API"),
    "api.plan_run": Rule(PLANNER, "read a plan run"),
    "api.release_plan_run": Rule(PLANNER, "release a plan run through the API"),
    "status_api.plant_status": Rule(PLANNER, "read the plant status"),
    # admins
    "admin.admin_page": Rule(ADMIN, "open the admin page"),
    "admin.upload_product": Rule(ADMIN, "upload a product model"),
    "admin.issue_client": Rule(ADMIN, "issue an MES client token"),
    "admin.revoke_client": Rule(ADMIN, "revoke an MES client"),
    "admin.create_user": Rule(ADMIN, "create a user"),
    "admin.add_downtime": Rule(ADMIN, "add machine downtime"),
    "admin.delete_downtime": Rule(ADMIN, "delete machine downtime"),
    # the MES
    "mes_api.events": Rule(MES_EVENTS, "post MES status events"),
    "mes_api.pull": Rule(MES_PULL, "pull work orders"),
    "mes_api.acknowledge": Rule(MES_PULL, "acknowledge a pulled work order"),
}

# Logging out voids every session of the user (c2m.auth.end_session): a planner or an admin
# logging out does so from a login of their own, made for the case, as an account of the same
# role that no other case uses (the sessions the other cases copy stay valid).
SESSION_ENDING = frozenset({"planning.log_out", "api.log_out"})


# --- The route table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    rule: str
    arguments: frozenset[str]


def route_table() -> list[Route]:
    """Every endpoint and method of the app (HEAD and OPTIONS are Flask's, answered like GET
    and by Flask itself), from an app built on a scratch instance folder: only its routes
    are looked at, it never touches a database."""
    with tempfile.TemporaryDirectory(prefix="c2m-routes-") as scratch:
        env = {
            "C2M_INSTANCE_DIR": scratch,
            "C2M_SECRET_KEY": "route-table-only",
            "C2M_MES_SECRET": signing.new_secret(),
        }
        app = create_app(load_settings(env))
        routes = [
            Route(rule.endpoint, method, rule.rule, frozenset(rule.arguments))
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        ]
        app.extensions["c2m.engine"].dispose()
    return sorted(routes, key=lambda r: (r.rule, r.method))


ROUTES = route_table()


@dataclass(frozen=True)
class Case:
    route: Route
    principal: Principal

    @property
    def rule(self) -> Rule:
        return RULES[self.route.endpoint]

    @property
    def allowed(self) -> bool:
        return self.principal.key in self.rule.access.allowed

    @property
    def sentence(self) -> str:
        may = "may" if self.allowed else "may not"
        where = f"{self.route.method} {self.route.rule}"
        return f"{self.principal.words} {may} {self.rule.what} ({where})"


def matrix() -> list[Case]:
    return [Case(r, p) for r in ROUTES if r.endpoint in RULES for p in PRINCIPALS]


# --- The module's world: one app, one order through to a unit --------------------------------


@dataclass(frozen=True)
class Credentials:
    cookie: str  # the session cookie's value
    csrf: str  # that session's CSRF token


@dataclass
class World:
    app: Flask
    settings: Settings
    sessions: dict[str, Credentials]
    tokens: dict[str, str]  # bearer tokens by scope
    values: dict[str, Any]  # path parameters of the real objects, by argument name
    private: dict[str, str]  # the consumer's private keys, by argument name
    machine: str
    counter: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))

    def unknown(self, argument: str) -> str:
        """A private key as long as the real one that names nothing."""
        real = self.private[argument]
        return real[0] + secrets.token_hex(len(real))[: len(real) - 1].upper()


PASSWORD = "correct horse battery"
VISITOR = "matrix-visitor"  # the account the login cases log in with
REVOCABLE = "matrix-revocable"  # the MES client the admin's revoke case revokes
IDEMPOTENCY_KEY = "access-matrix-order-0001"
CUSTOMER = {
    "name": "Zhang Wei",
    "email": "zhang.wei@example.com",
    "phone": "+86 757 2222 4444",
    "address": "Daliang Street 12, Shunde, Foshan",
}




@pytest.fixture(scope="module")
def paused_workers() -> Iterator[None]:
    """A session worker (started by earlier modules) would deliver this module's outbox rows
    and carry out its plan runs meanwhile: it pauses for the module, as no_background_worker
    does for one test."""
    with workers_paused():
        yield


def visitor_credentials(client: FlaskClient, cookie_name: str) -> Credentials:
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    cookie = client.get_cookie(cookie_name)
    assert cookie is not None
    return Credentials(cookie.value, html[start : html.index('"', start)])


def logged_in(client: FlaskClient, username: str, cookie_name: str) -> Credentials:
    answer = api_log_in(client, username, PASSWORD)
    assert answer.status_code == 200, answer.get_json()
    cookie = client.get_cookie(cookie_name)
    assert cookie is not None
    return Credentials(cookie.value, answer.get_json()["csrf_token"])


def signed_event(settings: Settings, event: Event) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event_document(event)).encode()
    headers = signing.sign_headers(settings.mes_secret, event.event_id, body)
    return body, {**headers, "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def world(
    settings: Settings,
    migrated_database: str,
    service_env: dict[str, str],
    paused_workers: None,
) -> World:
    """An order placed, planned, released to the MES and completed there (so it has a work
    order, a unit, a dead letter), a downtime, users and MES clients: once for the module."""
    empty_database(migrated_database, service_env)
    app = create_app(settings)
    bootstrap.load_catalogue(settings.with_changes(products_dir=SAMPLES))
    sessions = app.extensions["c2m.sessions"]
    tokens = {}
    with unit_of_work(sessions) as db:
        for role in ("planner", "admin"):
            auth.create_user(db, f"matrix-{role}", PASSWORD, role)
            auth.create_user(db, f"matrix-{role}-leaving", PASSWORD, role)  # SESSION_ENDING
        auth.create_user(db, VISITOR, PASSWORD, "planner")
        for scope in auth.SCOPES:
            tokens[scope] = auth.issue_client_token(db, f"matrix-{scope}", (scope,))
        auth.issue_client_token(db, REVOCABLE, ("pull",))

    anonymous = app.test_client()
    placed = anonymous.post(
        "/api/v1/orders",
        json={
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": CUSTOMER,
        },
        headers={"Idempotency-Key": IDEMPOTENCY_KEY},
    )
    assert placed.status_code == 201, placed.get_json()
    run_id = placed.get_json()["plan_run"]
    planning.carry_out(sessions, SAMPLES, run_id)
    finished(sessions, run_id)
    script = {"Authorization": f"Bearer {tokens['planner']}"}
    released = anonymous.post(f"/api/v1/plan-runs/{run_id}/release", headers=script)
    assert released.status_code == 200, released.get_json()
    work_order_id = released.get_json()["work_orders"][0]
    with sessions() as db:
        number = db.get_one(WorkOrder, work_order_id).number
    completed = Event(
        "matrix-setup-completed", number, 1, EventKind.COMPLETED, datetime.now(UTC), Decimal(1)
    )
    body, signature = signed_event(settings, completed)
    events = {**signature, "Authorization": f"Bearer {tokens['events']}"}
    answer = anonymous.post("/api/mes/v1/events", data=body, headers=events)
    assert answer.status_code == 200, answer.get_json()

    machine = next(iter(planning.factory_of(SAMPLES).machines))
    with unit_of_work(sessions) as db:
        order = db.scalars(select(Order)).one()
        unit = db.scalars(select(Unit).filter_by(work_order_id=work_order_id)).first()
        assert unit is not None, "the completed work order made no unit"
        dead = db.scalars(select(OutboxMessage).filter_by(work_order_id=work_order_id)).first()
        assert dead is not None and dead.body, "the release wrote no outbox row"
        dead.status = OutboxStatus.DEAD
        in_run = plan_versions.rows_of(db.get_one(PlanRun, run_id))
        operation = db.scalars(select(PlannedOperation).where(in_run)).first()
        assert operation is not None
        start = datetime.now(UTC) + timedelta(days=30)
        downtime = MachineDowntime(
            machine=machine, start=start, end=start + timedelta(hours=2), reason="matrix"
        )
        db.add(downtime)
        db.flush()
        values = {
            "order_id": order.id,
            "run_id": run_id,
            "work_order_id": work_order_id,
            "number": number,
            "op_id": operation.id,
            "message_id": dead.id,
            "downtime_id": downtime.id,
            "name": REVOCABLE,
            "model": "sofa",
            "kind": "schedule",
            "fmt": "csv",
        }
        private = {"token": order.tracking_token, "code": unit.code}

    cookie_name = app.config["SESSION_COOKIE_NAME"]
    credentials = {
        "visitor": visitor_credentials(app.test_client(), cookie_name),
        "planner": logged_in(app.test_client(), "matrix-planner", cookie_name),
        "admin": logged_in(app.test_client(), "matrix-admin", cookie_name),
    }
    return World(app, settings, credentials, tokens, values, private, machine)


# --- One request per route: what a real caller sends ------------------------------------------

Body = Callable[[World, Principal], dict[str, Any]]


def _checkout_form(world: World, principal: Principal) -> dict[str, Any]:
    choices = json.dumps(named_configuration("sofa", "compact_grey"))
    return {"data": {"choices": choices, "idempotency_key": IDEMPOTENCY_KEY, **CUSTOMER}}


def _event(world: World, principal: Principal) -> dict[str, Any]:
    """A real event for the real work order; only the events client can sign it."""
    event = Event(
        f"matrix-{principal.key}-{next(world.counter)}",
        str(world.values["number"]),
        2,
        EventKind.PROGRESS,
        datetime.now(UTC),
    )
    body, headers = signed_event(world.settings, event)
    if not principal.signs_events:
        headers = {"Content-Type": "application/json"}
    return {"data": body, "headers": headers}


def _downtime(world: World, principal: Principal) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=40)
    window = {"from": start.isoformat(), "until": (start + timedelta(hours=1)).isoformat()}
    return {"data": {"machine": world.machine, "reason": "matrix", **window}}


def _dead_letter(world: World, principal: Principal) -> dict[str, Any]:
    """The message is dead-lettered again before every replay (an acknowledged pull or an
    earlier replay settles it): each allowed caller finds something to replay."""
    with unit_of_work(world.app.extensions["c2m.sessions"]) as db:
        db.get_one(OutboxMessage, world.values["message_id"]).status = OutboxStatus.DEAD
    return {}


REQUESTS: dict[tuple[str, str], Body] = {
    ("shop.configure_click", "POST"): lambda w, p: {
        "data": {"choices": "{}", "history": "[]", "action": "defaults"},
        "headers": {"HX-Request": "true"},
    },
    ("shop.checkout_page", "GET"): lambda w, p: {
        "query_string": {"choices": json.dumps(named_configuration("sofa", "compact_grey"))}
    },
    ("shop.place_order", "POST"): _checkout_form,
    ("api.configuration", "POST"): lambda w, p: {"json": {"model": "sofa", "choices": {}}},
    ("api.place_order", "POST"): lambda w, p: {
        "json": {
            "model": "sofa",
            "choices": named_configuration("sofa", "compact_grey"),
            "customer": CUSTOMER,
        },
        "headers": {"Idempotency-Key": IDEMPOTENCY_KEY},  # the module's order again
    },
    ("planning.log_in", "POST"): lambda w, p: {"data": {"username": VISITOR, "password": PASSWORD}},
    ("api.log_in", "POST"): lambda w, p: {"json": {"username": VISITOR, "password": PASSWORD}},
    ("planning.request_run", "POST"): lambda w, p: {"data": {"kind": "replan"}},
    ("api.request_plan_run", "POST"): lambda w, p: {"json": {"kind": "replan"}},
    ("planning.replay", "POST"): _dead_letter,
    ("admin.issue_client", "POST"): lambda w, p: {
        "data": {"name": f"matrix-issued-by-{p.key}", "scopes": ["pull"]}
    },
    ("admin.create_user", "POST"): lambda w, p: {
        "data": {"username": f"matrix-made-by-{p.key}", "password": PASSWORD, "role": "planner"}
    },
    ("admin.upload_product", "POST"): lambda w, p: {
        "data": {"files": []},  # nothing to store: the guard, not the upload, is tested here
        "content_type": "multipart/form-data",
    },
    ("admin.add_downtime", "POST"): _downtime,
    ("mes_api.events", "POST"): _event,
    ("mes_api.pull", "GET"): lambda w, p: {"query_string": {"after": "0"}},
}


def path_values(world: World, principal: Principal, route: Route) -> dict[str, Any]:
    values = {}
    for argument in route.arguments:
        if argument in world.private:
            real = principal.holds_private_links
            values[argument] = world.private[argument] if real else world.unknown(argument)
        else:
            values[argument] = world.values[argument]
    return values


def call(world: World, case: Case) -> TestResponse:
    route, principal = case.route, case.principal
    cookie_name = world.app.config["SESSION_COOKIE_NAME"]
    own = world.sessions[principal.session]
    if route.endpoint in SESSION_ENDING and principal.session != "visitor":
        leaving = f"matrix-{principal.session}-leaving"
        own = logged_in(world.app.test_client(), leaving, cookie_name)
    client = world.app.test_client()
    client.set_cookie(cookie_name, own.cookie)
    headers = {"X-CSRFToken": own.csrf}
    if principal.bearer is not None:
        headers["Authorization"] = f"Bearer {world.tokens[principal.bearer]}"
    request = REQUESTS.get((route.endpoint, route.method), lambda w, p: {})(world, principal)
    headers.update(request.pop("headers", {}))
    adapter = world.app.url_map.bind("localhost")
    path = adapter.build(route.endpoint, path_values(world, principal, route), method=route.method)
    return client.open(path, method=route.method, headers=headers, **request)


# --- The tests -------------------------------------------------------------------------------


def test_every_route_has_an_access_rule() -> None:
    missing = sorted({(r.endpoint, r.method, r.rule) for r in ROUTES if r.endpoint not in RULES})
    assert not missing, "\n".join(
        f"{endpoint} ({method} {rule}) has no access rule: add it to RULES in {HERE}, "
        f"saying who may call it ({ACCESS_KINDS})"
        for endpoint, method, rule in missing
    )


def test_every_access_rule_names_a_route() -> None:
    endpoints = {route.endpoint for route in ROUTES}
    stale = sorted(set(RULES) - endpoints)
    assert not stale, "\n".join(
        f"RULES in {HERE} has a rule for {endpoint}, which is no route any more: remove it"
        for endpoint in stale
    )


def test_every_path_parameter_has_a_real_value(world: World) -> None:
    known = set(world.values) | set(world.private)
    unknown = sorted({(r.endpoint, a) for r in ROUTES for a in r.arguments - known})
    assert not unknown, "\n".join(
        f"{endpoint}: no real object for <{argument}>: make one in world() in {HERE}"
        for endpoint, argument in unknown
    )


@pytest.mark.parametrize("case", matrix(), ids=lambda case: case.sentence)
def test_access(world: World, case: Case) -> None:
    answer = call(world, case)
    status = answer.status_code
    shown = answer.get_data().decode(errors="replace")
    said = f"{case.sentence}: answered {status}: {shown[:400]}"
    if case.route.endpoint == "health.healthz" and status == 503:
        assert answer.get_json()["status"] == "degraded", said  # a down broker, not a crash
        return
    assert status < 500, said
    refusals = case.rule.access.refusals
    if case.allowed:
        assert status not in refusals, said
        assert not (status == 400 and "CSRF" in shown), said
    else:
        assert status in refusals, said


def test_a_signed_event_without_an_events_token_is_refused(world: World) -> None:
    holder_of_the_secret = Principal("secret_only", "anyone with the secret", signs_events=True)
    request = _event(world, holder_of_the_secret)
    answer = world.app.test_client().post(
        "/api/mes/v1/events", data=request["data"], headers=request["headers"]
    )
    assert answer.status_code == 401


def test_an_events_token_without_a_valid_signature_is_refused(world: World) -> None:
    events = next(p for p in PRINCIPALS if p.key == "mes_events")
    request = _event(world, events)
    forged = {**request["headers"], "webhook-signature": "v1," + "A" * 44}
    forged["Authorization"] = f"Bearer {world.tokens['events']}"
    answer = world.app.test_client().post(
        "/api/mes/v1/events", data=request["data"], headers=forged
    )
    assert answer.status_code == 401
    assert "signature" in answer.get_json()["detail"]


def test_a_revoked_mes_token_is_refused(world: World) -> None:
    with unit_of_work(world.app.extensions["c2m.sessions"]) as db:
        token = auth.issue_client_token(db, "matrix-revoked", ("pull",))
        auth.revoke_client(db, "matrix-revoked")
    answer = world.app.test_client().get(
        "/api/mes/v1/work-orders", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401
