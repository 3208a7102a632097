"""Parties: Suppliers (Service Users), CSPs and the DCC operator, and who may see what (X2)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from chfw_api.domain.errors import Forbidden


class PartyKind(enum.StrEnum):
    SUPPLIER = "supplier"
    CSP = "csp"
    DCC = "dcc"


class PartyStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class SupplierRole(enum.StrEnum):
    IMPORT = "IS"
    GAS = "GS"


class CspRegion(enum.StrEnum):
    NORTH = "North"
    CENTRAL = "Central"
    SOUTH = "South"


@dataclass(frozen=True)
class Caller:
    """The authenticated party behind a request; every use case gets one."""

    party_id: int
    kind: PartyKind
    code: str  # User ID (EUI-64) for suppliers and DCC, CSP ID for CSPs
    status: PartyStatus = PartyStatus.ACTIVE
    roles: frozenset[SupplierRole] = field(default_factory=frozenset)
    regions: frozenset[CspRegion] = field(default_factory=frozenset)

    @property
    def is_dcc(self) -> bool:
        return self.kind is PartyKind.DCC

    def require(self, *kinds: PartyKind) -> None:
        """Refuse callers of any other kind (a supplier key on a DCC endpoint, say)."""
        if self.kind not in kinds:
            wanted = " or ".join(k.value for k in kinds)
            raise Forbidden(f"this action is for {wanted} parties; the caller is a {self.kind}")
        if self.status is not PartyStatus.ACTIVE:
            raise Forbidden(f"party {self.code} is {self.status}")

    def can_see_hub(
        self, *, import_supplier_id: int | None, gas_supplier_id: int | None, region: str
    ) -> bool:
        if self.kind is PartyKind.DCC:
            return True
        if self.kind is PartyKind.SUPPLIER:
            return self.party_id in (import_supplier_id, gas_supplier_id)
        return region in self.regions


@dataclass(frozen=True)
class Party:
    id: int
    kind: PartyKind
    code: str
    name: str
    status: PartyStatus
    roles: frozenset[SupplierRole] = field(default_factory=frozenset)
    regions: frozenset[CspRegion] = field(default_factory=frozenset)
    signing_certificate_pem: str | None = None

    def as_caller(self) -> Caller:
        return Caller(
            party_id=self.id,
            kind=self.kind,
            code=self.code,
            status=self.status,
            roles=self.roles,
            regions=self.regions,
        )


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown of a key after creation: never the secret."""

    id: int
    party_code: str
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None
