"""Campaign events: what happened to a campaign, and the DCC Alert each one owes.

A command on the aggregate appends one event per stage change; the service layer turns each
into audit rows and, through `alert_code_for`, into outbox alerts in the same transaction.

Events and the DCC Alert each owes (`alert_code_for`):

| Event               | Alert | Why |
|---------------------|-------|-----|
| CampaignNotified    | N70   | A01, BR1.1 |
| AutomaticDateMoved  | N70   | BR1.2: the date in the availability notice changed; re-notify |
| PilotScheduled      | N74   | pilot status: scheduled period |
| PilotStarted        | N74   | BR2.4 start |
| PilotSucceeded      | N75   | A06 |
| PilotFailed         | N75   | A07 |
| SafeLaunchStarted   | none  | N76 is sent when the CSP uploads its schedule (A08, C2) |
| SafeLaunchCompleted | N77   | A09 / A10 |
| CampaignClosed      | N78   | A11 |
| CampaignSuperseded  | N79   | A12, AD13 |
| CampaignRevoked     | N71   | BR1.4 |
| RolloutDecisionMade | N81   | BR6.3-6.5 |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain.incidents import PendingEffect, RolloutDecision
from chfw_api.domain.stages import Stage


@dataclass(frozen=True, kw_only=True)
class CampaignEvent:
    campaign_id: str
    at: datetime
    actor: str
    reason: str
    before: Stage | None
    after: Stage

    @property
    def name(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, kw_only=True)
class CampaignNotified(CampaignEvent):
    automatic_deployment_date: datetime
    pilot_planned: bool


@dataclass(frozen=True, kw_only=True)
class AutomaticDateMoved(CampaignEvent):
    previous_date: datetime
    new_date: datetime


@dataclass(frozen=True, kw_only=True)
class PilotScheduled(CampaignEvent):
    pilot_start: datetime
    pilot_end: datetime


@dataclass(frozen=True, kw_only=True)
class PilotStarted(CampaignEvent):
    pilot_end: datetime


@dataclass(frozen=True, kw_only=True)
class PilotSucceeded(CampaignEvent):
    early: bool


@dataclass(frozen=True, kw_only=True)
class PilotFailed(CampaignEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class SafeLaunchStarted(CampaignEvent):
    automatic_deployment_date: datetime


@dataclass(frozen=True, kw_only=True)
class SafeLaunchCompleted(CampaignEvent):
    succeeded: bool


@dataclass(frozen=True, kw_only=True)
class CampaignClosed(CampaignEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class CampaignSuperseded(CampaignEvent):
    superseded_by: str


@dataclass(frozen=True, kw_only=True)
class CampaignRevoked(CampaignEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class RolloutDecisionMade(CampaignEvent):
    decision: RolloutDecision
    incident_id: str | None
    new_end: datetime | None
    pending_effect: PendingEffect


_ALERTS: Mapping[type[CampaignEvent], str | None] = {
    CampaignNotified: "N70", AutomaticDateMoved: "N70", PilotScheduled: "N74",
    PilotStarted: "N74", PilotSucceeded: "N75", PilotFailed: "N75", SafeLaunchStarted: None,
    SafeLaunchCompleted: "N77", CampaignClosed: "N78", CampaignSuperseded: "N79",
    CampaignRevoked: "N71", RolloutDecisionMade: "N81",
}  # fmt: skip


def alert_code_for(event: CampaignEvent) -> str | None:
    return _ALERTS.get(type(event))
