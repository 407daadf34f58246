"""Issue 12 through HTTP: throttled logins and API, no user-name discovery by timing, log-out
that voids copied cookies, and roles read from the database at every request.

Counts may live in the suite's Redis (kept between runs for a minute), so every throttling
test sends from an address of its own."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse_many
from sqlalchemy import delete, event, select, update
from werkzeug.test import TestResponse

from c2m import auth
from c2m.app import create_app
from c2m.db import unit_of_work
from c2m.models import User
from c2m.settings import SettingsError, load_settings
from c2m.web import throttling
from tests.conftest import api_log_in
from tests.mes_faults.servers import private_redis  # noqa: F401
from tests.web.conftest import PASSWORD, add_user, log_in, token

WRONG = "not the password"


def from_own_address(app: Flask) -> FlaskClient:
    """A client at an address no other test (or earlier run) has sent from."""
    client = app.test_client()
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    client.environ_base["REMOTE_ADDR"] = address
    return client


def form_log_in(client: FlaskClient, username: str, password: str) -> TestResponse:
    data = {"username": username, "password": password, "csrf_token": token(client)}
    return client.post("/login", data=data)


def fail_logins(client: FlaskClient, username: str, times: int) -> None:
    for _ in range(times):
        assert api_log_in(client, username, WRONG).status_code == 401


def assert_throttled(answer: TestResponse) -> None:
    assert answer.status_code == 429, answer.get_data(as_text=True)
    assert 1 <= int(answer.headers["Retry-After"]) <= 60


def with_settings(app: Flask, **changes: Any) -> Flask:
    """Another app (another web host) on the same database, with other settings."""
    return create_app(app.extensions["c2m.settings"].with_changes(**changes))


def role_of(app: Flask, username: str, role: str) -> None:
    """Change a role the way an admin feature would: through the model."""
    with unit_of_work(app.extensions["c2m.sessions"]) as db:
        user = db.scalars(select(User).filter_by(username=username)).one()
        user.role = role


# --- Throttled logins ------------------------------------------------------------------------


def test_after_ten_wrong_passwords_even_the_right_one_waits_with_429_and_retry_after(
    shop: Flask,
) -> None:
    add_user(shop, "mei", "planner")
    client = from_own_address(shop)
    fail_logins(client, "mei", 10)
    answer = api_log_in(client, "mei", PASSWORD)
    assert_throttled(answer)
    body = answer.get_json()
    assert body["error"] == "Too Many Requests"
    assert "10 per 1 minute" in body["detail"] and "retry in" in body["detail"]


def test_the_login_form_and_the_api_share_one_count_and_the_form_shows_a_page(
    shop: Flask,
) -> None:
    add_user(shop, "mei", "planner")
    client = from_own_address(shop)
    fail_logins(client, "mei", 5)
    for _ in range(5):
        assert form_log_in(client, "mei", WRONG).status_code == 401
    page = form_log_in(client, "mei", PASSWORD)
    assert_throttled(page)
    assert page.mimetype == "text/html" and "Too Many Requests" in page.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # the form itself is still shown


def test_successful_logins_never_count_towards_the_limit(shop: Flask) -> None:
    add_user(shop, "mei", "planner")
    client = from_own_address(shop)
    fail_logins(client, "mei", 9)
    for _ in range(12):
        assert api_log_in(client, "mei", PASSWORD).status_code == 200


def test_failures_for_one_user_name_do_not_hold_up_another_name_at_the_same_address(
    shop: Flask,
) -> None:
    add_user(shop, "mei", "planner")
    client = from_own_address(shop)
    fail_logins(client, "lei", 10)
    assert api_log_in(client, "lei", WRONG).status_code == 429
    assert api_log_in(client, "mei", PASSWORD).status_code == 200


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(shop: Flask) -> None:
    add_user(shop, "mei", "planner")
    fail_logins(from_own_address(shop), "mei", 10)
    assert api_log_in(from_own_address(shop), "mei", PASSWORD).status_code == 200


def test_with_a_redis_broker_every_web_host_sees_the_same_failures(
    shop: Flask,
    private_redis,  # noqa: F811  # type: ignore[no-untyped-def]
) -> None:
    add_user(shop, "mei", "planner")
    address = from_own_address(shop).environ_base["REMOTE_ADDR"]
    first = with_settings(shop, broker_url=private_redis.url).test_client()
    first.environ_base["REMOTE_ADDR"] = address
    fail_logins(first, "mei", 10)
    second = with_settings(shop, broker_url=private_redis.url).test_client()
    second.environ_base["REMOTE_ADDR"] = address
    assert_throttled(api_log_in(second, "mei", PASSWORD))


def test_the_counts_live_in_redis_when_the_broker_is_redis_else_in_a_host_wide_file() -> None:
    home = Path("/srv/c2m")
    assert throttling.storage_uri("redis://broker:6379/5", home) == "redis://broker:6379/5"
    # Not in one process's memory: the web server's processes share the file (test_web_server).
    embedded = throttling.storage_uri("sqla+sqlite:///instance/broker.sqlite", home)
    assert embedded == "c2m+sqlite:///srv/c2m/rate-limits.sqlite"


# --- Throttled configurations and orders -----------------------------------------------------


def test_configurations_over_the_api_limit_get_429_with_retry_after_and_the_usual_body(
    shop: Flask,
) -> None:
    client = from_own_address(with_settings(shop, rate_limit_api="3 per minute"))
    ask = {"model": "sofa", "choices": {}}
    for _ in range(3):
        assert client.post("/api/v1/configurations", json=ask).status_code == 200
    answer = client.post("/api/v1/configurations", json=ask)
    assert_throttled(answer)
    assert answer.get_json()["error"] == "Too Many Requests"


def test_orders_are_counted_apart_from_configurations(shop: Flask) -> None:
    client = from_own_address(with_settings(shop, rate_limit_api="3 per minute"))
    for _ in range(3):
        assert client.post("/api/v1/configurations", json={}).status_code != 429
    for _ in range(3):  # refused input counts too: it cost the server a request
        assert client.post("/api/v1/orders", json={}).status_code == 422
    assert_throttled(client.post("/api/v1/orders", json={}))


def test_the_default_api_limit_lets_twenty_busy_clients_at_one_address_through(
    shop: Flask,
) -> None:
    (default,) = parse_many(shop.extensions["c2m.settings"].rate_limit_api)
    per_minute = default.amount * 60 / default.get_expiry()
    assert per_minute >= 20 * 5 * 60  # twenty clients, five requests a second each
    address = from_own_address(shop).environ_base["REMOTE_ADDR"]

    def client_session(_: int) -> list[int]:
        client = shop.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return [client.post("/api/v1/orders", json={}).status_code for _ in range(15)]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = [status for batch in pool.map(client_session, range(20)) for status in batch]
    assert 429 not in statuses and len(statuses) == 300


def test_a_rate_limit_setting_that_is_not_one_is_refused_naming_its_variable(
    tmp_path: Path,
) -> None:
    with pytest.raises(SettingsError, match="C2M_RATE_LIMIT_LOGIN"):
        load_settings({"C2M_INSTANCE_DIR": str(tmp_path), "C2M_RATE_LIMIT_LOGIN": "lots"})


# --- No user-name discovery by timing --------------------------------------------------------


@pytest.fixture()
def checked_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    real = auth.check_password_hash

    def recording(stored: str, password: str) -> bool:
        seen.append(stored)
        return real(stored, password)

    monkeypatch.setattr(auth, "check_password_hash", recording)
    yield seen


def test_an_unknown_user_name_costs_the_same_password_check_as_a_known_one(
    shop: Flask, checked_hashes: list[str]
) -> None:
    add_user(shop, "mei", "planner")
    known = api_log_in(from_own_address(shop), "mei", WRONG)
    unknown = api_log_in(from_own_address(shop), "nobody-of-that-name", WRONG)
    assert (known.status_code, known.get_json()) == (unknown.status_code, unknown.get_json())
    real_hash, dummy_hash = checked_hashes
    method = real_hash.split("$", 1)[0]  # e.g. scrypt:32768:8:1: same work factor
    assert dummy_hash.split("$", 1)[0] == method and dummy_hash != real_hash


def test_the_unknown_user_hash_is_made_once(shop: Flask, checked_hashes: list[str]) -> None:
    for name in ("nobody", "nobody-else"):
        api_log_in(from_own_address(shop), name, WRONG)
    assert len(checked_hashes) == 2 and checked_hashes[0] == checked_hashes[1]


# --- Logging out voids the cookie ------------------------------------------------------------


def session_cookie(app: Flask, client: FlaskClient) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie (stolen or kept)."""
    copy = app.test_client()
    copy.set_cookie(app.config["SESSION_COOKIE_NAME"], session_cookie(app, client))
    return copy


