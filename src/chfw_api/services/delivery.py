"""How stored alerts reach Service Users: the worker's claim and record steps (push), dead
letters and replay, per-endpoint counts, and the pull feed. One transaction per use case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from chfw_api.domain.identifiers import normalise_eui64
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.subscriptions import (
    DeadLetter,
    DueDelivery,
    EndpointStats,
    EndpointTarget,
    FeedItem,
    FeedPage,
    Outcome,
)
from chfw_api.services.unit_of_work import UnitOfWork

BodySigner = Callable[[bytes], bytes]
"""Signs one alert document (XMLDSig with the DCC key); None while no key is configured."""

GONE_REASON = "endpoint answered 410 Gone and was disabled"
MAX_PAGE = 1000


# ---------------------------------------------------------------------- the worker's steps


@dataclass(frozen=True)
class Claim:
    deliveries: list[DueDelivery]
    targets: dict[int, EndpointTarget]


def claim_due(
    uow: UnitOfWork,
    *,
    now: datetime,
    lease_seconds: float,
    token: str,
    limit: int,
    per_endpoint: int,
    exclude: Sequence[int] = (),
) -> Claim:
    """Lease due deliveries to one worker (token), with where and how to send each."""
    with uow:
        deliveries = uow.deliveries.claim(
            now=now,
            lease_until=now + timedelta(seconds=lease_seconds),
            token=token,
            limit=limit,
            per_endpoint=per_endpoint,
            exclude=exclude,
        )
        targets = uow.subscriptions.targets(sorted({d.endpoint_id for d in deliveries}), now=now)
        uow.commit()
    return Claim(deliveries, targets)


def record_outcomes(
    uow: UnitOfWork,
    *,
    outcomes: Sequence[Outcome],
    gone: Sequence[int] = (),
    now: datetime,
    token: str,
) -> list[int]:
    """Store what happened to claimed deliveries; disable endpoints that answered 410 and
    dead-letter what they still had pending. Returns the endpoints disabled."""
    with uow:
        uow.deliveries.record(outcomes, now=now, token=token)
        disabled = uow.subscriptions.disable_gone(gone, reason=GONE_REASON, now=now)
        if disabled:
            uow.deliveries.kill_pending(disabled, reason=GONE_REASON, now=now)
            uow.audit.append(
                [
                    AuditRecord(
                        at=now,
                        actor="delivery-worker",
                        action="webhook.endpoint_disabled",
                        subject=f"webhook-endpoint:{endpoint_id}",
                        reason=GONE_REASON,
                    )
                    for endpoint_id in disabled
                ]
            )
        uow.commit()
    return disabled


# ---------------------------------------------------------------------- dead letters


@dataclass(frozen=True)
class DeadLetterFilter:
    endpoint_id: int | None = None
    party: str | None = None  # DCC only: a supplier's User ID
    since: datetime | None = None  # when the alert was raised, inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class _Scope:
    party_id: int | None
    endpoint_id: int | None
    since: datetime | None
    until: datetime | None


def _scope(uow: UnitOfWork, caller: Caller, f: DeadLetterFilter) -> _Scope:
    """The filter as repository arguments, confined to the caller's own endpoints (X2)."""
    caller.require(PartyKind.SUPPLIER, PartyKind.DCC)
    if f.since is not None and f.until is not None and f.since >= f.until:
        raise ValidationFailed(
            "empty time window", problems=[Problem("since must be before until", field="since")]
        )
    party_id: int | None = None
    if not caller.is_dcc:
        party_id = caller.party_id
    elif f.party is not None:
        owner = uow.parties.get_by_code(normalise_eui64(f.party, what="User ID"))
        party_id = owner.id if owner is not None else -1
    if f.endpoint_id is not None:
        endpoint = uow.subscriptions.get(f.endpoint_id)
        if endpoint is None or (party_id is not None and endpoint.party_id != party_id):
            raise NotFound(f"webhook endpoint {f.endpoint_id} not found")
    return _Scope(party_id, f.endpoint_id, f.since, f.until)


def list_dead_letters(
    uow: UnitOfWork, *, caller: Caller, filter: DeadLetterFilter, after: int = 0, limit: int = 100
) -> list[DeadLetter]:
    with uow:
        s = _scope(uow, caller, filter)
        return uow.deliveries.dead_letters(
            party_id=s.party_id,
            endpoint_id=s.endpoint_id,
            since=s.since,
            until=s.until,
            after=after,
            limit=max(1, min(limit, MAX_PAGE)),
        )


