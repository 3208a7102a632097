"""DCC operator API: campaigns and every transition of their lifecycle (JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field, StrictInt

from chfw_api.api.deps import ContainerDep, DccDep
from chfw_api.api.fields import WHOLE, Bool, Instant, RequestBody, reason, rules
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import Command, Stage
from chfw_api.services import campaigns as svc

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not a DCC key"},
    404: {"description": "no such campaign"},
    409: {"description": "the campaign's stage does not allow this; names the allowed moves"},
    422: {"description": "invalid input, every problem named"},
}
CampaignId = Annotated[str, Path(max_length=40, description="e.g. CMP-000001")]
Reason = reason()
PILOT_END = "after the pilot start, at most six months on (AD03), not after the automatic date"
NEW_END = (
    "only for delay_end (then required, later than the current end) and resume (required if "
    "a held pilot's end passed); in the future; a pilot's at most six months after its start"
)


class CampaignCreate(RequestBody):
    release_id: Annotated[StrictInt, Field(ge=1, le=2**31 - 1), WHOLE]
    device_models: list[str] = Field(default_factory=list, description="default: the release's")
    from_versions: list[str] = Field(default_factory=list, description="default: any version")
    regions: list[str] = Field(default_factory=list, description="default: every CSP region")
    automatic_deployment_date: Instant | None = Field(
        default=None, description="default: notification + 6 calendar months (BR1.2)"
    )
    with_pilot: Bool = False
    pilot_start: Instant | None = None
    pilot_end: Instant | None = None
    reason: str = Reason


class SupplierShareRead(BaseModel):
    supplier: str
    eligible_as_import: int
    eligible_as_gas: int


class CampaignRead(BaseModel):
    campaign_id: str
    release_id: int
    manufacturer: str
    model: str
    version: str
    operational_or_security: bool
    device_models: list[str]
    from_versions: list[str]
    regions: list[str]
    stage: Stage
    resume_stage: Stage | None
    notified_at: datetime
    automatic_deployment_date: datetime
    pilot_planned: bool
    pilot_start: datetime | None
    pilot_end: datetime | None
    pilot_outcome: str | None
    safe_launch_started_at: datetime | None
    safe_launch_outcome: str | None
    ended_at: datetime | None
    superseded_by: str | None
    eligible_hubs: int | None
    hubs_by_status: dict[str, int]
    pilot_hubs_by_status: dict[str, int]
    suppliers: list[SupplierShareRead]
    allowed_commands: list[Command]
    superseded: list[str] = Field(default_factory=list, description="campaigns this superseded")

    @classmethod
    def of(cls, v: svc.CampaignView) -> CampaignRead:
        c = v.campaign
        return cls(
            **_summary_fields(c),
            resume_stage=c.resume_stage,
            device_models=list(c.targeting.device_models),
            from_versions=list(c.targeting.from_versions),
            regions=list(c.targeting.regions),
            pilot_outcome=c.pilot_outcome.value if c.pilot_outcome else None,
            safe_launch_started_at=c.safe_launch_started_at,
            safe_launch_outcome=c.safe_launch_outcome.value if c.safe_launch_outcome else None,
            ended_at=c.ended_at,
            superseded_by=c.superseded_by,
            hubs_by_status=v.counts.by_status,
            pilot_hubs_by_status=v.counts.pilot_by_status,
            suppliers=[
                SupplierShareRead(
                    supplier=s.user_id,
                    eligible_as_import=s.eligible_as_import,
                    eligible_as_gas=s.eligible_as_gas,
                )
                for s in v.shares
            ],
            allowed_commands=v.allowed,
            superseded=v.superseded,
        )


class CampaignSummary(BaseModel):
    campaign_id: str
    release_id: int
    manufacturer: str
    model: str
    version: str
    operational_or_security: bool
    stage: Stage
    notified_at: datetime
    automatic_deployment_date: datetime
    pilot_planned: bool
    pilot_start: datetime | None
    pilot_end: datetime | None
    eligible_hubs: int | None


def _summary_fields(c: Campaign) -> dict[str, Any]:
    return {
        "campaign_id": c.campaign_id,
        "release_id": int(c.release.release_id or 0),
        "manufacturer": c.release.manufacturer,
        "model": c.release.model,
        "version": c.release.version,
        "operational_or_security": c.release.operational_or_security,
        "stage": c.stage,
        "notified_at": c.notified_at,
        "automatic_deployment_date": c.automatic_deployment_date,
        "pilot_planned": c.pilot_planned,
        "pilot_start": c.pilot_start,
        "pilot_end": c.pilot_end,
        "eligible_hubs": c.eligible_hubs,
    }


class ReasonBody(RequestBody):
    reason: str = Reason


class PilotSchedule(ReasonBody):
    start: Instant
    end: Instant = Field(description="at most 6 months after start (AD03)")


class SafeLaunchCompletion(ReasonBody):
    succeeded: Bool


class AutomaticDate(ReasonBody):
    automatic_deployment_date: Instant


class DecisionCreate(ReasonBody):
    decision: RolloutDecision
    new_end: Instant | None = Field(default=None, description="for delay_end and resume")


class DecisionRead(BaseModel):
    decision: RolloutDecision
    actor: str
    at: datetime
    reason: str
    incident_id: str | None
    pending_effect: str
    before_stage: Stage | None
    after_stage: Stage
    new_end: datetime | None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=PROBLEMS,
    openapi_extra=rules(
        automatic_deployment_date="in the future",
        device_models="at least one model (an empty list means the release's)",
        pilot_start="not in the past",
        pilot_end=PILOT_END,
        _="both pilot dates or neither; an operational or security release never pilots",
    ),
)
def create_campaign(body: CampaignCreate, caller: DccDep, c: ContainerDep) -> CampaignRead:
    """Notify a firmware release (A01): snapshot the eligible hubs and alert every supplier."""
    spec = svc.NewCampaign(
        release_id=body.release_id,
        device_models=tuple(body.device_models),
        from_versions=tuple(v.upper() for v in body.from_versions),
        regions=tuple(body.regions),
        automatic_deployment_date=body.automatic_deployment_date,
        with_pilot=body.with_pilot,
        pilot_start=body.pilot_start,
        pilot_end=body.pilot_end,
    )
    view = svc.create_campaign(c.uow(), c.clock, caller=caller, spec=spec, reason=body.reason)
    return CampaignRead.of(view)


@router.get("", responses=PROBLEMS)
def list_campaigns(
    caller: DccDep, c: ContainerDep, active: Annotated[bool, Query()] = False
) -> list[CampaignSummary]:
    """List campaigns (only those in flight with `active=true`)."""
    found = svc.list_campaigns(c.uow(read_only=True), caller=caller, active_only=active)
    return [CampaignSummary(**_summary_fields(x)) for x in found]


@router.get("/{campaign_id}", responses=PROBLEMS)
def get_campaign(campaign_id: CampaignId, caller: DccDep, c: ContainerDep) -> CampaignRead:
    """Read a campaign with its hub counts by status and the commands open to it."""
    view = svc.get_campaign(c.uow(read_only=True), caller=caller, campaign_id=campaign_id)
    return CampaignRead.of(view)


def _run(
    c: ContainerDep, caller: DccDep, cid: str, command: Command, reason: str, **params: Any
) -> CampaignRead:
    view = svc.run_command(
        c.uow(), c.clock, caller=caller, campaign_id=cid, command=command, reason=reason, **params
    )
    return CampaignRead.of(view)


@router.post(
    "/{campaign_id}/pilot/schedule",
    responses=PROBLEMS,
    openapi_extra=rules(pilot_start="start: not in the past", pilot_end="end: " + PILOT_END),
)
def schedule_pilot(
    campaign_id: CampaignId, body: PilotSchedule, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Set the pilot period (at most 6 months, AD03); never for operational releases."""
    return _run(
        c, caller, campaign_id, Command.SCHEDULE_PILOT, body.reason, start=body.start, end=body.end
    )


