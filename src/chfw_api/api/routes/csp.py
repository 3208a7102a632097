"""CSP Management Gateway, inbound (CSP keys), plus the pilot monitoring and guardrail views.

CSP uploads take `application/xml` (schemas/chfw-csp.xsd) or `text/csv`; activation results are
JSON. A CSP touches only hubs in its regions (X2). Suppliers have no route to these uploads:
they cannot change the safe-launch schedule (C2).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from chfw_api.api.deps import CallerDep, ContainerDep, CspDep
from chfw_api.api.fields import Instant, RequestBody
from chfw_api.bootstrap import Container
from chfw_api.domain.activation import HubResult, ResultOutcome
from chfw_api.domain.csp_uploads import UploadKind
from chfw_api.domain.errors import ValidationFailed
from chfw_api.domain.guardrails import Dimension, GuardrailRule
from chfw_api.domain.parties import Caller
from chfw_api.domain.stages import DeploymentKind
from chfw_api.gateway.uploads import parse_upload_csv, parse_upload_xml
from chfw_api.observability.metrics import CSP_UPLOADS
from chfw_api.services import activation_results as results_svc
from chfw_api.services import csp_gateway as upload_svc

router = APIRouter(tags=["csp-gateway"])
CampaignId = Annotated[str, Path(max_length=40, description="e.g. CMP-000001")]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not a key of the party this is for"},
    404: {"description": "no such campaign"},
    409: {"description": "the campaign's stage does not take this now"},
    422: {"description": "invalid input, every problem named; nothing changed"},
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


class UploadRead(BaseModel):
    upload_id: int
    campaign_id: str
    kind: UploadKind
    version: int
    hubs: int
    periods: int
    suppliers_alerted: int


class UploadVersionRead(BaseModel):
    upload_id: int
    csp: str
    kind: UploadKind
    version: int
    uploaded_at: datetime
    superseded_at: datetime | None
    source_format: str
    hubs: int
    content: dict[str, Any]


async def _upload(
    request: Request, kind: UploadKind, campaign_id: str, caller: Caller, c: Container
) -> UploadRead:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media in ("application/xml", "text/xml"):
        raw = parse_upload_xml(
            body, kind, campaign_id=campaign_id, max_bytes=c.settings.max_body_bytes
        )
        source = "xml"
    elif media in ("text/csv", "application/csv"):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("the CSV is not UTF-8") from None
        raw = parse_upload_csv(text, kind)
        source = "csv"
    else:
        raise ValidationFailed(f"expected application/xml or text/csv, got {media or 'none'!r}")
    receipt = await run_in_threadpool(
        upload_svc.upload,
        c.uow(),
        c.clock,
        caller=caller,
        campaign_id=campaign_id,
        kind=kind,
        raw=raw,
        source_format=source,
    )
    CSP_UPLOADS.labels(kind=kind.value).inc()
    return UploadRead(
        upload_id=receipt.upload_id,
        campaign_id=receipt.campaign_id,
        kind=receipt.kind,
        version=receipt.version,
        hubs=receipt.hubs,
        periods=receipt.periods,
        suppliers_alerted=receipt.suppliers_alerted,
    )


@router.post(
    "/api/v1/csp/campaigns/{campaign_id}/default-pilot-list",
    responses=PROBLEMS,
    openapi_extra=UPLOAD_BODY,
)
async def upload_default_pilot_list(
    campaign_id: CampaignId, request: Request, caller: CspDep, c: ContainerDep
) -> UploadRead:
    """A02: the CSP's default pilot group; each supplier gets N72 with its own hubs, and the
    CSP's other hubs leave the default list."""
    return await _upload(request, UploadKind.DEFAULT_PILOT_LIST, campaign_id, caller, c)


@router.post(
    "/api/v1/csp/campaigns/{campaign_id}/default-pilot-schedule",
    responses=PROBLEMS,
    openapi_extra=UPLOAD_BODY,
)
async def upload_default_pilot_schedule(
    campaign_id: CampaignId, request: Request, caller: CspDep, c: ContainerDep
) -> UploadRead:
    """A03: periods, each with its group of hubs (C5); each supplier gets N73 with its own."""
    return await _upload(request, UploadKind.DEFAULT_PILOT_SCHEDULE, campaign_id, caller, c)


