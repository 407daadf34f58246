"""Request fields checked before anything is read from or written to the database.

Pure functions: each takes what a client sent and returns the checked value, or raises
InvalidInput naming the field (c2m.web.errors turns that into a 422). They exist because the
database is a poor validator: an oversized integer overflows the driver (a 500, not a 4xx),
and an oversized or control-laden string is stored as sent and shows up on travelers and PDFs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from c2m.errors import InvalidInput

# Ids are INTEGER columns: 4 bytes on PostgreSQL (8 on SQLite), so anything above cannot be
# a row there, and PostgreSQL refuses the comparison (a 500 until schemathesis found it).
ID_MAX = 2**31 - 1
# Sequences and piece counts live in INTEGER columns (4 bytes on PostgreSQL).
COUNT_MAX = 2**31 - 1
# Customer fields: the column widths where there are some, a generous address otherwise.
FIELD_LIMITS = {"name": 200, "email": 200, "phone": 50, "address": 2000, "language": 8}
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,5})?$")
# Bidi embeddings, overrides and isolates reorder what a planner or a courier reads
# (Trojan-source style spoofing); a name, phone or address never needs them.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# A textarea posts line breaks (CRLF in browsers) and people paste tabs into addresses.
MULTILINE_ALLOWED = frozenset("\n\r\t")
# The planning board pages through days; beyond this it is a typo, and far enough beyond it
# the date arithmetic of the page (previous/next day) overflows datetime.
DAY_WINDOW = timedelta(days=3660)
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def bad_character(text: str, multiline: bool = False) -> str | None:
    """The first control or bidi character in `text` (as U+XXXX), or None."""
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    for char in text:
        if char in BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and char not in allowed):
            return f"U+{ord(char):04X}"
    return None


def text_problem(value: object, limit: int, multiline: bool = False) -> str | None:
    """Why `value` is not an acceptable text field, or None."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if len(value) > limit:
        return f"at most {limit} characters (got {len(value)})"
    bad = bad_character(value, multiline)
    if bad is not None:
        return f"contains the control character {bad}"
    return None


def customer_problems(fields: Mapping[str, object]) -> dict[str, str]:
    """Type, length and character problems of the customer fields, all at once (a form marks
    each); absent fields are left to the domain check, which says what to enter."""
    problems = {}
    for name, limit in FIELD_LIMITS.items():
        if name not in fields:
            continue
        problem = text_problem(fields[name], limit, multiline=name == "address")
        if problem is None and name == "language" and not LANGUAGE.match(str(fields[name])):
            problem = "a language tag such as en or zh"
        if problem is not None:
            problems[name] = problem
    return problems


def json_object(value: object, where: str, what: str) -> dict[str, Any]:
    """`value` if it is a JSON object; absent (None) counts as empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be an object ({what}), not {_json_type(value)}", where)
    return value


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number"}
    return names.get(type(value), "a number" if isinstance(value, float) else "another value")


def whole_number(raw: str | None, where: str, default: int = 0, top: int = ID_MAX) -> int:
    """A query parameter such as a cursor: 0..top, digits only."""
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit():
        raise InvalidInput(f"{where} must be a whole number 0..{top}, got {raw[:40]!r}", where)
    value = int(raw) if len(raw) <= 20 else top + 1  # never convert a huge digit string
    if value > top:
        raise InvalidInput(f"{where} must be at most {top}", where)
    return value


def day_start(raw: str | None, today: date, where: str = "day") -> datetime:
    """Midnight UTC of the asked day (default `today`), refused outside ±DAY_WINDOW of today
    so the page's previous/next-day arithmetic can never leave datetime's range."""
    if not raw:
        return datetime.combine(today, time(), UTC)
    try:
        asked = date.fromisoformat(raw) if ISO_DAY.match(raw) else None
    except ValueError:  # well-shaped but no such day (2026-02-30)
        asked = None
    if asked is None:
        raise InvalidInput(f"{where} must look like 2026-01-31", where)
    if abs(asked - today) > DAY_WINDOW:
        raise InvalidInput(
            f"{where} must lie within {DAY_WINDOW.days} days of {today.isoformat()}", where
        )
    return datetime.combine(asked, time(), UTC)


def known_parameters(given: Iterable[str], known: Iterable[str]) -> None:
    """A query parameter the endpoint does not take is a mistake (a misspelt `after` would
    silently page from the start), so it is named rather than ignored."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise InvalidInput(f"unknown query parameter {unknown[0]!r} (this endpoint takes {takes})",
                           unknown[0])
