"""Cross-site defences through HTTP: CSRF on cookie-authenticated API calls, bearer tokens,
the session cookie's flags and the security headers."""

from __future__ import annotations

import dataclasses
import re
import stat
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from c2m import auth, preview
from c2m.db import unit_of_work
from c2m.models import Order, WorkOrder
from c2m.settings import load_settings
from configurator import loading
from configurator.loading import load_model
from tests.flow.conftest import samples_dir
from tests.web.conftest import PASSWORD, add_user, log_in, named_configuration
from tests.web.test_planning_and_admin import _sofa_files, _upload, planned_order


def current_run(shop: Flask) -> int:
    from c2m.models import PlanRun

    with shop.extensions["c2m.sessions"]() as session:
        return session.scalars(select(PlanRun.id).filter_by(is_current=True)).one()


def work_orders(shop: Flask) -> int:
    with shop.extensions["c2m.sessions"]() as session:
        return session.scalar(select(func.count()).select_from(WorkOrder)) or 0


def bearer(shop: Flask, scopes: tuple[str, ...]) -> dict[str, str]:
    with unit_of_work(shop.extensions["c2m.sessions"]) as session:
        token = auth.issue_client_token(session, "release-script", scopes)
    return {"Authorization": f"Bearer {token}"}


def page_csrf(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert match
    return match.group(1)


def test_a_cookie_authenticated_release_without_a_csrf_token_is_refused(
    shop: Flask, customer, planner: FlaskClient  # type: ignore[no-untyped-def]
) -> None:
    planned_order(shop, customer)
    # What a cross-site form would send: the planner's cookie, no token, no body.
    refused = planner.post(f"/api/v1/plan-runs/{current_run(shop)}/release")
    assert refused.status_code == 400
    assert "CSRF" in refused.get_json()["detail"]
    assert work_orders(shop) == 0


def test_a_cookie_authenticated_release_with_the_csrf_header_goes_through(
    shop: Flask, customer, planner: FlaskClient  # type: ignore[no-untyped-def]
) -> None:
    planned_order(shop, customer)
    released = planner.post(
        f"/api/v1/plan-runs/{current_run(shop)}/release",
        headers={"X-CSRFToken": page_csrf(planner)},
    )
    assert released.status_code == 200 and work_orders(shop) == 1


def test_a_release_with_a_planner_bearer_token_needs_no_csrf_token(
    shop: Flask, customer  # type: ignore[no-untyped-def]
) -> None:
    planned_order(shop, customer)
    released = shop.test_client().post(
        f"/api/v1/plan-runs/{current_run(shop)}/release", headers=bearer(shop, ("planner",))
    )
    assert released.status_code == 200, released.get_json()
    assert work_orders(shop) == 1


def test_an_mes_token_may_not_release(shop: Flask, customer) -> None:  # type: ignore[no-untyped-def]
    planned_order(shop, customer)
    refused = shop.test_client().post(
        f"/api/v1/plan-runs/{current_run(shop)}/release", headers=bearer(shop, ("pull", "events"))
    )
    assert refused.status_code == 403 and work_orders(shop) == 0


def test_a_bad_bearer_token_does_not_fall_back_to_the_session_cookie(
    shop: Flask, customer, planner: FlaskClient  # type: ignore[no-untyped-def]
) -> None:
    planned_order(shop, customer)
    refused = planner.post(
        f"/api/v1/plan-runs/{current_run(shop)}/release",
        headers={"Authorization": "Bearer c2m_not-a-token"},
    )
    assert refused.status_code == 401 and work_orders(shop) == 0


def test_the_session_cookie_is_lax_and_http_only(shop: Flask) -> None:
    add_user(shop, "mei", "planner")
    client = shop.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = client.post(
        "/login", data={"username": "mei", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    cookie = answer.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie


def test_the_session_cookie_is_secure_unless_served_on_loopback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"C2M_INSTANCE_DIR": str(tmp_path)}
    assert not load_settings({**env, "C2M_HOST": "127.0.0.1"}).secure_cookies
    assert not load_settings({**env, "C2M_HOST": "localhost"}).secure_cookies
    assert load_settings({**env, "C2M_HOST": "0.0.0.0"}).secure_cookies
    plain_http_lan = {**env, "C2M_HOST": "0.0.0.0", "C2M_SECURE_COOKIES": "0"}
    assert not load_settings(plain_http_lan).secure_cookies
    assert load_settings({**env, "C2M_SECURE_COOKIES": "1"}).secure_cookies


def test_the_web_ui_still_logs_in_and_posts_with_its_csrf_token(shop: Flask) -> None:
    add_user(shop, "mei", "planner")
    client = shop.test_client()
    log_in(client, "mei")
    assert client.get("/planning").status_code == 200


def order_request(shop: Flask, body: dict[str, object], key: str):  # type: ignore[no-untyped-def]
    return shop.test_client().post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})


