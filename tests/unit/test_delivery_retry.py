"""What an attempt means and when the next one comes: pure policy, fake time, seeded jitter."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain.retry import (
    DEFAULT_SCHEDULE,
    HttpResult,
    RetryPolicy,
    Verdict,
    judge,
    parse_retry_after,
)
from chfw_api.domain.subscriptions import OutcomeKind

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_only_2xx_acknowledges(status: int) -> None:
    assert judge(HttpResult(status), NOW).verdict is Verdict.ACKNOWLEDGED


@pytest.mark.parametrize(
    ("result", "wide", "text"),
    [
        (HttpResult(None, "timed out after 10s"), True, "timed out"),
        (HttpResult(500), True, "HTTP 500"),
        (HttpResult(503), True, "HTTP 503"),
        (HttpResult(429), True, "HTTP 429"),
        (HttpResult(301, location="http://elsewhere/"), True, "redirect to http://elsewhere/"),
        (HttpResult(307), True, "not followed"),
        (HttpResult(400), False, "HTTP 400"),
        (HttpResult(401), False, "HTTP 401"),
        (HttpResult(404), False, "HTTP 404"),
        (HttpResult(100), False, "HTTP 100"),
    ],
)
def test_failures_say_what_went_wrong_and_whether_the_endpoint_is_down(
    result: HttpResult, wide: bool, text: str
) -> None:
    j = judge(result, NOW)
    assert j.verdict is Verdict.FAILED
    assert j.endpoint_wide is wide
    assert j.error is not None and text in j.error


def test_410_gone_disables_and_dead_letters() -> None:
    # covers: X4
    j = judge(HttpResult(410), NOW)
    assert j.verdict is Verdict.GONE
    outcome = RetryPolicy().outcome(1, 0, j, 410, NOW, random.Random(1))
    assert outcome.kind is OutcomeKind.DEAD and "410" in (outcome.error or "")


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after(format_datetime(NOW + timedelta(minutes=5), usegmt=True), NOW) == 300
    assert parse_retry_after(format_datetime(NOW - timedelta(minutes=5), usegmt=True), NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert judge(HttpResult(429, retry_after="42"), NOW).retry_after_s == 42
    assert judge(HttpResult(503, retry_after="42"), NOW).retry_after_s == 42
    assert judge(HttpResult(500, retry_after="42"), NOW).retry_after_s is None


def test_retry_after_is_honoured_but_capped() -> None:
    # covers: X4
    policy = RetryPolicy(jitter=0)
    assert policy.delay(1, random.Random(0), 3600) == 3600  # longer than the schedule: wait
    assert policy.delay(1, random.Random(0), 1) == DEFAULT_SCHEDULE[0]  # never sooner
    assert policy.delay(1, random.Random(0), 10**9) == policy.max_retry_after


def test_the_default_schedule_backs_off_exponentially_over_about_a_day() -> None:
    steps = DEFAULT_SCHEDULE
    assert all(b >= a for a, b in itertools.pairwise(steps))
    assert steps[1] / steps[0] >= 2
    total = sum(steps)
    assert timedelta(hours=18) <= timedelta(seconds=total) <= timedelta(hours=30)


def test_walking_the_schedule_ends_in_a_dead_letter() -> None:
    # covers: X4
    policy = RetryPolicy()
    rng = random.Random(7)
    failed = judge(HttpResult(500), NOW)
    now = NOW
    kinds = []
    for attempts_before in range(policy.max_attempts):
        outcome = policy.outcome(1, attempts_before, failed, 500, now, rng)
        kinds.append(outcome.kind)
        if outcome.due_at is not None:
            assert outcome.due_at > now
            now = outcome.due_at
    assert kinds == [OutcomeKind.RETRY] * (policy.max_attempts - 1) + [OutcomeKind.DEAD]
    assert policy.max_attempts == 10
    assert timedelta(hours=16) < now - NOW < timedelta(hours=30)


@given(attempt=st.integers(1, len(DEFAULT_SCHEDULE)), seed=st.integers(0, 2**32))
def test_jitter_stays_within_its_band(attempt: int, seed: int) -> None:
    policy = RetryPolicy(jitter=0.2)
    delay = policy.delay(attempt, random.Random(seed), None)
    base = DEFAULT_SCHEDULE[attempt - 1]
    assert delay is not None and 0.8 * base <= delay <= 1.2 * base


def test_a_bad_schedule_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(schedule=())
    with pytest.raises(ValueError):
        RetryPolicy(schedule=(10, -1))
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)
