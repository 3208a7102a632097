"""DCC's and suppliers' view of the gateway: enhanced pilot monitoring (AD11) and the
guardrails' thresholds and slice pauses (DCC triage)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, StrictInt

from chfw_api.api.deps import CallerDep, ContainerDep, DccDep
from chfw_api.api.fields import EUI64, NOT_BLANK, WHOLE, Float, RequestBody, reason
from chfw_api.api.routes.csp import PROBLEMS, CampaignId, guardrail_defaults
from chfw_api.domain.activation import ResultOutcome
from chfw_api.domain.guardrails import Dimension, GuardrailRule, SlicePause
from chfw_api.domain.identifiers import normalise_eui64
from chfw_api.domain.stages import DeploymentKind
from chfw_api.services import activation_results as results_svc
from chfw_api.services import guardrails as guard_svc

router = APIRouter(tags=["csp-gateway"])


# ---------------------------------------------------------------- AD11 enhanced monitoring


class ResultRead(BaseModel):
    outcome: str
    at: datetime
    firmware_version: str | None
    reason_code: str | None
    reason: str | None
    received_at: datetime


class MonitoredHubRead(BaseModel):
    guid: str
    model: str
    csp_region: str
    status: str
    split_supplier: bool
    planned_activation_at: datetime | None
    distributed_at: datetime | None
    activated_at: datetime | None
    last_failed_at: datetime | None
    failure_reason: str | None
    seconds_distribution_to_activation: float | None
    seconds_late: float | None = Field(description="activation after the planned time")
    results: list[ResultRead]


class MonitoringPage(BaseModel):
    items: list[MonitoredHubRead]
    next_after: str | None


def _first(
    results: list[ResultRead], outcome: ResultOutcome, *, last: bool = False
) -> datetime | None:
    times = [r.at for r in results if r.outcome == outcome]
    return (times[-1] if last else times[0]) if times else None


@router.get("/api/v1/campaigns/{campaign_id}/pilot-monitoring", responses=PROBLEMS)
def pilot_monitoring(
    campaign_id: CampaignId,
    caller: CallerDep,
    c: ContainerDep,
    after: Annotated[str | None, Query(pattern=EUI64, description="GUID cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> MonitoringPage:
    """AD11: every pilot hub with each result and its timing; a supplier sees its own hubs."""
    cursor = normalise_eui64(after, what="cursor GUID") if after else None
    hubs = results_svc.monitoring(
        c.uow(read_only=True), caller=caller, campaign_id=campaign_id, after=cursor, limit=limit
    )
    items = []
    for h in hubs:
        results = [
            ResultRead(**dict(zip(ResultRead.model_fields, r, strict=True))) for r in h.results
        ]
        distributed = _first(results, ResultOutcome.DISTRIBUTED)
        activated = _first(results, ResultOutcome.ACTIVATED)
        items.append(
            MonitoredHubRead(
                guid=h.guid,
                model=h.model,
                csp_region=h.region,
                status=h.status,
                split_supplier=h.split_supplier,
                planned_activation_at=h.planned_activation_at,
                distributed_at=distributed,
                activated_at=activated,
                last_failed_at=_first(results, ResultOutcome.FAILED, last=True),
                failure_reason=h.failure_reason,
                seconds_distribution_to_activation=(activated - distributed).total_seconds()
                if activated and distributed
                else None,
                seconds_late=(activated - h.planned_activation_at).total_seconds()
                if activated and h.planned_activation_at
                else None,
                results=results,
            )
        )
    return MonitoringPage(items=items, next_after=hubs[-1].guid if len(hubs) == limit else None)


# ------------------------------------------------------------------------------ guardrails


class GuardrailRuleIO(RequestBody):
    stage: DeploymentKind
    dimension: Dimension
    max_failure_rate: Float = Field(ge=0, le=1)
    min_sample: Annotated[StrictInt, Field(ge=1, le=2**31 - 1), WHOLE]


class GuardrailRules(RequestBody):
    rules: list[GuardrailRuleIO]
    reason: str = Field(
        default="", max_length=2000, pattern=f"^$|{NOT_BLANK}", description="empty: a default"
    )


class SlicePauseRead(BaseModel):
    id: int
    campaign_id: str
    stage: DeploymentKind
    dimension: Dimension
    slice: str = Field(description="supplier party's User ID, model, region, or * (overall)")
    paused_at: datetime
    reason: str
    total: int
    failed: int
    max_failure_rate: float
    min_sample: int
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None

    @classmethod
    def of(cls, p: SlicePause) -> SlicePauseRead:
        return cls(
            id=p.id,
            campaign_id=p.campaign_id,
            stage=p.key.stage,
            dimension=p.key.dimension,
            slice=p.label or p.key.value,
            paused_at=p.paused_at,
            reason=p.reason,
            total=p.figures.total,
            failed=p.figures.failed,
            max_failure_rate=p.max_failure_rate,
            min_sample=p.min_sample,
            lifted_at=p.lifted_at,
            lifted_by=p.lifted_by,
            lift_reason=p.lift_reason,
        )


class LiftBody(RequestBody):
    reason: str = reason("DCC's triage, audited")


def _rules_out(rules: list[GuardrailRule]) -> GuardrailRules:
    return GuardrailRules(
        rules=[
            GuardrailRuleIO(
                stage=r.stage,
                dimension=r.dimension,
                max_failure_rate=r.max_failure_rate,
                min_sample=r.min_sample,
            )
            for r in rules
        ]
    )


@router.get("/api/v1/campaigns/{campaign_id}/guardrails", responses=PROBLEMS)
def get_guardrails(campaign_id: CampaignId, caller: DccDep, c: ContainerDep) -> GuardrailRules:
    """The failure thresholds in force: the campaign's own, else the configured defaults."""
    found = guard_svc.rules(
        c.uow(read_only=True),
        caller=caller,
        campaign_id=campaign_id,
        defaults=guardrail_defaults(c),
    )
    return _rules_out(found)


