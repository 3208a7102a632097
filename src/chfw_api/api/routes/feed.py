"""The pull feed: a Service User's alerts after a cursor, for those who cannot take webhooks.

Each item is the same XML a webhook would carry. Read pages with `after=next_cursor` until
`has_more` is false; acknowledge the last cursor processed, and a later `GET` without `after`
starts from there. Nothing is removed: any cursor can be re-read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chfw_api.api.deps import CallerDep, ContainerDep, ReadUowDep, UowDep
from chfw_api.api.fields import FEED_CURSOR, RequestBody, rules
from chfw_api.services import delivery as svc

router = APIRouter(prefix="/api/v1/feed", tags=["feed"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not a supplier"},
}


class FeedItemRead(BaseModel):
    cursor: str
    alert_id: str = Field(description="the alert's ResponseID (what webhooks send as webhook-id)")
    code: str
    raised_at: datetime
    xml: str = Field(description="the alert document, as a webhook would POST it")


class FeedPageRead(BaseModel):
    items: list[FeedItemRead]
    next_cursor: str = Field(description="pass as `after` for the next page")
    has_more: bool
    acknowledged: str = Field(description="the cursor last acknowledged")


class Ack(RequestBody):
    cursor: str = Field(
        pattern=FEED_CURSOR, description="a cursor from the feed: all up to it is done"
    )


class AckResult(BaseModel):
    acknowledged: str


@router.get("", responses={**PROBLEMS, 422: {"description": "bad cursor"}})
def read_feed(
    caller: CallerDep,
    uow: ReadUowDep,
    c: ContainerDep,
    after: Annotated[
        str | None, Query(pattern=FEED_CURSOR, description="default: the acknowledged cursor")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    code: Annotated[list[str] | None, Query(description="only these alert codes")] = None,
) -> FeedPageRead:
    """The caller's alerts after a cursor, oldest first (XML-signed when DCC signs alerts)."""
    page = svc.feed_page(
        uow,
        caller=caller,
        after=after,
        limit=limit,
        codes=code or (),
        sign_body=c.alert_body_signer,
    )
    return FeedPageRead(
        items=[
            FeedItemRead(
                cursor=str(i.cursor),
                alert_id=i.alert_id,
                code=i.code,
                raised_at=i.created_at,
                xml=i.xml,
            )
            for i in page.items
        ],
        next_cursor=str(page.next_cursor),
        has_more=page.has_more,
        acknowledged=str(page.acknowledged),
    )


@router.post(
    "/ack",
    responses={**PROBLEMS, 422: {"description": "bad or future cursor"}},
    openapi_extra=rules(cursor="one the caller's feed has reached"),
)
def acknowledge(body: Ack, caller: CallerDep, uow: UowDep, c: ContainerDep) -> AckResult:
    """Mark everything up to a cursor as consumed (the cursor never moves back)."""
    return AckResult(
        acknowledged=str(svc.acknowledge_feed(uow, c.clock, caller=caller, cursor=body.cursor))
    )
