"""Calendar-month arithmetic.

The modification counts in calendar months ("six months after the notification", BR1.2; "a pilot
lasts up to six months", AD03), not in fixed numbers of days, so a `timedelta` is the wrong tool.
A month later than the 31st is clamped to the last day of the shorter month, as people (and the
DCC's published dates) read it: 31 August + 6 months is 28 or 29 February.
"""

from __future__ import annotations

from datetime import datetime

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1 to 12")
    if month == 2 and is_leap_year(year):
        return 29
    return _DAYS[month - 1]


def add_months(when: datetime, months: int) -> datetime:
    """`when` moved by whole calendar months (negative goes back), clamping the day of month.

    Time of day and time zone are kept. Clamping makes the operation non-invertible (31 Jan + 1
    month - 1 month is 28 Jan), which is why callers compare against `add_months(start, n)` rather
    than stepping back from an end.
    """
    index = when.month - 1 + months
    year = when.year + index // 12
    month = index % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, days_in_month(year, month)))
