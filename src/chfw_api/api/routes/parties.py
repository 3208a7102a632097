"""DCC operator API: parties (suppliers, CSPs, DCC) and their API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, status
from pydantic import BaseModel, Field

from chfw_api.api.deps import ContainerDep, DccDep, ReadUowDep, UowDep
from chfw_api.domain.parties import (
    ApiKeyInfo,
    CspRegion,
    Party,
    PartyKind,
    PartyStatus,
    SupplierRole,
)
from chfw_api.services import parties as svc

router = APIRouter(prefix="/api/v1", tags=["parties"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not a DCC key"},
}


class PartyCreate(BaseModel):
    kind: PartyKind
    code: str = Field(
        description="User ID (EUI-64) for suppliers and DCC; CSP ID (e.g. CSP-N) for CSPs",
        examples=["90-B3-D5-1F-30-01-00-00"],
        max_length=64,
    )
    name: str = Field(min_length=1, max_length=200)
    roles: list[SupplierRole] = Field(default_factory=list, description="suppliers only")
    regions: list[CspRegion] = Field(default_factory=list, description="CSPs only")
    signing_certificate_pem: str | None = Field(default=None, max_length=20_000)


class PartyRead(BaseModel):
    kind: PartyKind
    code: str
    name: str
    status: PartyStatus
    roles: list[SupplierRole]
    regions: list[CspRegion]
    has_signing_certificate: bool

    @classmethod
    def of(cls, p: Party) -> PartyRead:
        return cls(
            kind=p.kind,
            code=p.code,
            name=p.name,
            status=p.status,
            roles=sorted(p.roles),
            regions=sorted(p.regions),
            has_signing_certificate=p.signing_certificate_pem is not None,
        )


class StatusChange(BaseModel):
    status: PartyStatus


class CertificateChange(BaseModel):
    certificate_pem: str | None = Field(max_length=20_000)


class KeyCreate(BaseModel):
    label: str = Field(default="", max_length=200)


class KeyIssued(BaseModel):
    id: int
    party: str
    label: str
    key: str = Field(description="shown once; only its hash is stored")


class KeyRead(BaseModel):
    id: int
    party: str
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, k: ApiKeyInfo) -> KeyRead:
        return cls(
            id=k.id,
            party=k.party_code,
            prefix=k.prefix,
            label=k.label,
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )


Code = Annotated[str, Path(max_length=64, description="User ID or CSP ID")]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an INTEGER key: larger ones cannot exist


@router.post(
    "/parties",
    status_code=status.HTTP_201_CREATED,
    responses={**PROBLEMS, 409: {"description": "the party already exists"}},
)
def create_party(body: PartyCreate, _: DccDep, uow: UowDep, c: ContainerDep) -> PartyRead:
    """Register a supplier, CSP or DCC operator."""
    party = svc.register_party(
        uow,
        c.clock,
        kind=body.kind,
        code=body.code,
        name=body.name,
        roles=body.roles,
        regions=body.regions,
        signing_certificate_pem=body.signing_certificate_pem,
    )
    return PartyRead.of(party)


@router.get("/parties", responses=PROBLEMS)
def list_parties(_: DccDep, uow: ReadUowDep, kind: PartyKind | None = None) -> list[PartyRead]:
    """List parties, optionally of one kind."""
    return [PartyRead.of(p) for p in svc.list_parties(uow, kind=kind)]


@router.get("/parties/{code}", responses=PROBLEMS)
def get_party(code: Code, _: DccDep, uow: ReadUowDep) -> PartyRead:
    """Read one party."""
    return PartyRead.of(svc.get_party(uow, code=code))


@router.put("/parties/{code}/status", responses=PROBLEMS)
def set_party_status(code: Code, body: StatusChange, _: DccDep, uow: UowDep) -> PartyRead:
    """Suspend or reactivate a party; a suspended party's keys are refused."""
    return PartyRead.of(svc.set_status(uow, code=code, status=body.status))


@router.put("/parties/{code}/certificate", responses=PROBLEMS)
def set_certificate(code: Code, body: CertificateChange, _: DccDep, uow: UowDep) -> PartyRead:
    """Register (or clear) a supplier's XML signing certificate (PEM)."""
    return PartyRead.of(svc.set_signing_certificate(uow, code=code, pem=body.certificate_pem))


@router.post("/parties/{code}/keys", status_code=status.HTTP_201_CREATED, responses=PROBLEMS)
def issue_key(
    code: Code,
    _: DccDep,
    uow: UowDep,
    c: ContainerDep,
    body: Annotated[KeyCreate | None, Body()] = None,
) -> KeyIssued:
    """Issue an API key for a party; the key is in this response only."""
    issued = svc.issue_key(uow, c.clock, party_code=code, label=body.label if body else "")
    return KeyIssued(id=issued.id, party=issued.party_code, label=issued.label, key=issued.key)


@router.get("/parties/{code}/keys", responses=PROBLEMS)
def list_keys(code: Code, _: DccDep, uow: ReadUowDep) -> list[KeyRead]:
    """List a party's keys (never the secrets)."""
    return [KeyRead.of(k) for k in svc.list_keys(uow, party_code=code)]


@router.delete("/keys/{key_id}", responses=PROBLEMS)
def revoke_key(key_id: KeyId, _: DccDep, uow: UowDep, c: ContainerDep) -> KeyRead:
    """Revoke an API key at once."""
    return KeyRead.of(svc.revoke_key(uow, c.clock, key_id=key_id))
