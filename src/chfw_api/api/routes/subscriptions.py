"""Webhook subscriptions, dead letters and delivery counts: the Service User's and DCC's API.

Suppliers manage their own endpoints; DCC sees and manages all (and registers on a supplier's
behalf with `party`). Signing secrets appear in two responses only: creation and rotation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field, StrictInt, StringConstraints

from chfw_api.api.deps import CallerDep, ContainerDep, ReadUowDep, UowDep
from chfw_api.api.fields import EUI64, WHOLE, Bool, Instant, RequestBody, UserId, rules
from chfw_api.bootstrap import Container
from chfw_api.delivery.urls import UrlPolicy
from chfw_api.domain.subscriptions import (
    LATENCY_BUCKETS_MS,
    MAX_BATCH_SIZE,
    DeadLetter,
    Endpoint,
    EndpointStats,
    known_codes,
)
from chfw_api.services import delivery as delivery_svc
from chfw_api.services import subscriptions as svc

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not a supplier or DCC key"},
}
# Keys beyond their column's range cannot exist: refuse them (422) before the database does.
INT_MAX = 2**31 - 1  # webhook_endpoints.id
BIGINT_MAX = 2**63 - 1  # deliveries.id
EndpointId = Annotated[int, Path(ge=1, le=INT_MAX)]
AlertCode = Annotated[str, StringConstraints(pattern=r"^(\*|[Nn][0-9]{2})$")]
URL_RULES = rules(
    url="http(s) with a host that resolves to public addresses only (unless allowed by the "
    "operator), no credentials, no fragment",
    codes="alert codes this service sends",
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    404: {"description": "no such endpoint among the caller's"},
}


def _rules(c: Container) -> tuple[UrlPolicy, frozenset[str]]:
    s = c.settings
    return UrlPolicy.of(s.webhook_allowed_networks), known_codes(s.activation_alert_code)


class EndpointCreate(RequestBody):
    url: str = Field(
        max_length=2048,
        description="http(s) URL; private, loopback, link-local and metadata addresses are "
        "refused; redirects are never followed",
    )
    codes: list[AlertCode] = Field(
        min_length=1, max_length=50, description="alert codes wanted, e.g. N63, N70; '*' for all"
    )
    batch_size: Annotated[StrictInt, Field(ge=1, le=MAX_BATCH_SIZE), WHOLE] = Field(
        default=1,
        description="up to this many alerts per POST (sr:AlertBatch); 1 sends each alone",
    )
    description: str = Field(default="", max_length=200)
    party: UserId | None = Field(
        default=None, description="DCC only: the Service User (User ID) the endpoint is for"
    )


class EndpointUpdate(RequestBody):
    url: str | None = Field(default=None, max_length=2048)
    codes: list[AlertCode] | None = Field(default=None, min_length=1, max_length=50)
    batch_size: Annotated[StrictInt, Field(ge=1, le=MAX_BATCH_SIZE), WHOLE] | None = None
    description: str | None = Field(default=None, max_length=200)
    enabled: Bool | None = Field(
        default=None, description="false pauses delivery; true resumes (also after a 410)"
    )


class EndpointRead(BaseModel):
    id: int
    party: str
    url: str
    codes: list[str]
    batch_size: int
    status: str = Field(description="active or disabled")
    description: str
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None = Field(
        description="during a rotation, until when the previous secret also signs"
    )

    @classmethod
    def of(cls, e: Endpoint) -> EndpointRead:
        return cls(
            id=e.id,
            party=e.party_code,
            url=e.url,
            codes=list(e.codes),
            batch_size=e.batch_size,
            status=e.status.value,
            description=e.description,
            disabled_reason=e.disabled_reason,
            created_at=e.created_at,
            updated_at=e.updated_at,
            previous_secret_expires_at=e.previous_secret_expires_at,
        )


class EndpointWithSecret(EndpointRead):
    secret: str = Field(description="whsec_...: shown this once; verify webhook-signature with it")


class RotateSecret(RequestBody):
    overlap_seconds: Annotated[StrictInt, Field(ge=0, le=7 * 86_400), WHOLE] | None = Field(
        default=None, description="default CHFW_WEBHOOK_SECRET_OVERLAP"
    )


class DeadLetterRead(BaseModel):
    delivery_id: int
    endpoint_id: int
    party: str
    alert_id: str = Field(description="the alert's ResponseID: the webhook-id of every attempt")
    code: str
    attempts: int
    last_status: int | None
    last_error: str | None
    raised_at: datetime
    dead_at: datetime | None
    replays: int

    @classmethod
    def of(cls, d: DeadLetter) -> DeadLetterRead:
        return cls(
            delivery_id=d.delivery_id,
            endpoint_id=d.endpoint_id,
            party=d.party_code,
            alert_id=d.alert_id,
            code=d.code,
            attempts=d.attempts,
            last_status=d.last_status,
            last_error=d.last_error,
            raised_at=d.created_at,
            dead_at=d.dead_at,
            replays=d.replays,
        )


class DeadLetterPage(BaseModel):
    items: list[DeadLetterRead]
    next_after: int | None = Field(description="pass as `after` for the next page; null at end")


class ReplayWindow(RequestBody):
    since: Instant = Field(description="alerts raised at or after this time")
    until: Instant = Field(description="... and before this time")
    endpoint_id: Annotated[StrictInt, Field(ge=1, le=INT_MAX), WHOLE] | None = None
    party: UserId | None = Field(default=None, description="DCC only: one Service User's")


class ReplayResult(BaseModel):
    replayed: int


class LatencyBucket(BaseModel):
    le_ms: int
    count: int


class EndpointStatsRead(BaseModel):
    endpoint_id: int
    party: str
    url: str
    status: str
    pending: int = Field(description="not attempted yet (or in flight)")
    failed: int = Field(description="failed at least once, waiting for a retry")
    delivered: int
    dead: int
    oldest_pending_at: datetime | None
    latency_count: int
    latency_mean_ms: float | None = Field(description="alert raised -> acknowledged")
    latency_buckets: list[LatencyBucket] = Field(description="cumulative counts")

    @classmethod
    def of(cls, s: EndpointStats) -> EndpointStatsRead:
        return cls(
            endpoint_id=s.endpoint_id,
            party=s.party_code,
            url=s.url,
            status=s.status.value,
            pending=s.pending,
            failed=s.failed,
            delivered=s.delivered,
            dead=s.dead,
            oldest_pending_at=s.oldest_pending_at,
            latency_count=s.latency_count,
            latency_mean_ms=s.latency_sum_ms / s.latency_count if s.latency_count else None,
            latency_buckets=[
                LatencyBucket(le_ms=b, count=n)
                for b, n in zip(LATENCY_BUCKETS_MS, s.latency_buckets, strict=True)
            ],
        )


@router.post(
    "/endpoints",
    status_code=status.HTTP_201_CREATED,
    responses=PROBLEMS,
    openapi_extra={
        "x-chfw-rules": {
            **URL_RULES["x-chfw-rules"],
            "party": "a registered supplier; DCC must name one",
        }
    },
)
def create_endpoint(
    body: EndpointCreate, caller: CallerDep, uow: UowDep, c: ContainerDep
) -> EndpointWithSecret:
    """Register a webhook endpoint; the response carries its signing secret, once."""
    policy, codes = _rules(c)
    new = svc.NewEndpoint(
        url=body.url,
        codes=tuple(body.codes),
        batch_size=body.batch_size,
        description=body.description,
        party=body.party,
    )
    created = svc.register_endpoint(
        uow, c.clock, caller=caller, new=new, policy=policy, known_codes=codes
    )
    return EndpointWithSecret(
        **EndpointRead.of(created.endpoint).model_dump(), secret=created.secret
    )


@router.get("/endpoints", responses=PROBLEMS)
def list_endpoints(
    caller: CallerDep,
    uow: ReadUowDep,
    party: Annotated[str | None, Query(pattern=EUI64, description="DCC only")] = None,
) -> list[EndpointRead]:
    """The caller's endpoints (DCC: every endpoint, or one Service User's with `party`)."""
    return [EndpointRead.of(e) for e in svc.list_endpoints(uow, caller=caller, party=party)]


@router.get("/endpoints/{endpoint_id}", responses=NOT_FOUND)
def get_endpoint(endpoint_id: EndpointId, caller: CallerDep, uow: ReadUowDep) -> EndpointRead:
    """Read one endpoint (never its secret)."""
    return EndpointRead.of(svc.get_endpoint(uow, caller=caller, endpoint_id=endpoint_id))


@router.patch("/endpoints/{endpoint_id}", responses=NOT_FOUND, openapi_extra=URL_RULES)
def update_endpoint(
    endpoint_id: EndpointId, body: EndpointUpdate, caller: CallerDep, uow: UowDep, c: ContainerDep
) -> EndpointRead:
    """Change an endpoint's URL, codes, batch size or description; pause or resume it."""
    policy, codes = _rules(c)
    change = svc.EndpointChange(
        url=body.url,
        codes=tuple(body.codes) if body.codes is not None else None,
        batch_size=body.batch_size,
        description=body.description,
        enabled=body.enabled,
    )
    endpoint = svc.update_endpoint(
        uow,
        c.clock,
        caller=caller,
        endpoint_id=endpoint_id,
        change=change,
        policy=policy,
        known_codes=codes,
    )
    return EndpointRead.of(endpoint)


