"""The one place that maps errors to HTTP: JSON for /api, a page for people."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from c2m.errors import C2mError, InvalidInput
from c2m.web import throttling
from configurator.errors import ModelError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(status: int, title: str, detail: str, extra: dict[str, object]) -> tuple[Any, int]:
    if _wants_json():
        return jsonify({"error": title, "detail": detail, **extra}), status
    return render_template("error.html", status=status, title=title, detail=detail), status


def register(app: Flask) -> None:
    @app.errorhandler(C2mError)
    def domain_error(error: C2mError) -> ResponseReturnValue:
        # Every refused input names its field, even where a subclass adds details of its own.
        where = {"where": error.where} if isinstance(error, InvalidInput) and error.where else {}
        return _respond(error.http_status, error.title, str(error), {**where, **error.details()})

    @app.errorhandler(ModelError)
    def model_error(error: ModelError) -> ResponseReturnValue:
        # Bad choices or a bad uploaded model: say what, and where (file, line, field, token).
        return _respond(422, "Unprocessable Entity", str(error), {"where": error.as_dict()})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        body, status = _respond(error.code or 500, error.name, error.description or "", {})
        # Werkzeug's own headers say what the client needs: `Allow` on a 405 (RFC 9110).
        kept = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return body, status, kept

    @app.errorhandler(429)
    def too_many_requests(error: HTTPException) -> ResponseReturnValue:
        # A throttled login or API call (c2m.web.throttling): say what the limit is and when
        # to come back; clients that honour Retry-After need nothing else.
        wait = throttling.retry_after_seconds()
        limit = f" (at most {error.description})" if isinstance(error, RateLimitExceeded) else ""
        detail = f"Too many requests{limit}; retry in {wait} s."
        body, status = _respond(429, "Too Many Requests", detail, {})
        return body, status, {"Retry-After": str(wait)}

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError) -> ResponseReturnValue:
        # Nothing was committed; callers (the MES above all) retry after a pause.
        log.warning("database unavailable", extra={"path": request.path, "error": str(error.orig)})
        body, status = _respond(
            503, "Service Unavailable", "The database is unavailable; retry.", {}
        )
        return body, status, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("unhandled error", extra={"path": request.path})
        return _respond(500, "Internal Server Error", "Something went wrong on our side.", {})
