"""The terms a campaign is notified on: the release, the hubs it targets, and its dates.

Kept apart from the aggregate so the date rules (six calendar months' notice, BR1.2; a pilot of
at most six months, AD03) can be read, and tested, on their own; the aggregate applies them and
changes nothing unless they all hold.

Rule chosen where the paper is silent: the automatic deployment date is the safe-launch (mass)
activation date. A pending pilot must end no later than it, so AD12's "safe launch at the end of
the pilot" never comes after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain.calendar import add_months
from chfw_api.domain.errors import Problem, ValidationFailed
from chfw_api.domain.stages import Stage

NOTICE_MONTHS = 6  # BR1.2
MAX_PILOT_MONTHS = 6  # AD03


@dataclass(frozen=True)
class CplEntry:
    """The release as listed on the Central/Certified Products List."""

    manufacturer: str
    model: str
    version: str
    operational_or_security: bool = False
    release_id: str | None = None


@dataclass(frozen=True)
class Targeting:
    """Which hubs the release is for; empty `from_versions`/`regions` mean any."""

    device_models: tuple[str, ...]
    from_versions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


def need(problems: list[Problem]) -> None:
    """Refuse the whole command if anything is wrong: a campaign never half-changes."""
    if problems:
        raise ValidationFailed("the campaign was not changed", problems)


def aware(when: datetime, name: str) -> list[Problem]:
    return [] if when.tzinfo is not None else [Problem("must be an aware date-time", field=name)]


def said(actor: str, reason: str) -> list[Problem]:
    """Every change names who made it and why (the audit trail)."""
    problems = [] if actor.strip() else [Problem("must not be blank", field="actor")]
    return problems + ([] if reason.strip() else [Problem("must not be blank", field="reason")])


def notice_problems(
    *,
    release: CplEntry,
    targeting: Targeting,
    now: datetime,
    auto: datetime,
    with_pilot: bool,
    pilot_start: datetime | None,
    pilot_end: datetime | None,
) -> list[Problem]:
    """A01/BR1.1: what is wrong with notifying `release` on these terms at `now`."""
    problems = aware(auto, "automatic_deployment_date")
    if not problems and auto <= now:
        problems.append(Problem("must be in the future", field="automatic_deployment_date"))
    if not targeting.device_models:
        problems.append(Problem("name at least one device model", field="device_models"))
    scheduled = pilot_start is not None or pilot_end is not None
    if release.operational_or_security and (with_pilot or scheduled):
        problems.append(Problem("operational and security releases are never piloted (AD03)"))
    elif (pilot_start is None) != (pilot_end is None):
        problems.append(Problem("give both pilot_start and pilot_end, or neither"))
    elif pilot_start is not None and pilot_end is not None and not problems:
        problems += pilot_problems(pilot_start, pilot_end, now, auto)
    return problems


def pilot_problems(start: datetime, end: datetime, now: datetime, auto: datetime) -> list[Problem]:
    """AD03: a pilot period starts no earlier than now, lasts at most six months, and ends by
    the automatic deployment date `auto`."""
    problems = aware(start, "pilot_start") + aware(end, "pilot_end")
    if problems:
        return problems
    if start < now:
        problems.append(Problem("must not be in the past", field="pilot_start"))
    if end <= start:
        problems.append(Problem("must be after the pilot start", field="pilot_end"))
    elif end > add_months(start, MAX_PILOT_MONTHS):
        problems.append(Problem("a pilot lasts at most six months (AD03)", field="pilot_end"))
    if end > auto:
        problems.append(
            Problem("must not be after the automatic deployment date", field="pilot_end")
        )
    return problems


def early_start_problems(pilot_end: datetime, now: datetime) -> list[Problem]:
    """Starting a scheduled pilot at `now`, ahead of its start, keeps its end: that end must
    still lie ahead, and within six months of `now` (AD03)."""
    if pilot_end <= now:
        return [Problem("the scheduled pilot end has passed", field="pilot_end")]
    if pilot_end > add_months(now, MAX_PILOT_MONTHS):
        return [Problem("a pilot lasts at most six months (AD03)", field="pilot_end")]
    return []


def automatic_date_spent(resuming_to: Stage, auto: datetime, now: datetime) -> bool:
    """Once safe launch is under way (or will resume) and the date has passed, DCC has activated
    the hubs nobody instructed (BR3.6); moving the date then would rewrite history."""
    return resuming_to is Stage.SAFE_LAUNCHING and auto <= now


def automatic_date_problems(
    new_date: datetime,
    now: datetime,
    *,
    current: datetime,
    pending_pilot_end: datetime | None,
    resuming_to: Stage,
) -> list[Problem]:
    """BR1.2: the automatic date `current` may move earlier or later, but stays after `now`, never
    before a pending pilot's end (AD12), and cannot move once spent (acted on)."""
    problems = aware(new_date, "new_date")
    if problems:
        return problems
    if new_date <= now:
        problems.append(Problem("must be in the future", field="new_date"))
    if new_date == current:
        problems.append(Problem("is already the automatic deployment date", field="new_date"))
    if pending_pilot_end is not None and new_date < pending_pilot_end:
        problems.append(Problem("must not precede the pilot end (AD12)", field="new_date"))
    if automatic_date_spent(resuming_to, current, now):
        problems.append(Problem("has passed and was acted on", field="new_date"))
    return problems