def test_a_copied_session_cookie_no_longer_works_after_logging_out_with_the_form(
    shop: Flask, planner: FlaskClient
) -> None:
    copy = copy_of(shop, planner)
    assert copy.get("/planning").status_code == 200
    assert planner.post("/logout", data={"csrf_token": token(planner)}).status_code == 303
    assert copy.get("/planning").status_code == 401
    assert "Log out" not in copy.get("/login").get_data(as_text=True)  # nobody is shown


def test_a_copied_session_cookie_no_longer_works_after_logging_out_through_the_api(
    shop: Flask,
) -> None:
    add_user(shop, "mei", "planner")
    client = shop.test_client()
    assert api_log_in(client, "mei", PASSWORD).status_code == 200
    copy = copy_of(shop, client)
    assert copy.get("/api/v1/plant-status").status_code == 200
    assert client.delete("/api/v1/session").status_code == 204
    assert copy.get("/api/v1/plant-status").status_code == 401


def test_an_old_copy_cannot_log_the_user_out_of_a_later_session(
    shop: Flask, planner: FlaskClient
) -> None:
    old = copy_of(shop, planner)
    planner.post("/logout", data={"csrf_token": token(planner)})
    log_in(planner, "mei")
    assert old.post("/logout", data={"csrf_token": token(old)}).status_code == 303
    assert planner.get("/planning").status_code == 200


