from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from mes_bridge.delivery import (
    DeliveryOutcome,
    RetryPolicy,
    Verdict,
    backoff,
    decide,
    parse_retry_after,
)

NOW = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=5, base_delay=2.0, max_delay=60.0, max_retry_after=600.0)


def decision(
    status: int | None, attempt: int = 1, retry_after: str | None = None, error: str | None = None
):
    outcome = DeliveryOutcome(status, error, retry_after, "body says why")
    return decide(outcome, attempt, POLICY, random.Random(1), NOW)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_delivered(status):
    assert decision(status).verdict is Verdict.DELIVERED


@pytest.mark.parametrize("status", [400, 410, 413, 415, 422])
def test_a_4xx_about_the_work_order_is_rejected_with_the_mes_reason_and_not_retried(status):
    result = decision(status)
    assert result.verdict is Verdict.REJECTED and "body says why" in result.reason


@pytest.mark.parametrize("status", [401, 403, 404, 405, 301, 307])
def test_a_misconfigured_endpoint_goes_to_the_dead_letter_queue_at_once(status):
    assert decision(status).verdict is Verdict.DEAD_LETTER


@pytest.mark.parametrize(
    "status,error",
    [
        (500, None),
        (502, None),
        (503, None),
        (408, None),
        (409, None),
        (425, None),
        (429, None),
        (None, "connect"),
        (None, "read timeout"),
    ],
)
def test_transient_failures_are_retried(status, error):
    assert decision(status, error=error).verdict is Verdict.RETRY


def test_after_the_last_attempt_a_retryable_failure_is_dead_lettered():
    assert decision(503, attempt=4).verdict is Verdict.RETRY
    last = decision(503, attempt=5)
    assert last.verdict is Verdict.DEAD_LETTER and "after 5 attempts" in last.reason


def test_backoff_is_full_jitter_under_an_exponential_ceiling():
    rng = random.Random(5)
    for attempt in range(1, 10):
        ceiling = min(60.0, 2.0 * 2 ** (attempt - 1))
        draws = [backoff(attempt, POLICY, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > ceiling * 0.8 and min(draws) < ceiling * 0.2


def test_retry_after_in_seconds_is_a_floor_for_the_delay():
    assert decision(429, retry_after="30").delay_seconds >= 30


def test_retry_after_as_an_http_date_is_honoured():
    assert decision(503, retry_after="Sun, 22 Nov 2026 05:02:00 GMT").delay_seconds >= 120


def test_an_absurd_retry_after_is_capped_by_the_policy():
    assert decision(429, retry_after="86400").delay_seconds == 600


@pytest.mark.parametrize(
    "header,seconds",
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Sun, 22 Nov 2026 04:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
        ("", None),
    ],
)
def test_retry_after_parsing(header, seconds):
    assert parse_retry_after(header, NOW) == seconds


def test_an_unusable_endpoint_url_is_dead_lettered_without_retries():
    from mes_bridge.delivery import Endpoint, OutboundMessage, push
    from mes_bridge.model import PayloadFormat

    message = OutboundMessage("m-1", "WO-1", 1, PayloadFormat.JSON, b"{}")
    outcome = push(Endpoint("mes.example/work-orders", "whsec_" + "AAAA"), message)
    assert outcome.status is None
    assert decide(outcome, 1, POLICY).verdict is Verdict.DEAD_LETTER
