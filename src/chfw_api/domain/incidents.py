"""Incidents suppliers raise about deployed CH firmware, and DCC's triage of them (BR6.2-BR6.5).

The rollout decisions live here rather than in `campaign` because they are what an incident
*leads to*; the campaign only enforces which of them its stage allows. Incidents are always high
priority (BR6.2): the priority is a property, not stored state, so no row can ever say otherwise.

A suspension (BR6.4) is not the end of an incident: it waits for the Panel/Sub-Committee, whose
decision (resume or stop) is the incident's second and last triage step.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chfw_api.domain.errors import Conflict, InvalidIdentifier, Problem, ValidationFailed
from chfw_api.domain.identifiers import parse_guid
from chfw_api.domain.releases import Priority, Severity

if TYPE_CHECKING:
    from chfw_api.domain.campaign import Campaign
    from chfw_api.domain.campaign.events import CampaignEvent

MAX_DESCRIPTION = 4000
"""Hub statuses that mean the campaign's firmware has gone out: until one hub of a campaign
has one, there is no deployed firmware to raise an incident about (BR6.2, E111002)."""


class RolloutDecision(enum.StrEnum):
    PROCEED = "proceed"
    PAUSE = "pause"
    DELAY_END = "delay_end"
    STOP = "stop"
    SUSPEND = "suspend"
    RESUME = "resume"


class PendingEffect(enum.StrEnum):
    """What a decision means for suppliers' pending update requests; N81 must say it (BR6.5)."""

    UNAFFECTED = "Unaffected"
    HELD = "Held"
    CANCELLED = "Cancelled"
    RELEASED = "Released"


PENDING_EFFECT: Mapping[RolloutDecision, PendingEffect] = {
    RolloutDecision.PROCEED: PendingEffect.UNAFFECTED,
    RolloutDecision.DELAY_END: PendingEffect.UNAFFECTED,
    RolloutDecision.PAUSE: PendingEffect.HELD,
    RolloutDecision.SUSPEND: PendingEffect.HELD,
    RolloutDecision.STOP: PendingEffect.CANCELLED,
    RolloutDecision.RESUME: PendingEffect.RELEASED,
}

# BR6.3 lists four outcomes of triage; BR6.4 adds DCC's immediate suspension.
TRIAGE_DECISIONS = frozenset(
    {
        RolloutDecision.PROCEED,
        RolloutDecision.PAUSE,
        RolloutDecision.DELAY_END,
        RolloutDecision.STOP,
        RolloutDecision.SUSPEND,
    }
)
# After a suspension only the Panel's verdict moves the incident on.
PANEL_DECISIONS = frozenset({RolloutDecision.RESUME, RolloutDecision.STOP})


class IncidentStatus(enum.StrEnum):
    OPEN = "Open"
    AWAITING_PANEL = "AwaitingPanel"
    DECIDED = "Decided"


@dataclass(kw_only=True)
class Incident:
    incident_id: str
    campaign_id: str
    raised_by: str
    raised_at: datetime
    severity: Severity
    description: str
    guids: tuple[str, ...] = ()
    emergency_stop_requested: bool = False
    status: IncidentStatus = IncidentStatus.OPEN
    decision: RolloutDecision | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    @property
    def priority(self) -> Priority:
        return Priority.HIGH

    @property
    def needs_urgent_attention(self) -> bool:
        """A hint for DCC's queue: BR6.2's emergency stop or a critical severity may justify
        BR6.4's immediate suspension. DCC still decides; nothing is suspended automatically."""
        return self.emergency_stop_requested or self.severity is Severity.CRITICAL

    def decisions_open(self) -> frozenset[RolloutDecision]:
        if self.status is IncidentStatus.OPEN:
            return TRIAGE_DECISIONS
        if self.status is IncidentStatus.AWAITING_PANEL:
            return PANEL_DECISIONS
        return frozenset()

    @classmethod
    def raise_(
        cls,
        *,
        incident_id: str,
        campaign_id: str,
        raised_by: str,
        now: datetime,
        severity: str,
        description: str,
        guids: Iterable[str] = (),
        emergency_stop_requested: bool = False,
    ) -> Incident:
        """Validate a supplier's incident completely before creating it, so a bad one is
        refused with every problem listed and nothing recorded (X5)."""
        problems: list[Problem] = []
        if now.tzinfo is None:
            problems.append(Problem("must be an aware date-time", field="raised_at"))
        try:
            level = Severity(severity)
        except ValueError:
            allowed = ", ".join(s.value for s in Severity)
            problems.append(Problem(f"must be one of {allowed}", field="severity"))
            level = Severity.HIGH
        text = description.strip()
        if not text:
            problems.append(Problem("must not be blank", field="description"))
        elif len(text) > MAX_DESCRIPTION:
            problems.append(Problem(f"over {MAX_DESCRIPTION} characters", field="description"))
        parsed: dict[str, None] = {}
        for i, raw in enumerate(guids):
            try:
                parsed[parse_guid(raw)] = None
            except InvalidIdentifier as exc:
                problems.append(Problem(exc.detail, location=f"guids[{i}]", field="guids"))
        if problems:
            raise ValidationFailed("the incident was not raised", problems)
        return cls(
            incident_id=incident_id,
            campaign_id=campaign_id,
            raised_by=raised_by,
            raised_at=now,
            severity=level,
            description=text,
            guids=tuple(parsed),
            emergency_stop_requested=emergency_stop_requested,
        )


def triage(
    incident: Incident,
    campaign: Campaign,
    decision: RolloutDecision,
    *,
    now: datetime,
    actor: str,
    reason: str,
    new_end: datetime | None = None,
) -> list[CampaignEvent]:
    """Apply DCC's decision on `incident` to its campaign and record it on both.

    The campaign is asked first: if its stage refuses the decision, the incident is left open and
    untouched, so a refused triage changes nothing (X5).
    """
    if incident.campaign_id != campaign.campaign_id:
        raise Conflict(
            f"incident {incident.incident_id} is about campaign {incident.campaign_id}, "
            f"not {campaign.campaign_id}"
        )
    allowed = incident.decisions_open()
    if decision not in allowed:
        raise Conflict(
            f"incident {incident.incident_id} is {incident.status}; it may be decided: "
            + (", ".join(sorted(allowed)) or "no further"),
            allowed=sorted(allowed),
        )
    events = campaign.decide(
        decision,
        now=now,
        actor=actor,
        reason=reason,
        incident_id=incident.incident_id,
        new_end=new_end,
    )
    incident.status = (
        IncidentStatus.AWAITING_PANEL
        if decision is RolloutDecision.SUSPEND
        else IncidentStatus.DECIDED
    )
    incident.decision = decision
    incident.decided_by = actor
    incident.decided_at = now
    incident.decision_reason = reason
    return events
