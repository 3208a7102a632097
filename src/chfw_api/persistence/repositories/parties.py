"""Parties, their CSP regions and API keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chfw_api.domain.inventory import SupplierDirectory
from chfw_api.domain.parties import (
    ApiKeyInfo,
    CspRegion,
    Party,
    PartyKind,
    PartyStatus,
    SupplierRole,
)
from chfw_api.persistence.tables import ApiKeyRow, CspRegionRow, PartyRow


def _roles(row: PartyRow) -> frozenset[SupplierRole]:
    roles = set()
    if row.is_import_supplier:
        roles.add(SupplierRole.IMPORT)
    if row.is_gas_supplier:
        roles.add(SupplierRole.GAS)
    return frozenset(roles)


class PartyRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _to_party(self, row: PartyRow) -> Party:
        regions: frozenset[CspRegion] = frozenset()
        if row.kind == PartyKind.CSP:
            regions = frozenset(
                CspRegion(r)
                for r in self._s.scalars(
                    select(CspRegionRow.region).where(CspRegionRow.csp_party_id == row.id)
                )
            )
        return Party(
            id=row.id,
            kind=PartyKind(row.kind),
            code=row.code,
            name=row.name,
            status=PartyStatus(row.status),
            roles=_roles(row),
            regions=regions,
            signing_certificate_pem=row.signing_certificate_pem,
        )

    def add(
        self,
        *,
        kind: PartyKind,
        code: str,
        name: str,
        roles: Iterable[SupplierRole] = (),
        now: datetime,
        signing_certificate_pem: str | None = None,
    ) -> Party:
        role_set = set(roles)
        row = PartyRow(
            kind=kind.value,
            code=code,
            name=name,
            status=PartyStatus.ACTIVE.value,
            is_import_supplier=SupplierRole.IMPORT in role_set,
            is_gas_supplier=SupplierRole.GAS in role_set,
            signing_certificate_pem=signing_certificate_pem,
            created_at=now,
        )
        self._s.add(row)
        self._s.flush()
        return self._to_party(row)

    def region_owner(self, region: CspRegion) -> str | None:
        return self._s.scalar(
            select(PartyRow.code)
            .join(CspRegionRow, CspRegionRow.csp_party_id == PartyRow.id)
            .where(CspRegionRow.region == region.value)
        )

    def assign_regions(self, party_id: int, regions: Iterable[CspRegion]) -> None:
        for region in regions:
            self._s.add(CspRegionRow(region=region.value, csp_party_id=party_id))
        self._s.flush()

    def get_by_code(self, code: str) -> Party | None:
        row = self._s.scalar(select(PartyRow).where(PartyRow.code == code))
        return None if row is None else self._to_party(row)

    def list_all(self, kind: PartyKind | None = None) -> list[Party]:
        stmt = select(PartyRow).order_by(PartyRow.kind, PartyRow.code)
        if kind is not None:
            stmt = stmt.where(PartyRow.kind == kind.value)
        return [self._to_party(r) for r in self._s.scalars(stmt)]

    def codes_of(self, party_ids: list[int]) -> dict[int, str]:
        if not party_ids:
            return {}
        rows = self._s.execute(select(PartyRow.id, PartyRow.code).where(PartyRow.id.in_(party_ids)))
        return {pid: code for pid, code in rows}

    def set_status(self, party_id: int, status: PartyStatus) -> None:
        self._s.execute(update(PartyRow).where(PartyRow.id == party_id).values(status=status.value))

    def set_certificate(self, party_id: int, pem: str | None) -> None:
        self._s.execute(
            update(PartyRow).where(PartyRow.id == party_id).values(signing_certificate_pem=pem)
        )

    def supplier_directory(self) -> SupplierDirectory:
        rows = self._s.execute(
            select(
                PartyRow.code, PartyRow.id, PartyRow.is_import_supplier, PartyRow.is_gas_supplier
            ).where(PartyRow.kind == PartyKind.SUPPLIER.value)
        )
        by_user: dict[str, tuple[int, frozenset[SupplierRole]]] = {}
        for code, pid, is_import, is_gas in rows:
            roles = set()
            if is_import:
                roles.add(SupplierRole.IMPORT)
            if is_gas:
                roles.add(SupplierRole.GAS)
            by_user[code] = (pid, frozenset(roles))
        return SupplierDirectory(by_user_id=by_user)

    # --- API keys -------------------------------------------------------------------------

    def add_key(
        self, *, party_id: int, prefix: str, key_hash: str, label: str, now: datetime
    ) -> int:
        row = ApiKeyRow(
            party_id=party_id, prefix=prefix, key_hash=key_hash, label=label, created_at=now
        )
        self._s.add(row)
        self._s.flush()
        return row.id

    def party_for_key_hash(self, key_hash: str) -> Party | None:
        row = self._s.scalar(
            select(PartyRow)
            .join(ApiKeyRow, ApiKeyRow.party_id == PartyRow.id)
            .where(ApiKeyRow.key_hash == key_hash, ApiKeyRow.revoked_at.is_(None))
        )
        return None if row is None else self._to_party(row)

    def keys_of(self, party_id: int) -> list[ApiKeyInfo]:
        rows = self._s.execute(
            select(ApiKeyRow, PartyRow.code)
            .join(PartyRow, PartyRow.id == ApiKeyRow.party_id)
            .where(ApiKeyRow.party_id == party_id)
            .order_by(ApiKeyRow.id)
        )
        return [
            ApiKeyInfo(
                id=k.id,
                party_code=code,
                prefix=k.prefix,
                label=k.label,
                created_at=k.created_at,
                revoked_at=k.revoked_at,
            )
            for k, code in rows
        ]

    def get_key(self, key_id: int) -> ApiKeyInfo | None:
        row = self._s.execute(
            select(ApiKeyRow, PartyRow.code)
            .join(PartyRow, PartyRow.id == ApiKeyRow.party_id)
            .where(ApiKeyRow.id == key_id)
        ).first()
        if row is None:
            return None
        k, code = row
        return ApiKeyInfo(
            id=k.id,
            party_code=code,
            prefix=k.prefix,
            label=k.label,
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )

    # --- who can still get in (changes to it run one at a time) ---------------------------

    def lock_dcc_parties(self) -> None:
        """Row-lock every DCC party, in id order, until the transaction ends (PostgreSQL): two
        revocations or suspensions that could each leave the DCC without a key then run one
        after the other, the second seeing the first. On SQLite the writer's BEGIN IMMEDIATE
        already serialises them."""
        self._s.execute(
            select(PartyRow.id)
            .where(PartyRow.kind == PartyKind.DCC.value)
            .order_by(PartyRow.id)
            .with_for_update()
        ).all()

    def live_keys(self, party_id: int) -> int:
        return (
            self._s.scalar(
                select(func.count())
                .select_from(ApiKeyRow)
                .where(ApiKeyRow.party_id == party_id, ApiKeyRow.revoked_at.is_(None))
            )
            or 0
        )

    def dcc_parties_with_live_keys(self, *, besides: int) -> int:
        """Active DCC parties other than `besides` that hold at least one live key."""
        live = (
            select(ApiKeyRow.id)
            .where(ApiKeyRow.party_id == PartyRow.id, ApiKeyRow.revoked_at.is_(None))
            .exists()
        )
        return (
            self._s.scalar(
                select(func.count())
                .select_from(PartyRow)
                .where(
                    PartyRow.kind == PartyKind.DCC.value,
                    PartyRow.status == PartyStatus.ACTIVE.value,
                    PartyRow.id != besides,
                    live,
                )
            )
            or 0
        )

    def revoke_key(self, key_id: int, now: datetime) -> None:
        self._s.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
