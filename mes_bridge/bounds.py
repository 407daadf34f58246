"""Bounds on the numbers an MES sends, so that a parsed event always fits where it is kept.

Sequence numbers and piece counts are stored in INTEGER columns (4 bytes on PostgreSQL); a
larger value would overflow the database driver after the event was accepted. The parsers
refuse it up front, naming the field, so nothing of the message is stored. Pure.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

SEQUENCE_MAX = 2**31 - 1
QUANTITY_MAX = 2**31 - 1
# Decimal() also reads "1e19", "NaN" and "Infinity"; a quantity is written out plainly.
PLAIN_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def sequence_number(value: int) -> int:
    """A per-work-order sequence number, 1..SEQUENCE_MAX; ValueError says why not."""
    if not 1 <= value <= SEQUENCE_MAX:
        raise ValueError(f"must be an integer >= 1 and <= {SEQUENCE_MAX}, got {_short(value)}")
    return value


def sequence_text(text: str) -> int:
    """A sequence number written as digits (B2MML `Version`)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(SEQUENCE_MAX)):
        raise ValueError(f"must be an integer >= 1 and <= {SEQUENCE_MAX}, got {_short(text)}")
    return sequence_number(int(text))


def quantity(value: object) -> Decimal:
    """A running total of pieces, 0..QUANTITY_MAX, from a JSON number, a decimal string or
    a sum of quantities already read."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"not a number: {_short(value)}")
    text = value.strip() if isinstance(value, str) else str(value)
    if isinstance(value, str) and not PLAIN_DECIMAL.match(text):
        raise ValueError(f"not a number written plainly (like 12 or 2.5): {_short(value)}")
    try:
        amount = Decimal(text)  # str() of a float is its shortest repr: 0.1 stays 0.1
    except InvalidOperation:
        raise ValueError(f"not a number: {_short(value)}") from None
    if not amount.is_finite() or not 0 <= amount <= QUANTITY_MAX:
        raise ValueError(f"must be a running total >= 0 and <= {QUANTITY_MAX}, got {_short(text)}")
    return amount


def _short(value: object) -> str:
    """The offending value as sent, cut short: it is echoed back in the error."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