def _audit_replay(uow: UnitOfWork, at: datetime, caller: Caller, subject: str, n: int) -> None:
    uow.audit.append(
        [
            AuditRecord(
                at=at,
                actor=caller.code,
                action="webhook.replayed",
                subject=subject,
                after={"deliveries": n},
            )
        ]
    )


def replay_dead_letter(uow: UnitOfWork, clock: Clock, *, caller: Caller, delivery_id: int) -> int:
    """Send one dead delivery again (same alert ID), from the first attempt of the schedule."""
    with uow:
        party_id = _scope(uow, caller, DeadLetterFilter()).party_id
        found = uow.deliveries.dead_letters(party_id=party_id, delivery_id=delivery_id, limit=1)
        if not found:
            raise NotFound(f"dead letter {delivery_id} not found")
        now = clock.now()
        n = uow.deliveries.replay(now=now, party_id=party_id, delivery_id=delivery_id)
        if n == 0:
            raise Conflict(
                f"webhook endpoint {found[0].endpoint_id} is disabled; enable it, then replay"
            )
        _audit_replay(uow, now, caller, f"delivery:{delivery_id}", n)
        uow.commit()
    return n


def replay_dead_letters(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, filter: DeadLetterFilter
) -> int:
    """Send again every dead delivery in the caller's scope whose alert was raised in the
    window (disabled endpoints' ones stay dead). Returns how many."""
    if filter.since is None or filter.until is None:
        raise ValidationFailed(
            "a replay names its time window",
            problems=[Problem("give both since and until", field="since")],
        )
    with uow:
        s = _scope(uow, caller, filter)
        now = clock.now()
        n = uow.deliveries.replay(
            now=now, party_id=s.party_id, endpoint_id=s.endpoint_id, since=s.since, until=s.until
        )
        subject = f"webhook-endpoint:{filter.endpoint_id}" if filter.endpoint_id else "webhooks"
        _audit_replay(uow, now, caller, subject, n)
        uow.commit()
    return n


# ---------------------------------------------------------------------- observability


def endpoint_stats(uow: UnitOfWork, *, caller: Caller) -> list[EndpointStats]:
    """DCC: every endpoint; a supplier: its own."""
    caller.require(PartyKind.SUPPLIER, PartyKind.DCC)
    with uow:
        return uow.subscriptions.stats(party_id=None if caller.is_dcc else caller.party_id)


# ---------------------------------------------------------------------- pull feed


_MAX_CURSOR = 2**63 - 1  # the alerts' BIGINT id


def _parse_cursor(value: str, field: str) -> int:
    # isdigit() alone admits '²' and other Unicode digits int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) > _MAX_CURSOR:
        raise ValidationFailed(
            "invalid cursor", problems=[Problem(f"{value!r} is not a feed cursor", field=field)]
        )
    return int(value)


def feed_page(
    uow: UnitOfWork,
    *,
    caller: Caller,
    after: str | None,
    limit: int,
    codes: Sequence[str] = (),
    sign_body: BodySigner | None = None,
) -> FeedPage:
    """The caller's alerts after `after` (default: after its acknowledged cursor), oldest
    first, each as the same XML a webhook would carry."""
    caller.require(PartyKind.SUPPLIER)
    with uow:
        acknowledged = uow.feed.acknowledged(caller.party_id)
        start = acknowledged if after is None else _parse_cursor(after, "after")
        limit = max(1, min(limit, MAX_PAGE))
        items = uow.feed.page(
            caller.party_id, after=start, limit=limit + 1, codes=[c.upper() for c in codes]
        )
    has_more = len(items) > limit
    items = items[:limit]
    if sign_body is not None:
        items = [
            FeedItem(i.cursor, i.alert_id, i.code, i.created_at, sign_body(i.xml.encode()).decode())
            for i in items
        ]
    next_cursor = items[-1].cursor if items else start
    return FeedPage(items, next_cursor, has_more, acknowledged)


def acknowledge_feed(uow: UnitOfWork, clock: Clock, *, caller: Caller, cursor: str) -> int:
    """Everything up to `cursor` is consumed; the feed starts after it by default. The cursor
    only moves forward and cannot pass the caller's newest alert."""
    caller.require(PartyKind.SUPPLIER)
    position = _parse_cursor(cursor, "cursor")
    with uow:
        if position > uow.feed.last_cursor(caller.party_id):
            raise ValidationFailed(
                "cursor beyond the feed",
                problems=[Problem(f"no alert of yours has cursor {cursor}", field="cursor")],
            )
        acknowledged = uow.feed.acknowledge(caller.party_id, position, now=clock.now())
        uow.commit()
    return acknowledged
