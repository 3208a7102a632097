"""DCC operator API: parties (suppliers, CSPs, DCC) and their API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, status
from pydantic import BaseModel, Field

from chfw_api.api.deps import ContainerDep, DccDep, ReadUowDep, UowDep
from chfw_api.api.fields import CSP_ID, CspId, RequestBody, UserId, reason, rules
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
LOCK_OUT_409 = (
    "lock-out: the change would leave the DCC no way in but the database (its last live "
    "key, its last active party with a key, or a party suspending itself)"
)
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key"},
    403: {"description": "not a DCC key"},
}


PEM = "-----BEGIN CERTIFICATE-----"
CERTIFICATE_RULE = "a PEM X.509 certificate that can be read"
Name = Annotated[str, Field(min_length=1, max_length=200)]
Certificate = Annotated[str | None, Field(max_length=20_000, pattern=PEM)]


class SupplierCreate(RequestBody):
    """A supplier: its User ID and the roles it holds (IS, GS or both)."""

    kind: Literal[PartyKind.SUPPLIER]
    code: UserId
    name: Name
    roles: list[SupplierRole] = Field(min_length=1, max_length=2)
    signing_certificate_pem: Certificate = None


class CspCreate(RequestBody):
    """A Communications Service Provider: its CSP ID and the regions it serves."""

    kind: Literal[PartyKind.CSP]
    code: CspId
    name: Name
    regions: list[CspRegion] = Field(default_factory=list, max_length=3)


class DccCreate(RequestBody):
    """A DCC operator: its User ID."""

    kind: Literal[PartyKind.DCC]
    code: UserId
    name: Name


PartyCreate = Annotated[SupplierCreate | CspCreate | DccCreate, Field(discriminator="kind")]


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


class StatusChange(RequestBody):
    status: PartyStatus
    reason: str = reason("why: recorded in the audit trail with the User ID that made the change")


class KeyRevocation(RequestBody):
    reason: str = reason("why: recorded in the audit trail with the User ID that revoked it")


class CertificateChange(RequestBody):
    certificate_pem: Certificate


class KeyCreate(RequestBody):
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


Code = Annotated[str, Path(pattern=CSP_ID, description="User ID or CSP ID")]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an INTEGER key: larger ones cannot exist


@router.post(
    "/parties",
    status_code=status.HTTP_201_CREATED,
    responses={**PROBLEMS, 409: {"description": "the party already exists"}},
    openapi_extra=rules(
        regions="not served by another CSP already", signing_certificate_pem=CERTIFICATE_RULE
    ),
)
def create_party(body: PartyCreate, caller: DccDep, uow: UowDep, c: ContainerDep) -> PartyRead:
    """Register a supplier, CSP or DCC operator."""
    party = svc.register_party(
        uow,
        c.clock,
        kind=body.kind,
        code=body.code,
        name=body.name,
        roles=body.roles if isinstance(body, SupplierCreate) else (),
        regions=body.regions if isinstance(body, CspCreate) else (),
        signing_certificate_pem=getattr(body, "signing_certificate_pem", None),
        actor=caller.code,
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


@router.put(
    "/parties/{code}/status",
    responses={**PROBLEMS, 409: {"description": LOCK_OUT_409}},
    openapi_extra=rules(
        status="never the caller's own party suspended, nor the last active DCC party with "
        "a live key"
    ),
)
def set_party_status(
    code: Code, body: StatusChange, caller: DccDep, uow: UowDep, c: ContainerDep
) -> PartyRead:
    """Suspend or reactivate a party, audited with your User ID and the reason; a suspended
    party's keys are refused."""
    return PartyRead.of(
        svc.set_status(
            uow, c.clock, caller=caller, code=code, status=body.status, reason=body.reason
        )
    )


@router.put(
    "/parties/{code}/certificate",
    responses=PROBLEMS,
    openapi_extra=rules(
        code="a supplier's: only suppliers sign Service Requests",
        certificate_pem=CERTIFICATE_RULE,
    ),
)
def set_certificate(
    code: Code, body: CertificateChange, caller: DccDep, uow: UowDep, c: ContainerDep
) -> PartyRead:
    """Register (or clear) a supplier's XML signing certificate (PEM, ECDSA P-256)."""
    pem = body.certificate_pem
    return PartyRead.of(
        svc.set_signing_certificate(uow, c.clock, code=code, pem=pem, actor=caller.code)
    )


@router.post("/parties/{code}/keys", status_code=status.HTTP_201_CREATED, responses=PROBLEMS)
def issue_key(
    code: Code,
    caller: DccDep,
    uow: UowDep,
    c: ContainerDep,
    body: Annotated[KeyCreate | None, Body()] = None,
) -> KeyIssued:
    """Issue an API key for a party; the key is in this response only."""
    label = body.label if body else ""
    issued = svc.issue_key(uow, c.clock, party_code=code, label=label, actor=caller.code)
    return KeyIssued(id=issued.id, party=issued.party_code, label=issued.label, key=issued.key)


@router.get("/parties/{code}/keys", responses=PROBLEMS)
def list_keys(code: Code, _: DccDep, uow: ReadUowDep) -> list[KeyRead]:
    """List a party's keys (never the secrets)."""
    return [KeyRead.of(k) for k in svc.list_keys(uow, party_code=code)]


@router.delete(
    "/keys/{key_id}",
    responses={**PROBLEMS, 404: {"description": "no such key"}, 409: {"description": LOCK_OUT_409}},
    openapi_extra=rules(key_id="not the last live key of an active DCC party"),
)
def revoke_key(
    key_id: KeyId, body: KeyRevocation, caller: DccDep, uow: UowDep, c: ContainerDep
) -> KeyRead:
    """Revoke an API key at once, audited with your User ID and the reason (a JSON body:
    `{"reason": "..."}`)."""
    return KeyRead.of(
        svc.revoke_key(uow, c.clock, caller=caller, key_id=key_id, reason=body.reason)
    )
