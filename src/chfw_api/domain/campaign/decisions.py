"""Triage decisions applied to a campaign (BR6.3-6.5): the record of the last one, and the end
dates a decision may set.

The decisions and what each means for pending requests live in `incidents`; which of them a
stage allows is the aggregate's table of moves. What is left, and kept here so it can be read on
its own, is how a decision moves the campaign's dates.

Rule chosen where the paper is silent: "delay the end date" moves the pilot end while a pilot is
pending (pushing the automatic date if it would overtake it), otherwise the automatic date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chfw_api.domain.calendar import add_months
from chfw_api.domain.campaign.terms import MAX_PILOT_MONTHS, automatic_date_spent, aware
from chfw_api.domain.errors import Problem
from chfw_api.domain.incidents import RolloutDecision

if TYPE_CHECKING:
    from chfw_api.domain.campaign import Campaign

TAKES_END = (RolloutDecision.DELAY_END, RolloutDecision.RESUME)


@dataclass(frozen=True)
class DecisionRecord:
    """DCC's latest rollout decision on the campaign (BR6.3-6.5), stored with it."""

    decision: RolloutDecision
    actor: str
    at: datetime
    reason: str
    incident_id: str | None = None


def new_end_problems(
    campaign: Campaign, decision: RolloutDecision, new_end: datetime | None, now: datetime
) -> list[Problem]:
    """`new_end` is required for delay_end (later than `end_date`) and for resuming into a pilot
    whose end passed while held; optional otherwise for resume, refused for the rest."""
    if new_end is None:
        if decision is RolloutDecision.DELAY_END:
            return [Problem("give the new end date", field="new_end")]
        if decision in TAKES_END and campaign.pilot_pending and campaign.end_date <= now:
            return [Problem("the pilot end passed while held; give a new end", field="new_end")]
        return []
    problems = aware(new_end, "new_end")
    if problems:
        return problems
    if decision not in TAKES_END:
        return [Problem(f"a {decision} decision takes no end date", field="new_end")]
    if new_end <= now:
        problems.append(Problem("must be in the future", field="new_end"))
    if decision is RolloutDecision.DELAY_END and new_end <= campaign.end_date:
        problems.append(Problem("must be later than the current end", field="new_end"))
    start = campaign.pilot_start
    if campaign.pilot_pending and start and new_end <= start:
        problems.append(Problem("must be after the pilot start", field="new_end"))
    if campaign.pilot_pending and start and new_end > add_months(start, MAX_PILOT_MONTHS):
        problems.append(Problem("a pilot lasts at most six months (AD03)", field="new_end"))
    spent = automatic_date_spent(campaign.effective_stage, campaign.automatic_deployment_date, now)
    if not campaign.pilot_pending and spent:
        problems.append(Problem("the automatic date has passed", field="new_end"))
    return problems


def dates_after(campaign: Campaign, new_end: datetime) -> tuple[datetime | None, datetime]:
    """The pilot end and automatic deployment date once a decision sets `new_end`."""
    if campaign.pilot_pending:
        return new_end, max(new_end, campaign.automatic_deployment_date)
    return campaign.pilot_end, new_end
