"""DCC operator API: firmware releases (CPL entries)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from chfw_api.api.deps import ContainerDep, DccDep, ReadUowDep, UowDep
from chfw_api.api.fields import NOT_BLANK, Bool, RequestBody
from chfw_api.domain.releases import FirmwareRelease, Priority, ReleaseType, Severity
from chfw_api.services import releases as svc

router = APIRouter(prefix="/api/v1/releases", tags=["releases"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not DCC"},
}
ReleaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an INTEGER key: larger ones cannot exist


class ReleaseFields(BaseModel):
    manufacturer: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK)
    model: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK)
    version: str = Field(description="1 to 8 hex characters", pattern=r"^[0-9A-Fa-f]{1,8}$")
    image_hash: str = Field(description="SHA-256 of the image, hex", pattern=r"^[0-9A-Fa-f]{64}$")
    release_note_ref: str = Field(min_length=1, max_length=500, pattern=NOT_BLANK)
    severity: Severity
    priority: Priority
    release_type: ReleaseType
    operational_or_security: Bool = Field(
        description="operational/security releases never pilot (AD03)"
    )


class ReleaseCreate(ReleaseFields, RequestBody):
    pass


class ReleaseRead(ReleaseFields):
    id: int
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, r: FirmwareRelease) -> ReleaseRead:
        return cls(**{f: getattr(r, f) for f in cls.model_fields})


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**PROBLEMS, 409: {"description": "the release is already recorded"}},
)
def create_release(
    body: ReleaseCreate, caller: DccDep, uow: UowDep, c: ContainerDep
) -> ReleaseRead:
    """Record a CH firmware release from the CPL."""
    release = svc.register_release(
        uow, c.clock, caller=caller, release=svc.NewRelease(**body.model_dump())
    )
    return ReleaseRead.of(release)


@router.get("", responses=PROBLEMS)
def list_releases(_: DccDep, uow: ReadUowDep) -> list[ReleaseRead]:
    """List firmware releases."""
    return [ReleaseRead.of(r) for r in svc.list_releases(uow)]


@router.get("/{release_id}", responses=PROBLEMS)
def get_release(release_id: ReleaseId, _: DccDep, uow: ReadUowDep) -> ReleaseRead:
    """Read one firmware release."""
    return ReleaseRead.of(svc.get_release(uow, release_id=release_id))
