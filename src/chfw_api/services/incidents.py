"""Incidents: a supplier raises one (BR6.2); DCC triages it into a rollout decision (BR6.3-6.5)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import InvalidIdentifier, NotFound
from chfw_api.domain.events import IncidentRaised
from chfw_api.domain.hub_status import DEPLOYED
from chfw_api.domain.incidents import Incident, IncidentStatus, RolloutDecision, triage
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.service_request_results import Refusal, ServiceRequestRefused
from chfw_api.domain.service_requests import normalise_guids
from chfw_api.services.campaigns import (
    CampaignView,
    campaign_for_update,
    record_events,
    release_of,
    view_of,
)
from chfw_api.services.sr_common import not_yours, refuse_ended
from chfw_api.services.unit_of_work import UnitOfWork


def raise_incident(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    campaign_id: str,
    severity: str,
    description: str,
    guids: Iterable[str] = (),
    emergency_stop_requested: bool = False,
) -> Incident:
    """Record a supplier's incident, high priority. Only a supplier with hubs in the campaign
    may raise one, naming only hubs it serves (X2), and only once some of the campaign's
    firmware has gone out: an incident is about deployed firmware (BR6.2). Otherwise nothing
    is recorded (X5)."""
    caller.require(PartyKind.SUPPLIER)
    now = clock.now()
    given = tuple(guids)
    with uow:
        _check_may_raise(uow, caller, campaign_id)
        _check_hubs_named(uow, caller, given)
        number = uow.incidents.next_number()
        incident = Incident.raise_(
            incident_id=f"INC-{number:06d}",
            campaign_id=campaign_id,
            raised_by=caller.code,
            now=now,
            severity=severity,
            description=description,
            guids=given,
            emergency_stop_requested=emergency_stop_requested,
        )
        uow.incidents.add(incident, number=number)
        uow.audit.append([_raised(incident, now)])
        uow.record(IncidentRaised(incident=incident, at=now))
        uow.commit()
    return incident


def _raised(incident: Incident, now: datetime) -> AuditRecord:
    return AuditRecord(
        at=now,
        actor=incident.raised_by,
        action="incident.raised",
        subject=f"campaign:{incident.campaign_id}",
        reason=incident.description[:200],
        after={
            "incident": incident.incident_id,
            "severity": incident.severity.value,
            "emergency_stop_requested": incident.emergency_stop_requested,
            "guids": len(incident.guids),
        },
    )


def _check_may_raise(uow: UnitOfWork, caller: Caller, campaign_id: str) -> None:
    """A campaign with hubs of the caller's, not ended, with firmware deployed (BR6.2)."""
    campaign = uow.campaigns.get(campaign_id)
    if campaign is None or caller.party_id not in {
        s.party_id for s in uow.campaigns.supplier_shares(campaign_id)
    }:
        # One answer for "no such campaign" and "not yours" (X2), as every SR gives.
        raise ServiceRequestRefused(
            Refusal.CAMPAIGN_UNKNOWN, f"no campaign {campaign_id} with hubs of yours"
        )
    refuse_ended(campaign)  # DCC can no longer act on it (BR6.3)
    if not uow.campaigns.any_hub_in(uow.campaigns.internal_id(campaign_id), DEPLOYED):
        raise ServiceRequestRefused(
            Refusal.NOTHING_DEPLOYED,
            f"no firmware of campaign {campaign_id} has been deployed yet; raise an "
            "incident once hubs have received it",
        )


def _check_hubs_named(uow: UnitOfWork, caller: Caller, given: tuple[str, ...]) -> None:
    """Every hub named is known and the caller's (X2); malformed GUIDs are left to
    `Incident.raise_`, which names each."""
    try:
        named = normalise_guids(given)
    except InvalidIdentifier:
        named = ()
    refused = not_yours(uow, caller.party_id, named)
    if refused:
        raise ServiceRequestRefused(
            Refusal.INCIDENT_DEVICES,
            f"{len(refused)} of the hubs named are not known or not yours; no incident was "
            "recorded",
            rejected=refused,
        )


def list_incidents(
    uow: UnitOfWork,
    *,
    caller: Caller,
    campaign_id: str | None = None,
    status: IncidentStatus | None = None,
) -> list[Incident]:
    """DCC's triage queue; a supplier sees only the incidents it raised."""
    caller.require(PartyKind.DCC, PartyKind.SUPPLIER)
    with uow:
        found = uow.incidents.list_all(campaign_id=campaign_id, status=status)
    if caller.kind is PartyKind.SUPPLIER:
        found = [i for i in found if i.raised_by == caller.code]
    return found


def triage_incident(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    incident_id: str,
    decision: RolloutDecision,
    reason: str,
    new_end: datetime | None = None,
) -> tuple[Incident, CampaignView]:
    """BR6.3/6.4: DCC's decision on an incident, applied to its campaign and told to every
    supplier with what it means for their pending requests (BR6.5, N81)."""
    caller.require(PartyKind.DCC)
    now = clock.now()
    with uow:
        incident = uow.incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"incident {incident_id} does not exist")
        campaign = campaign_for_update(uow, incident.campaign_id)
        events = triage(
            incident, campaign, decision, now=now, actor=caller.code, reason=reason, new_end=new_end
        )
        uow.campaigns.save(campaign)
        uow.incidents.save(incident)
        record_events(
            uow,
            campaign=campaign,
            release=release_of(uow, int(campaign.release.release_id or 0)),
            events=events,
            actor=caller.code,
            action=f"triage:{incident_id}",
            reason=reason,
            now=now,
        )
        view = view_of(uow, campaign)
        uow.commit()
    return incident, view