@router.post(
    "/api/v1/csp/campaigns/{campaign_id}/safe-launch-schedule",
    responses=PROBLEMS,
    openapi_extra=UPLOAD_BODY,
)
async def upload_safe_launch_schedule(
    campaign_id: CampaignId, request: Request, caller: CspDep, c: ContainerDep
) -> UploadRead:
    """A08: the safe-launch schedule, set by the CSP alone (C2); each supplier gets N76."""
    return await _upload(request, UploadKind.SAFE_LAUNCH_SCHEDULE, campaign_id, caller, c)


@router.get("/api/v1/csp/campaigns/{campaign_id}/uploads", responses=PROBLEMS)
def list_uploads(
    campaign_id: CampaignId,
    caller: CallerDep,
    c: ContainerDep,
    kind: Annotated[UploadKind | None, Query()] = None,
) -> list[UploadVersionRead]:
    """Every version of each upload, superseded ones included: a CSP its own, DCC all."""
    found = upload_svc.uploads(
        c.uow(read_only=True), caller=caller, campaign_id=campaign_id, kind=kind
    )
    return [
        UploadVersionRead(
            upload_id=u.id,
            csp=u.csp_id,
            kind=u.kind,
            version=u.version,
            uploaded_at=u.uploaded_at,
            superseded_at=u.superseded_at,
            source_format=u.source_format,
            hubs=u.hub_count,
            content=u.content,
        )
        for u in found
    ]


# ------------------------------------------------------------------------ activation results


class ResultIn(RequestBody):
    guid: str = Field(max_length=64, description="CH GUID (EUI-64)")
    outcome: ResultOutcome
    at: Instant = Field(description="when it happened on the network")
    firmware_version: str | None = Field(
        default=None, max_length=8, description="for activated: the version now running"
    )
    reason_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._\-]{1,32}$")
    reason: str | None = Field(default=None, max_length=200, description="for failed")


class ResultsIn(RequestBody):
    results: list[ResultIn] = Field(min_length=1, max_length=200_000)


class RejectedRead(BaseModel):
    index: int
    guid: str
    code: str
    reason: str


class ResultsRead(BaseModel):
    received: int
    accepted: int
    duplicates: int = Field(description="already recorded: changed and alerted nothing")
    rejected: list[RejectedRead] = Field(description="every refused result, with its reason")
    distributed: int
    activated: int
    failed: int
    inventory_updated: int
    alerts: int
    paused_slices: list[str]


def policy_of(c: Container) -> results_svc.ResultsPolicy:
    s = c.settings
    return results_svc.ResultsPolicy(
        activation_alert_code=s.activation_alert_code,
        max_future=timedelta(seconds=s.csp_result_max_future_seconds),
        guardrail_defaults=guardrail_defaults(c),
    )


def guardrail_defaults(c: Container) -> tuple[GuardrailRule, ...]:
    return tuple(
        GuardrailRule(
            DeploymentKind(t.stage), Dimension(t.dimension), t.max_failure_rate, t.min_sample
        )
        for t in c.settings.guardrail_rules
    )


@router.post("/api/v1/csp/campaigns/{campaign_id}/activation-results", responses=PROBLEMS)
def post_activation_results(
    campaign_id: CampaignId, body: ResultsIn, caller: CallerDep, c: ContainerDep
) -> ResultsRead:
    """Per-hub outcomes (distributed, activated with firmware version, failed with reason).
    Activations update the inventory (BR5.6) and alert the hub's current suppliers (N63);
    failures send N82; a result posted twice changes nothing. Refused results are listed."""
    report = results_svc.post_results(
        c.uow(),
        c.clock,
        caller=caller,
        campaign_id=campaign_id,
        results=[
            HubResult(r.guid, r.outcome, r.at, r.firmware_version, r.reason_code, r.reason)
            for r in body.results
        ],
        policy=policy_of(c),
    )
    CSP_UPLOADS.labels(kind="activation-results").inc()
    return ResultsRead(
        received=report.received,
        accepted=report.accepted,
        duplicates=report.duplicates,
        rejected=[
            RejectedRead(index=x.index, guid=x.guid, code=x.code.value, reason=x.reason)
            for x in report.rejected
        ],
        distributed=report.distributed,
        activated=report.activated,
        failed=report.failed,
        inventory_updated=report.inventory_updated,
        alerts=report.alerts,
        paused_slices=report.paused_slices,
    )
