"""Limits on what a request may carry, installed on the app before any blueprint: an id
converter the database can always hold, a body size cap, and a JSON loader that refuses a
body it cannot parse without exhausting the stack. Each turns into a 4xx, never a 500."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, Map

from c2m.errors import Unreadable
from c2m.validation import ID_MAX

# Every JSON and form body; the MES and the shop send kilobytes.
MAX_BODY_BYTES = 2 * 1024 * 1024
# The product upload takes up to four files of 2,000,000 bytes each (admin.MAX_FILE_BYTES)
# plus multipart framing.
LARGER_BODIES = {"admin.upload_product": 10 * 1024 * 1024}


class IdConverter(IntegerConverter):
    """`<id:name>`: a row id, 1..2^63-1. A larger number can name no row and would overflow
    the database driver (a 500), so it does not match the route at all: 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=ID_MAX)


class SignedInt64Converter(IntegerConverter):
    """`<int:...>` bounded to what any INTEGER/BIGINT column can hold, for routes not (yet)
    written with `<id:...>`: the same 404 instead of an overflow."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


class BoundedJSONProvider(DefaultJSONProvider):
    """request.get_json() through this: a body nested deeper than the parser can recurse
    raises RecursionError, which `silent=True` does not catch; answer 400 instead."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise Unreadable("the JSON body is nested too deeply to read") from None


class BoundedRequest(Request):
    """The body limit of the endpoint, decided when the body is first read (a hook could run
    after CSRFProtect's, which has already read the form under the app-wide limit)."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None:
            self._max_content_length = LARGER_BODIES.get(self.endpoint or "")
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def install(app: Flask) -> None:
    """Call before the blueprints are registered: their rules are compiled with the
    converters present at registration."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = SignedInt64Converter
    app.json = BoundedJSONProvider(app)
    app.request_class = BoundedRequest
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's own default: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
