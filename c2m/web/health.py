"""/healthz: is the database reachable, is the broker reachable."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from c2m.preflight import PreflightError, check_broker, check_database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    settings = current_app.extensions["c2m.settings"]
    checks = {"database": check_database, "broker": check_broker}
    report: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check(settings)
            report[name] = "ok"
        except PreflightError as error:
            report[name] = str(error)
    healthy = all(value == "ok" for value in report.values())
    body = {"status": "ok" if healthy else "degraded", **report}
    return jsonify(body), 200 if healthy else 503


@blueprint.get("/api/openapi.json")
def openapi() -> ResponseReturnValue:
    from c2m.openapi import document

    return jsonify(document())
