"""Log fields never collide with LogRecord attributes: such a collision raises KeyError inside
the log call, and only at the levels that are enabled (INFO in production, so it hid in tests
run at WARNING)."""

from __future__ import annotations

import ast
import io
import json
import logging
from collections.abc import Iterator

import pytest

from c2m.logging_setup import RESERVED_FIELDS, JsonFormatter, get_logger
from tests.conftest import REPO

PACKAGES = ("c2m", "mes_bridge", "configurator", "bom", "routing", "planner")
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


@pytest.fixture()
def json_lines() -> Iterator[io.StringIO]:
    """What the JSON handler `c2m serve` installs writes, for one probe logger at INFO."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("c2m.tests.log_fields")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def log_calls() -> Iterator[tuple[str, ast.Call]]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LOG_METHODS
                    and any(keyword.arg == "extra" for keyword in node.keywords)
                ):
                    yield f"{path.relative_to(REPO)}:{node.lineno}", node


def extra_keys(call: ast.Call) -> list[str] | None:
    """The field names of `extra={...}`; None if it is not a literal dict of literal names."""
    extra = next(keyword.value for keyword in call.keywords if keyword.arg == "extra")
    if not isinstance(extra, ast.Dict):
        return None
    keys = [key.value for key in extra.keys if isinstance(key, ast.Constant)]
    return keys if len(keys) == len(extra.keys) and all(isinstance(k, str) for k in keys) else None


def test_a_field_named_like_a_record_attribute_is_logged_renamed_instead_of_crashing(
    json_lines: io.StringIO,
) -> None:
    log = get_logger("c2m.tests.log_fields")
    log.info("outbox delivery", extra={"message": "m-1", "name": "n", "verdict": "delivered"})
    entry = json.loads(json_lines.getvalue())
    assert entry["message"] == "outbox delivery"
    assert (entry["message_"], entry["name_"], entry["verdict"]) == ("m-1", "n", "delivered")


def test_the_plain_standard_library_still_refuses_such_a_field_at_info() -> None:
    """Why the guard exists: the same call on a bare logger breaks the caller."""
    with pytest.raises(KeyError, match="message"):
        logging.getLogger("c2m.tests.log_fields").info("x", extra={"message": "m-1"})


def test_every_log_call_in_the_code_base_names_its_fields_literally_and_none_is_reserved(
    json_lines: io.StringIO,
) -> None:
    calls = list(log_calls())
    assert len(calls) >= 5, "the scan no longer finds the code base's log calls"
    opaque = [where for where, call in calls if extra_keys(call) is None]
    assert not opaque, f"extra= must be a dict literal so its field names can be checked: {opaque}"
    collisions = {
        where: sorted(set(keys) & RESERVED_FIELDS)
        for where, call in calls
        if (keys := extra_keys(call)) and set(keys) & RESERVED_FIELDS
    }
    assert not collisions, f"log fields that overwrite LogRecord attributes: {collisions}"
    probe = logging.getLogger("c2m.tests.log_fields")
    for where, call in calls:
        probe.info(where, extra=dict.fromkeys(extra_keys(call) or [], "x"))
    assert len(json_lines.getvalue().splitlines()) == len(calls)


def test_the_reserved_names_are_the_record_attributes_themselves() -> None:
    record = logging.makeLogRecord({})
    assert set(vars(record)) <= RESERVED_FIELDS
    assert {"message", "asctime", "msg", "args", "name", "module", "levelname"} <= RESERVED_FIELDS


def test_the_scan_would_catch_a_reserved_field() -> None:
    call = ast.parse('log.info("x", extra={"message": 1, "ok": 2})').body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert set(extra_keys(call.value) or []) & RESERVED_FIELDS == {"message"}
