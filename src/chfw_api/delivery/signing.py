"""Standard Webhooks signatures (https://www.standardwebhooks.com/), pure functions.

`webhook-signature` is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the base64
*decoded* bytes of the `whsec_` secret. During a rotation both secrets sign and the header
carries both signatures, space-separated: a receiver accepts the message if any one verifies,
so it can switch secrets whenever it likes within the overlap.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence

from chfw_api.domain.subscriptions import SECRET_BYTES, SECRET_PREFIX, new_secret

__all__ = ["SECRET_BYTES", "new_secret"]  # made in the domain, for the subscription use cases


def secret_key(secret: str) -> bytes:
    """The HMAC key: the bytes the `whsec_` secret encodes."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("webhook secrets start with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,...` signature of `msg_id.timestamp.body`."""
    mac = hmac.digest(key, f"{msg_id}.{timestamp}.".encode() + body, "sha256")
    return "v1," + base64.b64encode(mac).decode()


def signature_header(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one signature per valid key, space-separated."""
    return " ".join(signature(k, msg_id, timestamp, body) for k in keys)


def headers(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers and the XML content type for one POST."""
    return {
        "content-type": "application/xml",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(keys, msg_id, timestamp, body),
    }
