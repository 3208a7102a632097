"""Inventory: DCC bulk import (CSV) and each party's paged view of its hubs (X2)."""

from __future__ import annotations

import tempfile
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from chfw_api.api.deps import CallerDep, ContainerDep, DccDep
from chfw_api.api.fields import EUI64
from chfw_api.domain.errors import ValidationFailed
from chfw_api.domain.inventory import HubView
from chfw_api.services import inventory as svc

router = APIRouter(prefix="/api/v1", tags=["inventory"])

IMPORT_PATH = "/api/v1/inventory/imports"


class ImportResult(BaseModel):
    rows: int
    created: int
    updated: int


class HubRead(BaseModel):
    guid: str
    manufacturer: str
    model: str
    firmware_version: str
    status: str
    csp_region: str
    import_supplier: str | None = Field(
        description="hidden from a supplier when it is not that supplier (BR3.3)"
    )
    gas_supplier: str | None
    split_supplier: bool
    production_proving: bool
    friendly_customer: bool
    pilot_excluded: bool

    @classmethod
    def of(cls, h: HubView) -> HubRead:
        return cls(**{f: getattr(h, f) for f in cls.model_fields})


class HubPage(BaseModel):
    items: list[HubRead]
    next_after: str | None = Field(description="pass as `after` for the next page; null at the end")


@router.post(
    IMPORT_PATH.removeprefix("/api/v1"),
    responses={
        401: {"description": "no or unknown API key"},
        403: {"description": "not a DCC key"},
        413: {"description": "body over the import cap"},
        422: {"description": "bad rows: every one listed (capped), nothing imported"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_inventory(request: Request, caller: DccDep, c: ContainerDep) -> ImportResult:
    """Import or update hubs from a CSV file (header row; documented columns); all or nothing."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("text/csv", "application/csv"):
        raise ValidationFailed(f"expected Content-Type text/csv, got {media or 'none'!r}")
    # Spool to disk: the body may be larger than memory should hold.
    with tempfile.TemporaryFile() as spool:
        async for part in request.stream():
            spool.write(part)
        spool.seek(0)

        def run() -> ImportResult:
            import io

            text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
            try:
                report = svc.import_hubs_csv(
                    c.uow(),
                    c.clock,
                    caller=caller,
                    stream=text,
                    error_cap=c.settings.import_error_cap,
                )
            except UnicodeDecodeError:
                raise ValidationFailed("the CSV is not UTF-8") from None
            text.detach()
            return ImportResult(rows=report.rows, created=report.created, updated=report.updated)

        return await run_in_threadpool(run)


@router.get("/hubs", responses={401: {"description": "no or unknown API key"}})
def list_hubs(
    caller: CallerDep,
    c: ContainerDep,
    after: Annotated[str | None, Query(description="GUID cursor", pattern=EUI64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> HubPage:
    """Page through the hubs you are responsible for: a supplier its own, a CSP its regions'."""
    items = svc.list_hubs(c.uow(read_only=True), caller=caller, after=after, limit=limit)
    return HubPage(
        items=[HubRead.of(h) for h in items],
        next_after=items[-1].guid if len(items) == limit else None,
    )


@router.get(
    "/hubs/{guid}",
    responses={401: {"description": "no key"}, 404: {"description": "not one of yours"}},
)
def get_hub(
    guid: Annotated[str, Path(pattern=EUI64, description="CH GUID (EUI-64)")],
    caller: CallerDep,
    c: ContainerDep,
) -> HubRead:
    """Read one hub you are responsible for."""
    return HubRead.of(svc.get_hub(c.uow(read_only=True), caller=caller, guid=guid))