@router.delete(
    "/endpoints/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND
)
def delete_endpoint(
    endpoint_id: EndpointId, caller: CallerDep, uow: UowDep, c: ContainerDep
) -> Response:
    """Delete an endpoint and its delivery records (its alerts stay in the pull feed)."""
    svc.delete_endpoint(uow, c.clock, caller=caller, endpoint_id=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/endpoints/{endpoint_id}/rotate-secret", responses=NOT_FOUND)
def rotate_secret(
    endpoint_id: EndpointId, caller: CallerDep, uow: UowDep, c: ContainerDep, body: RotateSecret
) -> EndpointWithSecret:
    """A new signing secret, shown once; the old one keeps signing beside it for the overlap."""
    overlap = body.overlap_seconds
    rotated = svc.rotate_secret(
        uow,
        c.clock,
        caller=caller,
        endpoint_id=endpoint_id,
        overlap_seconds=c.settings.webhook_secret_overlap_seconds if overlap is None else overlap,
    )
    return EndpointWithSecret(
        **EndpointRead.of(rotated.endpoint).model_dump(), secret=rotated.secret
    )


@router.get("/dead-letters", responses=NOT_FOUND, openapi_extra=rules(since="before until"))
def list_dead_letters(
    caller: CallerDep,
    uow: ReadUowDep,
    endpoint_id: Annotated[int | None, Query(ge=1, le=INT_MAX)] = None,
    party: Annotated[str | None, Query(pattern=EUI64, description="DCC only")] = None,
    since: Annotated[Instant | None, Query(description="raised at or after")] = None,
    until: Annotated[Instant | None, Query(description="raised before")] = None,
    after: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeadLetterPage:
    """Deliveries that exhausted their retries (or whose endpoint answered 410), oldest first."""
    f = delivery_svc.DeadLetterFilter(
        endpoint_id=endpoint_id, party=party, since=since, until=until
    )
    items = delivery_svc.list_dead_letters(uow, caller=caller, filter=f, after=after, limit=limit)
    return DeadLetterPage(
        items=[DeadLetterRead.of(d) for d in items],
        next_after=items[-1].delivery_id if len(items) == limit else None,
    )


@router.post(
    "/dead-letters/{delivery_id}/replay",
    responses={**NOT_FOUND, 409: {"description": "the endpoint is disabled"}},
)
def replay_dead_letter(
    delivery_id: Annotated[int, Path(ge=1, le=BIGINT_MAX)],
    caller: CallerDep,
    uow: UowDep,
    c: ContainerDep,
) -> ReplayResult:
    """Send one dead delivery again, with the same alert ID, from a fresh retry schedule."""
    n = delivery_svc.replay_dead_letter(uow, c.clock, caller=caller, delivery_id=delivery_id)
    return ReplayResult(replayed=n)


@router.post("/dead-letters/replay", responses=NOT_FOUND, openapi_extra=rules(since="before until"))
def replay_dead_letters(
    body: ReplayWindow, caller: CallerDep, uow: UowDep, c: ContainerDep
) -> ReplayResult:
    """Send again every dead delivery of alerts raised in the window (the caller's own)."""
    f = delivery_svc.DeadLetterFilter(
        endpoint_id=body.endpoint_id, party=body.party, since=body.since, until=body.until
    )
    return ReplayResult(
        replayed=delivery_svc.replay_dead_letters(uow, c.clock, caller=caller, filter=f)
    )


@router.get("/stats", responses=PROBLEMS)
def delivery_stats(caller: CallerDep, uow: ReadUowDep) -> list[EndpointStatsRead]:
    """Per endpoint: pending, failed, delivered and dead counts and delivery latency (DCC: all)."""
    return [EndpointStatsRead.of(s) for s in delivery_svc.endpoint_stats(uow, caller=caller)]
