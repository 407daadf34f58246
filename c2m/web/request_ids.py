"""A request id for every request: taken from the `X-Request-Id` a proxy or client sent when it
looks like one, made up otherwise; echoed in the response and carried by every log line the
request writes (c2m.logging_setup)."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from c2m.logging_setup import bind_log_context, unbind_log_context

HEADER = "X-Request-Id"
# What an id from outside may look like: anything else is replaced, so a client cannot write
# control characters or megabytes into the logs through it.
ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id(sent: str | None) -> str:
    return sent if sent is not None and ACCEPTED.match(sent) else uuid.uuid4().hex


def register(app: Flask) -> None:
    @app.before_request
    def bind_request_id() -> None:
        g.request_id = request_id(request.headers.get(HEADER))
        g.request_log_token = bind_log_context(request_id=g.request_id)

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    @app.teardown_request
    def unbind_request_id(_error: BaseException | None) -> None:
        token = g.pop("request_log_token", None)
        if token is not None:
            unbind_log_context(token)
