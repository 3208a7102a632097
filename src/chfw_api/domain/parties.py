"""Parties: Suppliers (Service Users), CSPs and the DCC operator, and who may see what (X2)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from chfw_api.domain.errors import Conflict, Forbidden, Problem


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


# --- changing who can get in ---------------------------------------------------------------


class LockOut(Conflict):
    """A change that would leave the DCC no way in through the API: only database access
    would recover the service, so it is refused and the way round is named."""

    code = "lock-out"


def reason_problems(reason: str) -> list[Problem]:
    """A change to a party or its keys says why (X1): the audit trail keeps the reason."""
    return [] if reason.strip() else [Problem("must not be blank", field="reason")]


def check_key_revocation(party: Party, *, key_id: int, live_keys: int) -> None:
    """An active DCC party keeps at least one live key: revoking its last one would shut it out
    of the service it runs. (A suspended party is already shut out; its keys may all go.)"""
    if party.kind is PartyKind.DCC and party.status is PartyStatus.ACTIVE and live_keys <= 1:
        raise LockOut(
            f"API key {key_id} is the last live key of DCC party {party.code}: revoking it would "
            "leave the DCC no way in but the database; issue another key first",
            party=party.code,
            key_id=key_id,
        )


def check_status_change(
    party: Party, status: PartyStatus, *, actor: str, other_dcc_with_keys: int
) -> None:
    """No party suspends itself (its own request would be its last), and the DCC is never left
    without an active party holding a live key."""
    if status is not PartyStatus.SUSPENDED or party.status is PartyStatus.SUSPENDED:
        return
    if party.code == actor:
        raise LockOut(
            f"party {party.code} cannot suspend itself: its keys would stop working at once; "
            "another DCC party may suspend it",
            party=party.code,
        )
    if party.kind is PartyKind.DCC and other_dcc_with_keys == 0:
        raise LockOut(
            f"{party.code} is the only active DCC party with a live API key: suspending it "
            "would leave the DCC no way in but the database; register or reactivate another "
            "DCC party, with a key, first",
            party=party.code,
        )
