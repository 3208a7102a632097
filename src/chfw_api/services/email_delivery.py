"""Sending the email outbox (issue #14), like webhook delivery: claim due messages under a
lease (one transaction), send them (no transaction open), record each outcome (another), with
the webhooks' retry policy, dead letters and replay.

A message the server refused permanently (5xx) is dead at once; anything else waits for its
retry. A worker that dies mid-send leaves its rows leased; when the lease runs out any worker
sends them again, with the same Message-ID (at least once).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.email_outbox import ClaimedEmail, EmailAttempt, EmailRecord, EmailState
from chfw_api.domain.retry import RetryPolicy
from chfw_api.services.unit_of_work import UnitOfWork


class SendOutcome(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def error(self) -> str | None: ...
    @property
    def permanent(self) -> bool: ...


Send = Callable[[Sequence[ClaimedEmail]], Sequence[SendOutcome]]


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0


def send_due_emails(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    send: Send,
    *,
    policy: RetryPolicy,
    rng: random.Random,
    claim_size: int = 200,
    lease: timedelta = timedelta(minutes=2),
    max_claims: int = 100,
) -> SendReport:
    """Send the emails due now, a claim at a time, until none is left (or `max_claims`)."""
    total = SendReport()
    for _ in range(max_claims):
        token = secrets.token_hex(8)
        with uow_factory() as uow:
            claimed = uow.emails.claim(clock.now(), limit=claim_size, lease=lease, token=token)
            uow.commit()
        if not claimed:
            return total
        results = send(claimed)
        now = clock.now()
        attempts = [_attempt(c, r, policy, rng, now) for c, r in zip(claimed, results, strict=True)]
        with uow_factory() as uow:
            uow.emails.record(attempts, token=token, now=now)
            uow.commit()
        total = SendReport(
            total.sent + sum(a.sent for a in attempts),
            total.retrying + sum(a.retry_at is not None for a in attempts),
            total.dead + sum(not a.sent and a.retry_at is None for a in attempts),
        )
    return total


def _attempt(
    claimed: ClaimedEmail,
    result: SendOutcome,
    policy: RetryPolicy,
    rng: random.Random,
    now: datetime,
) -> EmailAttempt:
    if result.error is None:
        return EmailAttempt(claimed.id)
    if result.permanent:
        return EmailAttempt(claimed.id, f"{result.error} (permanent)")
    delay = policy.delay(claimed.attempts + 1, rng, None)
    if delay is None:
        error = f"{result.error}; gave up after {policy.max_attempts} attempts"
        return EmailAttempt(claimed.id, error)
    return EmailAttempt(claimed.id, result.error, now + timedelta(seconds=delay))


def dead_letters(uow: UnitOfWork, *, party_id: int | None = None) -> list[EmailRecord]:
    with uow:
        return uow.emails.records(state=EmailState.DEAD, party_id=party_id)


def replay_dead_letters(
    uow: UnitOfWork, clock: Clock, *, ids: Sequence[int] | None, actor: str
) -> int:
    """Dead letters (all, or those named) pending again, due now, same Message-ID."""
    now = clock.now()
    with uow:
        count = uow.emails.replay(ids, now)
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=actor,
                    action="email.replay",
                    subject="email-outbox",
                    reason="dead letters replayed",
                    after={"count": count, "ids": list(ids) if ids is not None else "all"},
                )
            ]
        )
        uow.commit()
    return count
