"""Standard Webhooks signatures: checked by independent verifiers (the `standardwebhooks`
reference package and Svix's), across a secret rotation, and by a from-the-spec recomputation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
import standardwebhooks
import svix.webhooks
from hypothesis import given, settings
from hypothesis import strategies as st

from chfw_api.delivery import signing

BODY = b"<?xml version='1.0' encoding='UTF-8'?>\n<sr:Response>caf\xc3\xa9</sr:Response>"
ALERT_ID = "90-B3-D5-1F-30-00-00-02:90-B3-D5-1F-30-01-00-00:17"


def _send(secrets: list[str], body: bytes = BODY, msg_id: str = ALERT_ID) -> dict[str, str]:
    keys = [signing.secret_key(s) for s in secrets]
    return signing.headers(keys, msg_id, int(time.time()), body)


def test_new_secret_is_whsec_and_24_to_64_random_bytes() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(signing.secret_key(secret)) == 32
    assert signing.new_secret() != secret
    for n in (24, 64):
        assert len(signing.secret_key(signing.new_secret(n))) == n
    with pytest.raises(ValueError):
        signing.new_secret(16)
    with pytest.raises(ValueError):
        signing.secret_key("not-a-whsec")


def test_reference_and_svix_verifiers_accept_our_signature() -> None:
    # covers: X4
    secret = signing.new_secret()
    headers = _send([secret])
    assert headers["content-type"] == "application/xml"
    assert headers["webhook-id"] == ALERT_ID
    standardwebhooks.Webhook(secret).verify(BODY, headers, json_parse=False)
    svix.webhooks.Webhook(secret).verify(BODY, headers)


def test_a_tampered_body_or_id_or_other_secret_is_refused() -> None:
    secret = signing.new_secret()
    headers = _send([secret])
    for body, hdrs, key in (
        (BODY + b" ", headers, secret),
        (BODY, {**headers, "webhook-id": ALERT_ID + "9"}, secret),
        (BODY, headers, signing.new_secret()),
    ):
        with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
            standardwebhooks.Webhook(key).verify(body, hdrs, json_parse=False)
        with pytest.raises(svix.webhooks.WebhookVerificationError):
            svix.webhooks.Webhook(key).verify(body, hdrs)


def test_during_rotation_both_secrets_verify() -> None:
    # covers: X4
    old, new = signing.new_secret(), signing.new_secret()
    headers = _send([new, old])
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (old, new):
        standardwebhooks.Webhook(secret).verify(BODY, headers, json_parse=False)
        svix.webhooks.Webhook(secret).verify(BODY, headers)


@settings(max_examples=50, deadline=None)
@given(body=st.binary(max_size=2000), n_bytes=st.integers(24, 64), ts=st.integers(0, 2**40))
def test_signature_is_hmac_sha256_of_id_timestamp_body(body: bytes, n_bytes: int, ts: int) -> None:
    """Recomputed from the specification's text, independently of our module."""
    secret = signing.new_secret(n_bytes)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{ALERT_ID}.{ts}.".encode() + body, hashlib.sha256).digest()
    header = signing.signature_header([signing.secret_key(secret)], ALERT_ID, ts, body)
    version, sig = header.split(",")
    assert version == "v1" and base64.b64decode(sig) == expected


@settings(max_examples=60, deadline=None)
@given(key=st.binary(max_size=200), body=st.binary(max_size=3000), ts=st.integers(0, 2**40))
def test_any_key_length_signs_as_the_standard_hmac(key: bytes, body: bytes, ts: int) -> None:
    """The prepared pads (`signing._pads`) give RFC 2104's HMAC for keys shorter and longer
    than SHA-256's 64-byte block, and the same key twice (cached) gives the same answer."""
    expected = hmac.new(key, f"{ALERT_ID}.{ts}.".encode() + body, hashlib.sha256).digest()
    for _ in range(2):
        version, sig = signing.signature(key, ALERT_ID, ts, body).split(",")
        assert version == "v1" and base64.b64decode(sig) == expected
