"""Web fixtures: the real sample products loaded, a planner and an admin account."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from c2m import auth
from c2m.db import unit_of_work
from c2m.models import PlanRun, PlanRunStatus
from tests.flow.conftest import customer, named_configuration, shop  # noqa: F401

PASSWORD = "correct horse battery"


def add_user(app: Flask, username: str, role: str) -> None:
    with unit_of_work(app.extensions["c2m.sessions"]) as session:
        auth.create_user(session, username, PASSWORD, role)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def token(client: FlaskClient) -> str:
    return csrf_of(client.get("/login").get_data(as_text=True))


def log_in(client: FlaskClient, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


@pytest.fixture()
def planner(shop: Flask) -> FlaskClient:  # noqa: F811
    add_user(shop, "mei", "planner")
    client = shop.test_client()
    log_in(client, "mei")
    return client


@pytest.fixture()
def admin(shop: Flask) -> FlaskClient:  # noqa: F811
    add_user(shop, "root", "admin")
    client = shop.test_client()
    log_in(client, "root")
    return client


def click(client: FlaskClient, model: str, state: dict[str, Any], **form: str) -> Any:
    """One htmx click on the configurator panel."""
    data = {
        "choices": json.dumps(state.get("choices", {})),
        "history": json.dumps(state.get("history", [])),
        "csrf_token": token(client),
        **form,
    }
    return client.post(f"/configure/{model}", data=data, headers={"HX-Request": "true"})


def panel_state(html: str) -> dict[str, Any]:
    """The choices and history the panel carries in its hidden fields."""
    import html as html_lib

    def field(name: str) -> Any:
        match = re.search(rf'name="{name}" value="([^"]*)"', html)
        assert match, name
        return json.loads(html_lib.unescape(match.group(1)))

    return {"choices": field("choices"), "history": field("history")}


def finished(sessions: Any, run_id: int) -> None:
    """A session worker (started by the browser tests) may have taken the run first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sessions() as session:
            if session.get_one(PlanRun, run_id).status is PlanRunStatus.SUCCEEDED:
                return
        time.sleep(0.2)
    raise AssertionError(f"plan run {run_id} did not finish")


def pdf_text_and_info(pdf: bytes, path: Path) -> tuple[str, str]:
    """(pdftotext's layout text, pdfinfo's report) of a PDF, written to `path` first."""
    assert pdf.startswith(b"%PDF")
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return text, info.stdout
