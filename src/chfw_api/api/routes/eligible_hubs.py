"""The eligible list of a campaign (BR2.1), paged by GUID: DCC sees every hub, a supplier only
the hubs it supplies with its roles on each (BR1.3, X2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from chfw_api.api.deps import CallerDep, ContainerDep
from chfw_api.api.fields import EUI64
from chfw_api.api.routes.campaigns import PROBLEMS, CampaignId
from chfw_api.domain.identifiers import normalise_eui64
from chfw_api.services import campaigns as svc

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])


class EligibleHubRead(BaseModel):
    guid: str
    model: str
    csp_region: str
    from_version: str
    as_import_supplier: bool
    as_gas_supplier: bool
    in_pilot: bool
    status: str


class EligiblePage(BaseModel):
    items: list[EligibleHubRead]
    next_after: str | None


@router.get("/{campaign_id}/eligible-hubs", responses=PROBLEMS)
def eligible_hubs(
    campaign_id: CampaignId,
    caller: CallerDep,
    c: ContainerDep,
    after: Annotated[str | None, Query(pattern=EUI64, description="GUID cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> EligiblePage:
    """The eligible list (BR2.1): a supplier sees only its own hubs, with its roles on each."""
    cursor = normalise_eui64(after, what="cursor GUID") if after else None
    items = svc.eligible_hubs(
        c.uow(read_only=True), caller=caller, campaign_id=campaign_id, after=cursor, limit=limit
    )
    return EligiblePage(
        items=[EligibleHubRead(**vars(h)) for h in items],
        next_after=items[-1].guid if len(items) == limit else None,
    )
