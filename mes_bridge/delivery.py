"""Pushing one outbox message to an MES endpoint, and the pure policy deciding what comes next.

Status-code policy (why, since "4xx" is too coarse):
- 2xx: delivered.
- 408 Request Timeout, 425 Too Early, 429 Too Many Requests, 5xx, connect errors and timeouts:
  retried with exponential backoff and full jitter, never before a `Retry-After`. A read timeout
  is retried too: the MES may have applied the order, and the idempotency key makes the repeat
  harmless.
- 409 Conflict: retried. Under idempotency keys it means "a request with this key is still being
  processed"; the repeat gets the stored answer once it is done.
- 401, 403, 404, 405, 3xx and an unusable URL: dead-lettered at once. They say our endpoint or
  credentials are wrong, not the work order; retrying cannot help and rejecting would bounce a
  good order back to planning. Fix the configuration, then replay.
- any other 4xx (400, 422, 410, 413, 415, ...): rejected: the MES refused this work order; the
  work order goes to REJECTED with the MES's reason and is not retried.
- after `max_attempts` retryable failures: dead-lettered (replayable from the CLI and UI).
"""

from __future__ import annotations

import enum
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from mes_bridge import signing
from mes_bridge.model import PayloadFormat

RETRYABLE_4XX = frozenset({408, 409, 425, 429})
MISCONFIGURED_4XX = frozenset({401, 403, 404, 405})
EXCERPT_CHARS = 500
MISCONFIGURED_PREFIX = "configuration: "


class Verdict(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    REJECTED = "rejected"  # the MES refused the work order: REJECTED state, back to planning
    DEAD_LETTER = "dead_letter"  # give up for now; an operator replays after fixing the cause


@dataclass(frozen=True)
class RetryPolicy:
    """Keep max_delay below the broker's visibility timeout if retries ride on the broker."""

    max_attempts: int = 8
    base_delay: float = 1.0
    max_delay: float = 300.0
    max_retry_after: float = 3600.0


@dataclass(frozen=True)
class OutboundMessage:
    """One outbox row's payload. `message_id` is the idempotency key = webhook-id = BODID."""

    message_id: str
    work_order_id: str
    sequence: int
    format: PayloadFormat
    body: bytes


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str  # whsec_...
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    bearer_token: str | None = None


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one HTTP attempt gave: a status, or a transport error ('connect', 'timeout', ...)."""

    status: int | None
    transport_error: str | None = None
    retry_after: str | None = None
    response_excerpt: str = ""
    elapsed_seconds: float = 0.0


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str
    delay_seconds: float = 0.0  # only for RETRY: wait at least this long before the next try


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent
    or unreadable. A date in the past means 0."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def backoff(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(max_delay, base * 2**(attempt-1))]."""
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** max(0, attempt - 1))
    return rng.uniform(0.0, ceiling)


def decide(
    outcome: DeliveryOutcome,
    attempt: int,
    policy: RetryPolicy = RetryPolicy(),
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Decision:
    """What to do after attempt number `attempt` (1-based) ended with `outcome`. Pure given rng."""
    status = outcome.status
    if status is not None and 200 <= status < 300:
        return Decision(Verdict.DELIVERED, f"HTTP {status}")
    label = f"HTTP {status}" if status is not None else f"transport: {outcome.transport_error}"
    detail = f"{label}: {outcome.response_excerpt}".rstrip(": ")
    if _misconfigured(outcome):
        return Decision(Verdict.DEAD_LETTER, f"endpoint misconfigured? {detail}")
    if status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX:
        return Decision(Verdict.REJECTED, detail)
    if attempt >= policy.max_attempts:
        return Decision(Verdict.DEAD_LETTER, f"gave up after {attempt} attempts; last {detail}")
    delay = backoff(attempt, policy, rng or random.Random())
    waited = parse_retry_after(outcome.retry_after, now or datetime.now(UTC))
    if waited is not None:
        delay = max(delay, min(waited, policy.max_retry_after))
    return Decision(Verdict.RETRY, detail, delay)


def _misconfigured(outcome: DeliveryOutcome) -> bool:
    status = outcome.status
    if status is None:
        return (outcome.transport_error or "").startswith(MISCONFIGURED_PREFIX)
    return status < 200 or 300 <= status < 400 or status in MISCONFIGURED_4XX


def request_headers(
    endpoint: Endpoint, message: OutboundMessage, timestamp: int | None = None
) -> dict[str, str]:
    headers = {
        "Content-Type": message.format.content_type + "; charset=utf-8",
        "Idempotency-Key": message.message_id,
        "X-C2M-Work-Order": message.work_order_id,
        "X-C2M-Sequence": str(message.sequence),
        "X-C2M-Payload-Format": message.format.value,
        "User-Agent": "c2m-mes-bridge/1",
        **signing.sign_headers(endpoint.secret, message.message_id, message.body, timestamp),
    }
    if endpoint.bearer_token:
        headers["Authorization"] = f"Bearer {endpoint.bearer_token}"
    return headers


def push(
    endpoint: Endpoint, message: OutboundMessage, session: requests.Session | None = None
) -> DeliveryOutcome:
    """POST the message once; never raises for network trouble (it becomes the outcome)."""
    started = time.monotonic()
    http = session or requests
    try:
        response = http.post(
            endpoint.url,
            data=message.body,
            headers=request_headers(endpoint, message),
            timeout=(endpoint.connect_timeout, endpoint.read_timeout),
            allow_redirects=False,
        )
    except requests.ConnectTimeout:
        return _failed("connect timeout", started)
    except requests.ReadTimeout:
        return _failed("read timeout", started)
    except requests.ConnectionError as error:
        return _failed(f"connection: {type(error).__name__}", started)
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        requests.exceptions.InvalidHeader,
    ) as error:
        return _failed(f"{MISCONFIGURED_PREFIX}{type(error).__name__}: {error}", started)
    except requests.RequestException as error:
        return _failed(f"{type(error).__name__}: {error}", started)
    return DeliveryOutcome(
        status=response.status_code,
        retry_after=response.headers.get("Retry-After"),
        response_excerpt=response.text[:EXCERPT_CHARS],
        elapsed_seconds=time.monotonic() - started,
    )


def _failed(error: str, started: float) -> DeliveryOutcome:
    return DeliveryOutcome(
        status=None, transport_error=error, elapsed_seconds=time.monotonic() - started
    )
