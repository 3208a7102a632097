"""What each campaign event owes to whom: one alert per supplier with hubs in the campaign.

The domain says which alert code an event owes (`alert_code_for`); this module builds the
message for each recipient from the campaign and its counts. Every supplier with eligible hubs
is a recipient of the campaign-level alerts (BR1.1, BR1.4, BR2.4, BR6.5); N70 carries each
supplier's own eligible counts as IS and GS (BR1.3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chfw_api.domain import alerts as a
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.campaign import events as ev
from chfw_api.domain.campaign.views import HubCounts, SupplierShare
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.releases import FirmwareRelease
from chfw_api.domain.stages import HELD, Outcome, Stage


def extract_reference(campaign_id: str) -> str:
    """Where a supplier extracts its eligible list (BR2.1); the same for every supplier."""
    return f"/api/v1/campaigns/{campaign_id}/eligible-hubs"


def _for_each(
    shares: Sequence[SupplierShare],
    campaign_id: str,
    build: Callable[[SupplierShare], a.AlertMessage],
) -> list[a.PendingAlert]:
    return [
        a.PendingAlert(
            recipient_party_id=s.party_id,
            recipient=s.user_id,
            message=build(s),
            campaign_id=campaign_id,
        )
        for s in shares
    ]


def alerts_for(
    events: Sequence[ev.CampaignEvent],
    *,
    campaign: Campaign,
    release: FirmwareRelease,
    shares: Sequence[SupplierShare],
    counts: Callable[[], HubCounts],
    superseding_version: str | None = None,
) -> list[a.PendingAlert]:
    """`counts` is called only when an alert carries counts (it scans the campaign's hubs);
    `superseding_version`: the newer release's version, for N79 (AD13)."""
    out: list[a.PendingAlert] = []
    cid = campaign.campaign_id
    for event in events:
        message: Callable[[SupplierShare], a.AlertMessage] | None = _builder(
            event, campaign, release, counts, superseding_version
        )
        if message is not None:
            out.extend(_for_each(shares, cid, message))
    return out


def _builder(
    event: ev.CampaignEvent,
    campaign: Campaign,
    release: FirmwareRelease,
    hub_counts: Callable[[], HubCounts],
    superseding_version: str | None,
) -> Callable[[SupplierShare], a.AlertMessage] | None:
    """What each supplier's copy of the event's alert says: N70 carries its own eligible
    counts (BR1.3); every other alert is the same for all."""
    if isinstance(event, ev.CampaignNotified | ev.AutomaticDateMoved):
        return _update_available(event, campaign.campaign_id, release)
    message = _with_counts(event, campaign, hub_counts)
    if message is None:
        message = _without_counts(event, campaign, release, superseding_version)
    if message is None:
        return None
    return lambda s: message


def _update_available(
    event: ev.CampaignNotified | ev.AutomaticDateMoved, cid: str, release: FirmwareRelease
) -> Callable[[SupplierShare], a.AlertMessage]:
    info = a.ReleaseInfo(
        manufacturer=release.manufacturer,
        model=release.model,
        version=release.version,
        release_note_ref=release.release_note_ref,
        severity=release.severity,
        priority=release.priority,
    )
    when = (
        event.automatic_deployment_date
        if isinstance(event, ev.CampaignNotified)
        else event.new_date
    )
    return lambda s: a.UpdateAvailable(
        campaign_id=cid,
        release=info,
        automatic_deployment_at=when,
        eligible_as_import=s.eligible_as_import,
        eligible_as_gas=s.eligible_as_gas,
        extract_reference=extract_reference(cid),
    )


def _with_counts(
    event: ev.CampaignEvent, campaign: Campaign, hub_counts: Callable[[], HubCounts]
) -> a.AlertMessage | None:
    """The pilot's and the campaign's figures (N74, N75, N77, N78); counted only when owed."""
    cid = campaign.campaign_id
    if isinstance(event, ev.PilotScheduled | ev.PilotStarted):
        counts = hub_counts()
        phase = (
            a.PilotPhase.SCHEDULED if isinstance(event, ev.PilotScheduled) else a.PilotPhase.STARTED
        )
        return a.PilotStatus(
            campaign_id=cid,
            phase=phase,
            succeeded=counts.pilot(HubStatus.ACTIVATED),
            failed=counts.pilot(HubStatus.FAILED),
            pending=counts.pilot_pending,
            pilot_start_at=campaign.pilot_start,
            pilot_end_at=campaign.pilot_end,
            commentary=event.reason,
        )
    if isinstance(event, ev.PilotSucceeded | ev.PilotFailed):
        counts = hub_counts()
        return a.PilotOutcome(
            campaign_id=cid,
            outcome=Outcome.SUCCEEDED if isinstance(event, ev.PilotSucceeded) else Outcome.FAILED,
            succeeded=counts.pilot(HubStatus.ACTIVATED),
            failed=counts.pilot(HubStatus.FAILED),
            commentary=event.reason,
            safe_launch_starts_at=event.at if isinstance(event, ev.PilotSucceeded) else None,
        )
    if isinstance(event, ev.SafeLaunchCompleted):
        counts = hub_counts()
        return a.SafeLaunchOutcome(
            campaign_id=cid,
            outcome=Outcome.SUCCEEDED if event.succeeded else Outcome.FAILED,
            succeeded=counts.overall(HubStatus.ACTIVATED),
            failed=counts.overall(HubStatus.FAILED),
            commentary=event.reason,
        )
    if isinstance(event, ev.CampaignClosed):
        counts = hub_counts()
        return a.CampaignClosed(
            campaign_id=cid,
            closed_at=event.at,
            activated=counts.overall(HubStatus.ACTIVATED),
            failed=counts.overall(HubStatus.FAILED),
            commentary=event.reason,
        )
    return None


def _without_counts(
    event: ev.CampaignEvent,
    campaign: Campaign,
    release: FirmwareRelease,
    superseding_version: str | None,
) -> a.AlertMessage | None:
    """Supersession (N79), revocation (N71) and DCC's decisions (N81)."""
    cid = campaign.campaign_id
    if isinstance(event, ev.CampaignSuperseded):
        return a.CampaignSuperseded(
            campaign_id=cid,
            superseded_by=event.superseded_by,
            superseding_version=superseding_version or release.version,
            pilot_invalidated=event.before is Stage.PILOTING
            or (event.before in HELD and campaign.resume_stage is Stage.PILOTING),
            commentary=event.reason,
        )
    if isinstance(event, ev.CampaignRevoked):
        return a.NotificationRevoked(campaign_id=cid, reason=event.reason, revoked_at=event.at)
    if isinstance(event, ev.RolloutDecisionMade):
        return a.RolloutDecision(
            campaign_id=cid,
            decision=event.decision,
            reason=event.reason,
            incident_id=event.incident_id,
            effect_on_pending_instructions=event.pending_effect,
            decided_at=event.at,
            new_end_at=event.new_end,
        )
    return None