@router.post(
    "/{campaign_id}/pilot/start",
    responses=PROBLEMS,
    openapi_extra=rules(pilot_end="the scheduled end still ahead, within six months of now"),
)
def start_pilot(
    campaign_id: CampaignId, body: ReasonBody, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Start the scheduled pilot now (N74 to every supplier)."""
    return _run(c, caller, campaign_id, Command.START_PILOT, body.reason)


@router.post("/{campaign_id}/pilot/succeed", responses=PROBLEMS)
def succeed_pilot(
    campaign_id: CampaignId, body: ReasonBody, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Declare the pilot a success (A06); the reason is the commentary."""
    return _run(c, caller, campaign_id, Command.SUCCEED_PILOT, body.reason)


@router.post("/{campaign_id}/pilot/fail", responses=PROBLEMS)
def fail_pilot(
    campaign_id: CampaignId, body: ReasonBody, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Declare the pilot a failure (A07); the reason is the commentary."""
    return _run(c, caller, campaign_id, Command.FAIL_PILOT, body.reason)


@router.post("/{campaign_id}/safe-launch/start", responses=PROBLEMS)
def start_safe_launch(
    campaign_id: CampaignId, body: ReasonBody, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Start the safe launch (every eligible hub less the pilot group, C4)."""
    return _run(c, caller, campaign_id, Command.START_SAFE_LAUNCH, body.reason)


@router.post("/{campaign_id}/safe-launch/complete", responses=PROBLEMS)
def complete_safe_launch(
    campaign_id: CampaignId, body: SafeLaunchCompletion, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Record the safe launch's outcome (A09 success / A10 failure)."""
    return _run(
        c, caller, campaign_id, Command.COMPLETE_SAFE_LAUNCH, body.reason, succeeded=body.succeeded
    )


@router.post("/{campaign_id}/close", responses=PROBLEMS)
def close_campaign(
    campaign_id: CampaignId, body: ReasonBody, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Close a completed campaign (A11)."""
    return _run(c, caller, campaign_id, Command.CLOSE, body.reason)


@router.post("/{campaign_id}/revoke", responses=PROBLEMS)
def revoke_campaign(
    campaign_id: CampaignId, body: ReasonBody, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Revoke the notification (BR1.4); everyone notified is told (N71)."""
    return _run(c, caller, campaign_id, Command.REVOKE, body.reason)


@router.put(
    "/{campaign_id}/automatic-date",
    responses=PROBLEMS,
    openapi_extra=rules(
        new_date="automatic_deployment_date: in the future, not the current one, not before "
        "a pending pilot's end (AD12)"
    ),
)
def move_automatic_date(
    campaign_id: CampaignId, body: AutomaticDate, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """Move DCC's automatic deployment date earlier or later (BR1.2); suppliers re-notified."""
    return _run(
        c,
        caller,
        campaign_id,
        Command.MOVE_AUTOMATIC_DATE,
        body.reason,
        new_date=body.automatic_deployment_date,
    )


@router.post("/{campaign_id}/decisions", responses=PROBLEMS, openapi_extra=rules(new_end=NEW_END))
def decide(
    campaign_id: CampaignId, body: DecisionCreate, caller: DccDep, c: ContainerDep
) -> CampaignRead:
    """A rollout decision: proceed, pause, delay_end, stop, suspend, resume (BR6.3, BR6.4)."""
    view = svc.decide(
        c.uow(),
        c.clock,
        caller=caller,
        campaign_id=campaign_id,
        decision=body.decision,
        reason=body.reason,
        new_end=body.new_end,
    )
    return CampaignRead.of(view)


@router.get("/{campaign_id}/decisions", responses=PROBLEMS)
def list_decisions(campaign_id: CampaignId, caller: DccDep, c: ContainerDep) -> list[DecisionRead]:
    """Every rollout decision on the campaign: who, when, why, incident, effect."""
    found = svc.decisions(c.uow(read_only=True), caller=caller, campaign_id=campaign_id)
    return [
        DecisionRead(
            decision=d.decision,
            actor=d.actor,
            at=d.at,
            reason=d.reason,
            incident_id=d.incident_id,
            pending_effect=d.pending_effect.value,
            before_stage=d.before,
            after_stage=d.after,
            new_end=d.new_end,
        )
        for d in found
    ]