def sofa_order(customer: dict[str, str]) -> dict[str, object]:
    return {
        "model": "sofa",
        "choices": named_configuration("sofa", "compact_grey"),
        "customer": customer,
    }


def test_a_reused_idempotency_key_with_another_body_is_refused_without_the_first_order(
    shop: Flask, customer  # type: ignore[no-untyped-def]
) -> None:
    first = order_request(shop, sofa_order(customer), "shared-key-0001")
    assert first.status_code == 201
    token = first.get_json()["tracking_url"].rsplit("/", 1)[-1]
    someone_else = {**customer, "name": "韩梅梅", "email": "hanmeimei@example.com"}
    refused = order_request(shop, sofa_order(someone_else), "shared-key-0001")
    assert refused.status_code == 422
    answer = refused.get_json()
    assert answer["where"] == "idempotency_key" and "different order" in answer["detail"]
    assert token not in refused.get_data(as_text=True) and "tracking_url" not in answer
    with shop.extensions["c2m.sessions"]() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_retried_request_with_the_same_key_gets_the_same_order(
    shop: Flask, customer  # type: ignore[no-untyped-def]
) -> None:
    first = order_request(shop, sofa_order(customer), "retried-key-0001")
    # The same request, its fields in another order: still the same request.
    reordered = dict(reversed(list(sofa_order(dict(reversed(list(customer.items())))).items())))
    again = order_request(shop, reordered, "retried-key-0001")
    assert again.status_code == 200
    assert again.get_json()["order"] == first.get_json()["order"]
    assert again.get_json()["tracking_url"] == first.get_json()["tracking_url"]


def test_an_order_from_before_request_hashes_still_refuses_another_customer(
    shop: Flask, customer  # type: ignore[no-untyped-def]
) -> None:
    assert order_request(shop, sofa_order(customer), "legacy-key-0001").status_code == 201
    with unit_of_work(shop.extensions["c2m.sessions"]) as session:
        session.execute(update(Order).values(request_hash=None))
    someone_else = {**customer, "email": "hanmeimei@example.com"}
    assert order_request(shop, sofa_order(someone_else), "legacy-key-0001").status_code == 422
    assert order_request(shop, sofa_order(customer), "legacy-key-0001").status_code == 200


def _traversal_upload(shop: Flask, admin: FlaskClient) -> tuple[Path, object]:
    """A victim folder in the instance, an uploaded sofa-9.0 for the path to walk through,
    and an upload whose version climbs out of the uploads folder into the victim."""
    instance = Path(shop.instance_path)
    victim = instance / "victim"
    victim.mkdir(exist_ok=True)
    (victim / "keep.txt").write_text("precious")
    (instance / "products" / "sofa-9.0").mkdir(parents=True, exist_ok=True)
    files = _sofa_files()
    files["model.yaml"] = files["model.yaml"].replace(
        b'version: "2026.1"', b'version: "9.0/../../victim"'
    )
    return victim, _upload(admin, files)


def test_an_upload_whose_version_is_a_path_is_refused_and_deletes_nothing(
    shop: Flask, admin: FlaskClient
) -> None:
    victim, response = _traversal_upload(shop, admin)
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "model.yaml:" in html and "version:" in html
    assert (victim / "keep.txt").read_text() == "precious"


