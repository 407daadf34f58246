"""Every operation of the published OpenAPI document, fed what schemathesis generates from
it (valid and invalid), with planner, MES pull and signed MES event credentials: never a
server error, and every answer within the document (status, content type, body, headers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import positive_data_acceptance

from c2m import auth, bootstrap
from c2m.openapi import document
from c2m.settings import REPO_ROOT, Settings
from mes_bridge.signing import sign_headers

pytestmark = pytest.mark.integration
# Per operation: enough to reach every branch the document describes, a few minutes in all.
EXAMPLES_PER_OPERATION = 40
EVENTS_PATH = "/api/mes/v1/events"
# Bodies valid by the document that the app still refuses with 422, rightly, for what no schema
# can say: the choices must be a complete valid configuration of the product model (its
# rules), a breakdown's end must come after its start, an event must be about a work order
# the MES holds (and a B2MML one a SyncOperationsPerformance). Every other check runs on them.
MODEL_CHECKED = {"POST /api/v1/orders", "POST /api/v1/plan-runs", "POST /api/mes/v1/events"}


def raw_body(body: object) -> bytes:
    """The exact bytes sent, so that the signature covers them."""
    if isinstance(body, bytes):
        return body
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()


@dataclass(frozen=True)
class Credentials:
    planner: str
    mes: str
    mes_secret: str

    def call_arguments(self, case: schemathesis.Case) -> dict[str, Any]:
        """What a real client of this operation sends: a MES event body is sent as the exact
        bytes it is signed over; every other request carries the bearer token of its user."""
        token = self.mes if case.path.startswith("/api/mes/") else self.planner
        headers = {"Authorization": f"Bearer {token}"}
        if case.path == EVENTS_PATH and not isinstance(case.body, NotSet):
            body = case.body
            raw = raw_body(body)
            headers |= sign_headers(self.mes_secret, "msg_contract", raw)
            return {"headers": headers, "data": raw}
        return {"headers": headers}


@pytest.fixture()
def contract_app(settings: Settings, app: Flask) -> Flask:
    bootstrap.load_catalogue(settings.with_changes(products_dir=REPO_ROOT / "sample_products"))
    return app


@pytest.fixture()
def credentials(contract_app: Flask, settings: Settings) -> Iterator[Credentials]:
    with contract_app.extensions["c2m.sessions"]() as session, session.begin():
        planner = auth.issue_client_token(session, "contract-planner", ("planner",))
        mes = auth.issue_client_token(session, "contract-mes", ("pull", "events"))
    yield Credentials(planner, mes, settings.mes_secret)


# The document the app serves at /api/openapi.json, built by the same function. (Loaded
# here rather than from the app fixture: schemathesis' fixture loader needs pytest < 9.2.)
schema = schemathesis.openapi.from_dict(document())


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_the_published_contract(
    case: schemathesis.Case, credentials: Credentials, contract_app: Flask
) -> None:
    case.operation.schema.app = contract_app  # in-process, through the WSGI interface
    arguments = {"app": contract_app, **credentials.call_arguments(case)}
    response = case.call(**arguments)
    excluded = [positive_data_acceptance] if case.operation.label in MODEL_CHECKED else []
    case.validate_response(response, headers=arguments["headers"], transport_kwargs=arguments,
                           excluded_checks=excluded)
