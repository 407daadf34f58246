from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from mes_bridge import signing
from mes_bridge.errors import SignatureMalformed, SignatureStale, SignatureTampered

BODY = b'{"id":"evt-1","kind":"started"}'
NOW = 1_790_000_000


def test_a_signed_body_verifies_and_gives_back_its_id(secret):
    headers = signing.sign_headers(secret, "evt-1", BODY, timestamp=NOW)
    assert signing.verify(secret, headers, BODY, now=NOW + 10) == "evt-1"


def test_the_signature_is_the_standard_webhooks_hmac_over_id_timestamp_and_body(secret):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"evt-1.{NOW}.".encode() + BODY, hashlib.sha256).digest()
    ).decode()
    assert signing.sign(secret, "evt-1", NOW, BODY) == f"v1,{expected}"


def test_header_names_are_case_insensitive(secret):
    headers = {k.title(): v for k, v in signing.sign_headers(secret, "e", BODY, NOW).items()}
    assert signing.verify(secret, headers, BODY, now=NOW) == "e"


def test_a_changed_body_is_tampered(secret):
    headers = signing.sign_headers(secret, "evt-1", BODY, timestamp=NOW)
    with pytest.raises(SignatureTampered):
        signing.verify(secret, headers, BODY.replace(b"started", b"completed"), now=NOW)


def test_a_changed_id_is_tampered(secret):
    headers = signing.sign_headers(secret, "evt-1", BODY, timestamp=NOW)
    headers["webhook-id"] = "evt-2"
    with pytest.raises(SignatureTampered):
        signing.verify(secret, headers, BODY, now=NOW)


def test_a_replay_six_minutes_later_is_stale(secret):
    headers = signing.sign_headers(secret, "evt-1", BODY, timestamp=NOW)
    assert signing.verify(secret, headers, BODY, now=NOW + 299)
    with pytest.raises(SignatureStale):
        signing.verify(secret, headers, BODY, now=NOW + 360)


def test_a_timestamp_from_the_future_is_stale_too(secret):
    headers = signing.sign_headers(secret, "evt-1", BODY, timestamp=NOW + 400)
    with pytest.raises(SignatureStale):
        signing.verify(secret, headers, BODY, now=NOW)


def test_a_replayed_timestamp_cannot_be_refreshed_without_the_key(secret):
    headers = signing.sign_headers(secret, "evt-1", BODY, timestamp=NOW)
    headers["webhook-timestamp"] = str(NOW + 600)
    with pytest.raises(SignatureTampered):
        signing.verify(secret, headers, BODY, now=NOW + 600)


def test_one_matching_signature_among_several_is_enough_for_key_rotation(secret):
    old = signing.new_secret()
    headers = signing.sign_headers(secret, "evt-1", BODY, timestamp=NOW)
    headers["webhook-signature"] = (
        f"{signing.sign(old, 'evt-1', NOW, BODY)} " + headers["webhook-signature"]
    )
    assert signing.verify(secret, headers, BODY, now=NOW) == "evt-1"


@pytest.mark.parametrize(
    "broken,message",
    [
        ({"webhook-id": ""}, "missing header webhook-id"),
        ({"webhook-timestamp": "yesterday"}, "not integer seconds"),
        ({"webhook-signature": "v2,abc"}, "no v1 signature"),
    ],
)
def test_malformed_headers_say_what_is_wrong(secret, broken, message):
    headers = {**signing.sign_headers(secret, "evt-1", BODY, timestamp=NOW), **broken}
    with pytest.raises(SignatureMalformed, match=message):
        signing.verify(secret, headers, BODY, now=NOW)


def test_a_secret_without_the_whsec_prefix_is_malformed():
    with pytest.raises(SignatureMalformed, match="whsec_"):
        signing.sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "evt-1", NOW, BODY)