# --- Roles come from the database at every request --------------------------------------------


def test_a_role_in_the_cookie_is_not_believed(shop: Flask, planner: FlaskClient) -> None:
    with planner.session_transaction() as cookie:
        cookie["role"] = "admin"  # what a cookie issued before a demotion would say
    assert planner.get("/admin").status_code == 403
    assert planner.get("/planning").status_code == 200


def test_a_role_changed_behind_the_apps_back_applies_at_the_next_request(
    shop: Flask, admin: FlaskClient
) -> None:
    with unit_of_work(shop.extensions["c2m.sessions"]) as db:  # e.g. SQL typed at the database
        db.execute(update(User).filter_by(username="root").values(role="planner"))
    assert admin.get("/admin").status_code == 403
    assert admin.get("/planning").status_code == 200


def test_a_demoted_admin_is_logged_out_at_the_next_request(shop: Flask, admin: FlaskClient) -> None:
    role_of(shop, "root", "planner")
    assert admin.get("/admin").status_code == 401
    assert admin.get("/planning").status_code == 401
    log_in(admin, "root")
    assert admin.get("/planning").status_code == 200 and admin.get("/admin").status_code == 403


def test_a_new_password_voids_the_sessions_opened_with_the_old_one(
    shop: Flask, planner: FlaskClient
) -> None:
    with unit_of_work(shop.extensions["c2m.sessions"]) as db:
        user = db.scalars(select(User).filter_by(username="mei")).one()
        user.password_hash = auth.hash_password("a brand new password")
    assert planner.get("/planning").status_code == 401


def test_a_deleted_user_is_logged_out_at_the_next_request(
    shop: Flask, planner: FlaskClient
) -> None:
    with unit_of_work(shop.extensions["c2m.sessions"]) as db:
        db.execute(delete(User).filter_by(username="mei"))
    assert planner.get("/planning").status_code == 401
    assert planner.get("/api/v1/plant-status").status_code == 401


def test_each_request_of_a_logged_in_user_costs_one_primary_key_lookup(
    shop: Flask, planner: FlaskClient
) -> None:
    statements: list[str] = []

    def record(_conn, _cursor, statement: str, *_: object) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = shop.extensions["c2m.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert planner.get("/api/v1/plant-status").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    of_users = [s for s in statements if re.search(r"\bFROM users\b", s)]
    assert len(of_users) == 1 and re.search(r"WHERE users\.id = ", of_users[0]), of_users