@router.put("/api/v1/campaigns/{campaign_id}/guardrails", responses=PROBLEMS)
def put_guardrails(
    campaign_id: CampaignId, body: GuardrailRules, caller: DccDep, c: ContainerDep
) -> GuardrailRules:
    """Set the campaign's own thresholds per stage and dimension (each with a minimum sample)."""
    found = guard_svc.set_rules(
        c.uow(),
        c.clock,
        caller=caller,
        campaign_id=campaign_id,
        new_rules=[
            GuardrailRule(r.stage, r.dimension, r.max_failure_rate, r.min_sample)
            for r in body.rules
        ],
        defaults=guardrail_defaults(c),
        reason=body.reason or "guardrail thresholds set",
    )
    return _rules_out(found)


@router.get("/api/v1/campaigns/{campaign_id}/slice-pauses", responses=PROBLEMS)
def list_slice_pauses(
    campaign_id: CampaignId,
    caller: DccDep,
    c: ContainerDep,
    active: Annotated[bool, Query(description="only those not lifted")] = False,
) -> list[SlicePauseRead]:
    """Slices the guardrails paused, pending or after DCC triage."""
    found = guard_svc.pauses(
        c.uow(read_only=True), caller=caller, campaign_id=campaign_id, active_only=active
    )
    return [SlicePauseRead.of(p) for p in found]


@router.post("/api/v1/slice-pauses/{pause_id}/lift", responses=PROBLEMS)
def lift_slice_pause(
    pause_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: LiftBody,
    caller: DccDep,
    c: ContainerDep,
) -> SlicePauseRead:
    """DCC lifts a slice pause: suppliers get N81 (resume), CSPs a resume file."""
    return SlicePauseRead.of(
        guard_svc.lift(c.uow(), c.clock, caller=caller, pause_id=pause_id, reason=body.reason)
    )
