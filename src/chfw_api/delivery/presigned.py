"""Single-alert requests made ready when their claim arrives, a claim's worth at a time.

Hashing a kilobyte of XML costs about 5 us in a loop of its own and 15-20 us interleaved with
the HTTP client, which evicts it from the CPU caches each time (bench/delivery.py). So the
worker signs a claim's single-alert requests in one loop as the claim arrives. The
`webhook-timestamp` is then the claim's time, not the send's: a request still unsent
`RESIGN_AFTER_SECONDS` after it was signed (by the clock) is signed again, as is one whose
endpoint's secrets changed in between, so receivers see timestamps well inside the usual
five-minute tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from chfw_api.delivery import signing
from chfw_api.domain.subscriptions import DueDelivery

RESIGN_AFTER_SECONDS = 30
BodySigner = Callable[[bytes], bytes]


class Signed(NamedTuple):
    """One alert as its own request: body and headers, and what they were made with."""

    body: bytes
    headers: dict[str, str]
    timestamp: int
    keys: tuple[bytes, ...]

    def usable(self, keys: tuple[bytes, ...], now: int) -> bool:
        """Still good to send now, to an endpoint holding `keys`."""
        return self.keys is keys and now - self.timestamp <= RESIGN_AFTER_SECONDS


def sign(
    d: DueDelivery, keys: tuple[bytes, ...], timestamp: int, sign_body: BodySigner | None
) -> Signed:
    """The body (signed as DUIS, if configured) and the Standard Webhooks headers over it."""
    body = d.body.encode()
    if sign_body is not None:
        body = sign_body(body)
    return Signed(body, signing.headers(keys, d.alert_id, timestamp, body), timestamp, keys)


def presign(
    d: DueDelivery,
    keys: tuple[bytes, ...],
    batch_size: int,
    timestamp: int,
    sign_body: BodySigner | None,
) -> Signed | None:
    """`sign` at claim time, for an endpoint taking one alert a request; None if it batches,
    has no keys, or the signer fails (the send tries again, and retries a failure)."""
    if batch_size != 1 or not keys:
        return None
    try:
        return sign(d, keys, timestamp, sign_body)
    except Exception:
        return None
