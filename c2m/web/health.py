"""/healthz: is the database reachable, is the broker reachable; are B2MML payloads validated.

Missing B2MML schemas do not make the service unhealthy (releases still go out, JSON and
B2MML alike); /healthz says so, as the log did once at start."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from c2m.preflight import PreflightError, check_broker, check_database
from c2m.release import use_b2mml_schemas

blueprint = Blueprint("health", __name__)


@blueprint.record_once
def _choose_b2mml_schemas(state: BlueprintSetupState) -> None:
    """At app creation (web and worker processes alike): find the schema set, say if not."""
    state.app.extensions["c2m.b2mml"] = use_b2mml_schemas(state.app.extensions["c2m.settings"])


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
    body = {
        "status": "ok" if healthy else "degraded",
        **report,
        "b2mml": current_app.extensions["c2m.b2mml"],
    }
    return jsonify(body), 200 if healthy else 503


@blueprint.get("/api/openapi.json")
def openapi() -> ResponseReturnValue:
    from c2m.openapi import document

    return jsonify(document())
