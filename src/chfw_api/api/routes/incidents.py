"""Incidents: DCC's triage queue and decisions (BR6.2-6.5); suppliers see their own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from chfw_api.api.deps import CallerDep, ContainerDep, DccDep
from chfw_api.api.fields import Instant, RequestBody, reason, rules
from chfw_api.api.routes.campaigns import NEW_END, CampaignRead
from chfw_api.domain.incidents import Incident, IncidentStatus, RolloutDecision
from chfw_api.services import incidents as svc

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not allowed for this party"},
    404: {"description": "no such incident"},
    409: {"description": "the incident or campaign does not allow this decision"},
}


class IncidentRead(BaseModel):
    incident_id: str
    campaign_id: str
    raised_by: str
    raised_at: datetime
    severity: str
    priority: str
    needs_urgent_attention: bool
    description: str
    guids: list[str]
    emergency_stop_requested: bool
    status: IncidentStatus
    decision: RolloutDecision | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None

    @classmethod
    def of(cls, i: Incident) -> IncidentRead:
        return cls(
            incident_id=i.incident_id,
            campaign_id=i.campaign_id,
            raised_by=i.raised_by,
            raised_at=i.raised_at,
            severity=i.severity.value,
            priority=i.priority.value,
            needs_urgent_attention=i.needs_urgent_attention,
            description=i.description,
            guids=list(i.guids),
            emergency_stop_requested=i.emergency_stop_requested,
            status=i.status,
            decision=i.decision,
            decided_by=i.decided_by,
            decided_at=i.decided_at,
            decision_reason=i.decision_reason,
        )


class Triage(RequestBody):
    decision: RolloutDecision
    reason: str = reason()
    new_end: Instant | None = None


class TriageResult(BaseModel):
    incident: IncidentRead
    campaign: CampaignRead


@router.get("", responses=PROBLEMS)
def list_incidents(
    caller: CallerDep,
    c: ContainerDep,
    campaign_id: Annotated[str | None, Query(max_length=40)] = None,
    status: IncidentStatus | None = None,
) -> list[IncidentRead]:
    """DCC's incident queue (a supplier sees the incidents it raised)."""
    found = svc.list_incidents(
        c.uow(read_only=True), caller=caller, campaign_id=campaign_id, status=status
    )
    return [IncidentRead.of(i) for i in found]


@router.post("/{incident_id}/triage", responses=PROBLEMS, openapi_extra=rules(new_end=NEW_END))
def triage(
    incident_id: Annotated[str, Path(max_length=40)], body: Triage, caller: DccDep, c: ContainerDep
) -> TriageResult:
    """Decide an incident: proceed, pause, delay_end, stop, suspend; after suspend, the Panel's
    resume or stop."""
    incident, view = svc.triage_incident(
        c.uow(),
        c.clock,
        caller=caller,
        incident_id=incident_id,
        decision=body.decision,
        reason=body.reason,
        new_end=body.new_end,
    )
    return TriageResult(incident=IncidentRead.of(incident), campaign=CampaignRead.of(view))
