"""Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 over
"<webhook-id>.<webhook-timestamp>.<body>", sent as `webhook-signature: v1,<base64>`; the secret is
`whsec_<base64 key>`. Several space-separated signatures may be present (key rotation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

from mes_bridge.errors import SignatureMalformed, SignatureStale, SignatureTampered

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def new_secret() -> str:
    """A fresh random secret in the `whsec_` form (24 bytes of key)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise SignatureMalformed(f"secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise SignatureMalformed("secret is not valid base64 after 'whsec_'") from None
    if not key:
        raise SignatureMalformed("secret key is empty")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of body for this id and timestamp."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(
    secret: str, message_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The three webhook headers for sending `body` now (or at `timestamp`)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: sign(secret, message_id, stamp, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {key.lower(): value for key, value in headers.items()}
    value = lowered.get(name)
    if not value:
        raise SignatureMalformed(f"missing header {name}")
    return value


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Check the signature of an incoming request and return its webhook-id.

    Raises SignatureMalformed (headers/secret unreadable), SignatureStale (timestamp more than
    `tolerance` seconds from now, either way: a replay or a skewed clock) or SignatureTampered
    (no signature matches). De-duplication by the returned id is the caller's job.
    """
    message_id = _header(headers, ID_HEADER)
    stamp = _fresh_timestamp(headers, time.time() if now is None else now, tolerance)
    expected = sign(secret, message_id, stamp, body).encode()
    offered = _header(headers, SIGNATURE_HEADER).split()
    versioned = [s for s in offered if s.startswith("v1,")]
    if not versioned:
        raise SignatureMalformed(f"{SIGNATURE_HEADER} has no v1 signature")
    # Compare against every offered signature so timing never says which one nearly matched.
    matched = False
    for candidate in versioned:
        matched |= hmac.compare_digest(candidate.encode(), expected)
    if not matched:
        raise SignatureTampered("no v1 signature matches the id, timestamp and body")
    return message_id


def _fresh_timestamp(headers: Mapping[str, str], now: float, tolerance: int) -> int:
    text = _header(headers, TIMESTAMP_HEADER)
    if not text.isdigit():
        raise SignatureMalformed(f"{TIMESTAMP_HEADER} is not integer seconds: {text!r}")
    stamp = int(text)
    if abs(now - stamp) > tolerance:
        raise SignatureStale(
            f"timestamp {stamp} is {int(now - stamp)} s from now (allowed ±{tolerance} s)"
        )
    return stamp
