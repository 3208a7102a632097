"""What an HTTP attempt means and when to try again: pure policy, no I/O, time and randomness
passed in.

Only a 2xx acknowledges. A 410 Gone disables the endpoint. Anything else is retried on an
exponential schedule with jitter (about a day by default) and the delivery goes dead once the
schedule is exhausted. `Retry-After` on 429/503 is honoured: the next attempt is never sooner
than the receiver asked (capped, so a bogus header cannot park an alert for a year).

Failures that say "this endpoint is not taking requests now" (no connection, timeout, 5xx, 429,
3xx) are *endpoint-wide*: the worker applies the same outcome to the alerts queued behind the
failed one instead of sending each into the same wall, which is what keeps one dead endpoint
from tying up a worker (and from being hammered).
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from chfw_api.domain.subscriptions import Outcome, OutcomeKind

DEFAULT_SCHEDULE: tuple[float, ...] = (10, 30, 90, 270, 810, 2430, 7290, 21870, 43200)
"""Seconds before retry 1, 2, ...: x3 each time, capped at 12 h; about 21 h in all, so with
jitter and the first attempt a delivery is given up after about a day (10 attempts)."""


@dataclass(frozen=True, slots=True)
class HttpResult:
    """What one POST produced: a status (and the headers that matter) or a transport error."""

    status: int | None
    error: str | None = None  # set when there was no HTTP response
    retry_after: str | None = None
    location: str | None = None


class Verdict(enum.StrEnum):
    ACKNOWLEDGED = "acknowledged"
    GONE = "gone"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    error: str | None = None
    endpoint_wide: bool = False
    retry_after_s: float | None = None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def judge(result: HttpResult, now: datetime) -> Judgement:
    status = result.status
    if status is None:
        return Judgement(Verdict.FAILED, result.error or "no response", endpoint_wide=True)
    if 200 <= status < 300:
        return Judgement(Verdict.ACKNOWLEDGED)
    if status == 410:
        return Judgement(Verdict.GONE, "HTTP 410 Gone: the endpoint was disabled")
    if 300 <= status < 400:
        where = f" to {result.location[:200]}" if result.location else ""
        return Judgement(
            Verdict.FAILED, f"HTTP {status}: redirect{where} not followed", endpoint_wide=True
        )
    retry_after = parse_retry_after(result.retry_after, now) if status in (429, 503) else None
    wide = status == 429 or status >= 500 or status == 408
    return Judgement(
        Verdict.FAILED, f"HTTP {status}", endpoint_wide=wide, retry_after_s=retry_after
    )


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = 0.2  # each delay is drawn from +-20% around the schedule
    max_retry_after: float = 86_400.0

    def __post_init__(self) -> None:
        if not self.schedule or any(d <= 0 for d in self.schedule):
            raise ValueError("a retry schedule is one or more positive delays")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction from 0 to below 1")

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1

    def delay(self, attempts: int, rng: random.Random, retry_after: float | None) -> float | None:
        """Seconds until the next attempt after `attempts` failed ones; None when exhausted."""
        if attempts >= self.max_attempts:
            return None
        base = self.schedule[attempts - 1]
        delay = base * (1 + rng.uniform(-self.jitter, self.jitter))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay

    def outcome(
        self,
        delivery_id: int,
        attempts_before: int,
        judgement: Judgement,
        status: int | None,
        now: datetime,
        rng: random.Random,
    ) -> Outcome:
        """The recorded result of one attempt at one delivery."""
        if judgement.verdict is Verdict.ACKNOWLEDGED:
            return Outcome(delivery_id, OutcomeKind.DELIVERED, status)
        if judgement.verdict is Verdict.GONE:
            return Outcome(delivery_id, OutcomeKind.DEAD, status, judgement.error)
        delay = self.delay(attempts_before + 1, rng, judgement.retry_after_s)
        if delay is None:
            error = f"{judgement.error}; gave up after {self.max_attempts} attempts"
            return Outcome(delivery_id, OutcomeKind.DEAD, status, error)
        due = now + timedelta(seconds=delay)
        return Outcome(delivery_id, OutcomeKind.RETRY, status, judgement.error, due)
