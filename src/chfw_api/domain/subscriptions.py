"""Webhook subscriptions and deliveries: the values and rules, with no I/O.

A Service User registers endpoints (a URL and the alert codes it wants). Every stored alert
fans out into one delivery per matching endpoint; a delivery is pending until a 2xx
acknowledges it, or dead once its retries are exhausted (and then replayable, X4).
"""

from __future__ import annotations

import base64
import enum
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from chfw_api.domain.alerts import TYPE_BY_CODE
from chfw_api.domain.errors import Problem

ALL_CODES = "*"
"""The code an endpoint lists to receive every alert code, present and future."""

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # Standard Webhooks allows 24 to 64


def new_secret(n_bytes: int = SECRET_BYTES) -> str:
    """A fresh `whsec_` secret from the OS's CSPRNG (a seeded RNG must never make keys)."""
    if not 24 <= n_bytes <= 64:
        raise ValueError("Standard Webhooks secrets are 24 to 64 random bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(n_bytes)).decode()


MAX_BATCH_SIZE = 1000
MAX_CODES = 50
_CODE = re.compile(r"AD1|N[0-9]{1,3}")


class EndpointStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # by its owner, or by a 410 Gone from the endpoint itself


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


def known_codes(activation_code: str) -> frozenset[str]:
    """The alert codes the service sends: N70-N83 and the configured per-hub code (N63)."""
    return frozenset(TYPE_BY_CODE) - {"N63"} | {activation_code}


def check_codes(
    codes: Iterable[str], known: frozenset[str]
) -> tuple[tuple[str, ...], list[Problem]]:
    """Normalised (upper case, sorted, unique) codes and the problems with them (X5)."""
    wanted = sorted({c.strip().upper() for c in codes})
    problems: list[Problem] = []
    if not wanted:
        problems.append(Problem("list at least one alert code, or '*' for all", field="codes"))
    if len(wanted) > MAX_CODES:
        problems.append(Problem(f"at most {MAX_CODES} codes", field="codes"))
    if ALL_CODES in wanted and len(wanted) > 1:
        problems.append(Problem("'*' already means every code; list it alone", field="codes"))
    for code in wanted:
        if code != ALL_CODES and (_CODE.fullmatch(code) is None or code not in known):
            problems.append(
                Problem(
                    f"{code!r} is not an alert code this service sends "
                    f"(one of {', '.join(sorted(known))}, or '*')",
                    field="codes",
                )
            )
    return tuple(wanted), problems


def check_batch_size(batch_size: int) -> list[Problem]:
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        return [Problem(f"must be 1 to {MAX_BATCH_SIZE}", field="batch_size")]
    return []


@dataclass(frozen=True)
class Endpoint:
    """A registered endpoint as its owner and DCC see it (the secrets are never shown again)."""

    id: int
    party_id: int
    party_code: str
    url: str
    codes: tuple[str, ...]
    batch_size: int
    status: EndpointStatus
    description: str
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class EndpointTarget:
    """What a worker needs to send to one endpoint: where, how to sign, how many per POST."""

    id: int
    url: str
    secrets: tuple[str, ...]  # current first; the previous one while its overlap lasts
    batch_size: int


class DueDelivery(NamedTuple):
    """A claimed delivery: one alert's stored XML for one endpoint. (Named tuples here and in
    `Outcome`: a worker makes one of each per alert, thousands a second.)"""

    delivery_id: int
    endpoint_id: int
    attempts: int  # made before this one
    alert_id: str
    body: str
    traceparent: str | None = None  # the W3C context the alert was queued in, if traced


class OutcomeKind(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"
    RELEASED = "released"  # not attempted (worker stopping, lease running out): due again now


class Outcome(NamedTuple):
    """What became of one claimed delivery; the worker records these in batches."""

    delivery_id: int
    kind: OutcomeKind
    status: int | None = None
    error: str | None = None
    due_at: datetime | None = None  # RETRY: the next attempt


@dataclass(frozen=True)
class DeadLetter:
    delivery_id: int
    endpoint_id: int
    party_code: str
    alert_id: str
    code: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    dead_at: datetime | None
    replays: int


LATENCY_BUCKETS_MS: tuple[int, ...] = (
    50,
    100,
    250,
    500,
    1_000,
    2_500,
    5_000,
    10_000,
    30_000,
    60_000,
    300_000,
    1_800_000,
    3_600_000,
    21_600_000,
    86_400_000,
)
"""Upper bounds of the delivery-latency histogram (alert raised -> acknowledged)."""


@dataclass(frozen=True)
class EndpointStats:
    """Per endpoint: pending = never tried yet (or in flight), failed = awaiting a retry."""

    endpoint_id: int
    party_code: str
    url: str
    status: EndpointStatus
    pending: int
    failed: int
    delivered: int
    dead: int
    oldest_pending_at: datetime | None
    latency_count: int
    latency_sum_ms: int
    latency_buckets: tuple[int, ...]  # cumulative counts per LATENCY_BUCKETS_MS bound


@dataclass(frozen=True, slots=True)
class FeedItem:
    cursor: int
    alert_id: str
    code: str
    created_at: datetime
    xml: str


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next_cursor: int
    has_more: bool
    acknowledged: int