def test_the_upload_folder_is_checked_even_if_a_loader_let_a_path_through(
    shop: Flask, admin: FlaskClient, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(loading, "_version", lambda node: node.text())
    victim, response = _traversal_upload(shop, admin)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "does not name a folder" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert (victim / "keep.txt").read_text() == "precious"


def test_identifier_like_versions_still_load(shop: Flask, admin: FlaskClient) -> None:
    files = _sofa_files()
    files["model.yaml"] = files["model.yaml"].replace(
        b'version: "2026.1"', b'version: "2026.9-rc_1"'
    )
    assert _upload(admin, files).status_code == 200


SWATCH_ATTACK = '#8a8d8f\\" onmouseover=\\"alert(1)'


def test_an_upload_with_a_swatch_colour_that_is_not_a_colour_is_refused_at_its_line(
    shop: Flask, admin: FlaskClient
) -> None:
    files = _sofa_files()
    files["model.yaml"] = (
        files["model.yaml"]
        .replace(b'version: "2026.1"', b'version: "2026.6"')
        .replace(b'hex: "#8a8d8f"', f'hex: "{SWATCH_ATTACK}"'.encode())
    )
    line = files["model.yaml"].split(b"\n").index(
        next(row for row in files["model.yaml"].split(b"\n") if b"onmouseover" in row)
    ) + 1
    response = _upload(admin, files)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"model.yaml:{line}:" in html and "hex must be a colour #rgb or #rrggbb" in html
    assert 'onmouseover="' not in html  # the error quotes the value, escaped
    assert "2026.6" not in shop.test_client().get("/").get_data(as_text=True)


def test_short_and_long_hex_colours_still_load(shop: Flask, admin: FlaskClient) -> None:
    files = _sofa_files()
    files["model.yaml"] = (
        files["model.yaml"]
        .replace(b'version: "2026.1"', b'version: "2026.5"')
        .replace(b'hex: "#8a8d8f"', b'hex: "#8AF"')
    )
    assert _upload(admin, files).status_code == 200
    assert 'fill="#8AF"' in shop.test_client().get("/configure/sofa").get_data(as_text=True)


def test_a_colour_that_bypassed_the_loader_is_never_written_into_the_picture() -> None:
    sofa = load_model(samples_dir() / "sofa" / "model.yaml")
    attack = '#fff" onmouseover="alert(1)'
    features = tuple(
        dataclasses.replace(
            feature,
            options=tuple(
                dataclasses.replace(option, attributes={**option.attributes, "hex": attack})
                for option in feature.options
            ),
        )
        if feature.name == "colour"
        else feature
        for feature in sofa.features
    )
    compact = named_configuration("sofa", "compact_grey")
    svg = preview.svg(dataclasses.replace(sofa, features=features), compact)
    assert "onmouseover" not in svg and f'fill="{preview.DEFAULT_COLOUR}"' in svg


def test_secrets_made_in_the_instance_folder_are_readable_by_their_owner_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings({"C2M_INSTANCE_DIR": str(tmp_path)})
    for name in ("c2m_secret_key", "c2m_mes_secret"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert (tmp_path / "c2m_secret_key").read_text() == settings.secret_key


def test_a_secret_left_world_readable_by_an_older_version_is_made_private_at_start(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    old = tmp_path / "c2m_secret_key"
    old.write_text("kept-from-before")
    old.chmod(0o644)
    assert load_settings({"C2M_INSTANCE_DIR": str(tmp_path)}).secret_key == "kept-from-before"
    assert stat.S_IMODE(old.stat().st_mode) == 0o600


def test_pages_and_api_answers_carry_the_security_headers(shop: Flask) -> None:
    client = shop.test_client()
    for response in (client.get("/"), client.get("/api/v1/track/no-such-token")):
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_carry_no_inline_script_or_style_the_policy_would_block(
    shop: Flask, planner: FlaskClient  # type: ignore[no-untyped-def]
) -> None:
    pages = [shop.test_client().get(path) for path in ("/", "/configure/sofa", "/login")]
    pages.append(planner.get("/planning"))
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page.request.path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), page.request.path
