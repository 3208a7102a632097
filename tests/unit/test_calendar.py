"""Calendar-month arithmetic behind BR1.2 (six months' notice) and AD03 (pilot up to six months)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain.calendar import add_months, days_in_month, is_leap_year

moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
)
month_steps = st.integers(min_value=-240, max_value=240)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2025, 8, 31, 9, 30, tzinfo=UTC), 6, datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
        (datetime(2027, 8, 31, tzinfo=UTC), 6, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2025, 1, 31, tzinfo=UTC), 1, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), -1, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2025, 10, 15, tzinfo=UTC), 3, datetime(2026, 1, 15, tzinfo=UTC)),
        (datetime(2025, 1, 15, tzinfo=UTC), -13, datetime(2023, 12, 15, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2025, 5, 31, tzinfo=UTC), 0, datetime(2025, 5, 31, tzinfo=UTC)),
    ],
)
def test_add_months_examples(start: datetime, months: int, expected: datetime) -> None:
    # covers: BR1.2, AD03
    assert add_months(start, months) == expected


def test_leap_years_and_month_lengths() -> None:
    # covers: BR1.2
    assert [is_leap_year(y) for y in (1900, 2000, 2024, 2025)] == [False, True, True, False]
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2025, 2) == 28
    assert days_in_month(2025, 12) == 31
    with pytest.raises(ValueError):
        days_in_month(2025, 13)


@given(moments, month_steps)
def test_lands_in_the_right_month_with_day_clamped(start: datetime, months: int) -> None:
    # covers: BR1.2, AD03
    moved = add_months(start, months)
    assert (moved.year * 12 + moved.month) - (start.year * 12 + start.month) == months
    assert moved.day == min(start.day, days_in_month(moved.year, moved.month))
    assert moved.timetz() == start.timetz()


@given(moments, month_steps, month_steps)
def test_monotonic_in_months(start: datetime, a: int, b: int) -> None:
    # covers: AD03 (comparisons against add_months(start, 6) must be consistent)
    low, high = sorted((a, b))
    assert add_months(start, low) <= add_months(start, high)


@given(moments, moments, st.integers(min_value=0, max_value=24))
def test_monotonic_in_start(x: datetime, y: datetime, months: int) -> None:
    # covers: AD03 (a later pilot start never allows an earlier latest end)
    early, late = sorted((x, y))
    assert add_months(early, months) <= add_months(late, months)


@given(moments.filter(lambda d: d.day <= 28), month_steps)
def test_invertible_when_no_clamping(start: datetime, months: int) -> None:
    # covers: BR1.2
    assert add_months(add_months(start, months), -months) == start


def test_six_months_is_not_a_fixed_number_of_days() -> None:
    # covers: BR1.2
    spans = {
        add_months(datetime(2025, m, 1, tzinfo=UTC), 6) - datetime(2025, m, 1, tzinfo=UTC)
        for m in range(1, 13)
    }
    assert len(spans) > 1
    assert all(timedelta(days=181) <= s <= timedelta(days=184) for s in spans)


def test_keeps_the_time_zone() -> None:
    # covers: BR1.2
    plus_one = timezone(timedelta(hours=1))
    assert add_months(datetime(2025, 1, 31, 23, 0, tzinfo=plus_one), 1).tzinfo is plus_one
