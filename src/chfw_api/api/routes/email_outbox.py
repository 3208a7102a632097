"""Email notices that were given up on (issue #14): DCC reads them and sends them again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chfw_api.api.deps import ContainerDep, DccDep, ReadUowDep, UowDep
from chfw_api.api.fields import RequestBody
from chfw_api.domain.email_outbox import EmailRecord
from chfw_api.services import email_delivery as svc

router = APIRouter(prefix="/api/v1/email", tags=["email contacts"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not a DCC key"},
}


class DeadLetter(BaseModel):
    id: int
    message_id: str
    notice: str
    campaign_id: str | None
    party: str
    address: str
    attempts: int
    last_error: str | None
    queued_at: datetime

    @classmethod
    def of(cls, r: EmailRecord) -> DeadLetter:
        return cls(
            id=r.id,
            message_id=r.message_id,
            notice=r.code,
            campaign_id=r.campaign_id,
            party=r.party_code,
            address=r.address,
            attempts=r.attempts,
            last_error=r.last_error,
            queued_at=r.created_at,
        )


class Replay(RequestBody):
    ids: Annotated[list[Annotated[int, Field(ge=1)]], Field(max_length=10_000)] | None = Field(
        default=None, description="dead letters to send again; omitted: every one"
    )


class Replayed(BaseModel):
    replayed: int


@router.get("/dead-letters", responses=PROBLEMS)
def dead_letters(_: DccDep, uow: ReadUowDep) -> list[DeadLetter]:
    """Emails given up on (the retry schedule ran out, or the server refused them for good),
    oldest first, with their last error."""
    return [DeadLetter.of(r) for r in svc.dead_letters(uow)]


@router.post("/dead-letters/replay", responses=PROBLEMS)
def replay(body: Replay, caller: DccDep, uow: UowDep, c: ContainerDep) -> Replayed:
    """Send dead letters again, due now with a fresh retry schedule and the same Message-ID
    (audited)."""
    return Replayed(replayed=svc.replay_dead_letters(uow, c.clock, ids=body.ids, actor=caller.code))
