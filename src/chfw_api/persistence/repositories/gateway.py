"""The CSP gateway's stores: the outbox of gateway files, CSP uploads, and who serves what.

Gateway files are written in the caller's transaction and put on disk later by the writer job
(`gateway.writer.write_pending_files`); claiming takes row locks on PostgreSQL
(SKIP LOCKED, so two writers share the work) and relies on the writer's BEGIN IMMEDIATE on
SQLite.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from chfw_api.domain.csp_uploads import (
    InstructionPart,
    NamedHub,
    PendingFile,
    UploadKind,
    UploadRecord,
)
from chfw_api.domain.errors import NotFound
from chfw_api.domain.gateway_files import GatewayFile
from chfw_api.domain.gateway_names import check_csp_id, check_part
from chfw_api.domain.hub_suppliers import HubSuppliers
from chfw_api.persistence.tables import (
    CampaignHubRow,
    CampaignRow,
    CspRegionRow,
    CspUploadRow,
    GatewayFileRow,
    HubRow,
    InstructionPartRow,
    PartyRow,
)

CHUNK = 5000


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


FileRenderer = Callable[[GatewayFile], bytes]


def _no_file_renderer(f: GatewayFile) -> bytes:
    raise RuntimeError("this unit of work was built without a gateway file renderer")


CLAIM_BYTES = 64 * 1024 * 1024
"""Bodies one writer transaction holds at most (beyond its first file)."""


class GatewayRepository:
    def __init__(self, session: Session, *, render: FileRenderer = _no_file_renderer) -> None:
        self._s = session
        self._render = render

    # --- parties and campaigns ------------------------------------------------------------

    def campaign_key(self, campaign_id: str) -> int:
        key = self._s.scalar(select(CampaignRow.id).where(CampaignRow.campaign_id == campaign_id))
        if key is None:
            raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
        return int(key)

    def csp_party(self, csp_code_or_id: str | int) -> tuple[int, str]:
        stmt = select(PartyRow.id, PartyRow.code).where(PartyRow.kind == "csp")
        if isinstance(csp_code_or_id, int):
            stmt = stmt.where(PartyRow.id == csp_code_or_id)
        else:
            stmt = stmt.where(PartyRow.code == csp_code_or_id)
        found = self._s.execute(stmt).first()
        if found is None:
            raise NotFound(f"no CSP {csp_code_or_id!r}")
        return int(found[0]), str(found[1])

    def region_csps(self) -> dict[str, tuple[int, str]]:
        """Region -> (CSP party id, CSP ID)."""
        rows = self._s.execute(
            select(CspRegionRow.region, PartyRow.id, PartyRow.code).join(
                PartyRow, PartyRow.id == CspRegionRow.csp_party_id
            )
        )
        return {r: (int(pid), code) for r, pid, code in rows}

    def campaign_regions(self, campaign_key: int) -> list[str]:
        rows = self._s.scalars(
            select(CampaignHubRow.csp_region)
            .where(CampaignHubRow.campaign_id == campaign_key)
            .distinct()
        )
        return sorted(rows)

    def suppliers_of(self, guids: Sequence[str]) -> dict[str, HubSuppliers]:
        """Current suppliers of each hub (the inventory, not the campaign snapshot: RA04)."""
        imp, gas = PartyRow.__table__.alias("imp"), PartyRow.__table__.alias("gas")
        out: dict[str, HubSuppliers] = {}
        for part in _chunks(sorted(set(guids))):
            rows = self._s.execute(
                select(
                    HubRow.guid,
                    HubRow.import_supplier_id,
                    imp.c.code,
                    HubRow.gas_supplier_id,
                    gas.c.code,
                )
                .outerjoin(imp, imp.c.id == HubRow.import_supplier_id)
                .outerjoin(gas, gas.c.id == HubRow.gas_supplier_id)
                .where(HubRow.guid.in_(part))
            )
            for g, ii, ic, gi, gc in rows:
                out[g] = HubSuppliers(ii, gi, ic, gc)
        return out

    # --- CSP uploads ----------------------------------------------------------------------

    def hub_facts(self, campaign_key: int, guids: Sequence[str]) -> dict[str, NamedHub]:
        out: dict[str, NamedHub] = {}
        for part in _chunks(guids):
            rows = self._s.execute(
                select(
                    HubRow.guid,
                    HubRow.csp_region,
                    CampaignHubRow.guid,
                    CampaignHubRow.in_pilot,
                    HubRow.pilot_excluded,
                )
                .outerjoin(
                    CampaignHubRow,
                    (CampaignHubRow.guid == HubRow.guid)
                    & (CampaignHubRow.campaign_id == campaign_key),
                )
                .where(HubRow.guid.in_(part))
            )
            for g, region, in_campaign, in_pilot, excluded in rows:
                out[g] = NamedHub(region, in_campaign is not None, bool(in_pilot), bool(excluded))
        return out

    def add_upload(
        self,
        *,
        csp_party_id: int,
        campaign_key: int,
        kind: UploadKind,
        source_format: str,
        hub_count: int,
        content: dict[str, Any],
        now: datetime,
    ) -> tuple[int, int]:
        """Store a new version, superseding the current one; returns (id, version)."""
        match = (
            (CspUploadRow.csp_party_id == csp_party_id)
            & (CspUploadRow.campaign_id == campaign_key)
            & (CspUploadRow.kind == kind.value)
        )
        last = self._s.scalar(select(func.max(CspUploadRow.version)).where(match)) or 0
        self._s.execute(
            update(CspUploadRow)
            .where(match, CspUploadRow.superseded_at.is_(None))
            .values(superseded_at=now)
        )
        row = CspUploadRow(
            csp_party_id=csp_party_id,
            campaign_id=campaign_key,
            kind=kind.value,
            version=last + 1,
            uploaded_at=now,
            source_format=source_format,
            hub_count=hub_count,
            content=content,
        )
        self._s.add(row)
        self._s.flush()
        return row.id, row.version

    def uploads(
        self, campaign_id: str, *, csp_party_id: int | None, kind: UploadKind | None
    ) -> list[UploadRecord]:
        stmt = (
            select(CspUploadRow, PartyRow.code, CampaignRow.campaign_id)
            .join(PartyRow, PartyRow.id == CspUploadRow.csp_party_id)
            .join(CampaignRow, CampaignRow.id == CspUploadRow.campaign_id)
            .where(CampaignRow.campaign_id == campaign_id)
            .order_by(CspUploadRow.kind, PartyRow.code, CspUploadRow.version)
        )
        if csp_party_id is not None:
            stmt = stmt.where(CspUploadRow.csp_party_id == csp_party_id)
        if kind is not None:
            stmt = stmt.where(CspUploadRow.kind == kind.value)
        return [
            UploadRecord(
                r.id,
                code,
                cid,
                UploadKind(r.kind),
                r.version,
                r.uploaded_at,
                r.superseded_at,
                r.source_format,
                r.hub_count,
                r.content,
            )
            for r, code, cid in self._s.execute(stmt)
        ]

    def set_default_list(
        self, campaign_key: int, regions: Sequence[str], guids: Sequence[str]
    ) -> None:
        """A02: the listed hubs are in the default list; the CSP's other hubs no longer are."""
        self._s.execute(
            update(CampaignHubRow)
            .where(
                CampaignHubRow.campaign_id == campaign_key,
                CampaignHubRow.csp_region.in_(regions),
                CampaignHubRow.in_default_list.is_(True),
            )
            .values(in_default_list=False)
        )
        for part in _chunks(guids):
            self._s.execute(
                update(CampaignHubRow)
                .where(CampaignHubRow.campaign_id == campaign_key, CampaignHubRow.guid.in_(part))
                .values(in_default_list=True)
            )

    # --- the file outbox ------------------------------------------------------------------

    def enqueue_file(self, f: GatewayFile, now: datetime) -> int:
        """Render one file (through the renderer bootstrap wires) and queue it for its CSP."""
        return self.enqueue(f.csp_id, f.kind.value, f.campaign_id, self._render(f), now)

    def enqueue(
        self,
        csp_code_or_id: str | int,
        kind: str,
        campaign_id: str | None,
        body: bytes,
        now: datetime,
    ) -> int:
        """Store one file for a CSP in the caller's transaction; returns its sequence number."""
        party_id, code = self.csp_party(csp_code_or_id)
        check_csp_id(code)  # a CSP ID that could not name a folder never gets a file queued
        check_part("kind", kind)
        if campaign_id is not None:
            check_part("campaign", campaign_id)
        result = self._s.execute(
            insert(GatewayFileRow).returning(GatewayFileRow.id),
            {
                "csp_party_id": party_id,
                "kind": kind,
                "campaign_id": campaign_id,
                "created_at": now,
                "body": body,
                "sha256": hashlib.sha256(body).hexdigest(),
            },
        )
        return int(result.scalar_one())

    def add_instruction_part(
        self, *, instruction_id: str, csp_party_id: int, part_number: int, file_id: int, hubs: int
    ) -> None:
        self._s.execute(
            insert(InstructionPartRow),
            {
                "instruction_id": instruction_id,
                "csp_party_id": csp_party_id,
                "part_number": part_number,
                "file_id": file_id,
                "hubs": hubs,
            },
        )

    def instruction_parts(self, instruction_id: str) -> dict[str, list[InstructionPart]]:
        """Every part queued so far for this instruction, by CSP ID, in part order."""
        rows = self._s.execute(
            select(
                PartyRow.code,
                InstructionPartRow.part_number,
                InstructionPartRow.file_id,
                InstructionPartRow.hubs,
                GatewayFileRow.sha256,
            )
            .join(PartyRow, PartyRow.id == InstructionPartRow.csp_party_id)
            .join(GatewayFileRow, GatewayFileRow.id == InstructionPartRow.file_id)
            .where(InstructionPartRow.instruction_id == instruction_id)
            .order_by(PartyRow.code, InstructionPartRow.part_number)
        )
        out: dict[str, list[InstructionPart]] = {}
        for code, number, file_id, hubs, sha in rows:
            out.setdefault(code, []).append(InstructionPart(number, file_id, hubs, sha))
        return out

    def claim(self, limit: int, *, max_bytes: int = CLAIM_BYTES) -> list[PendingFile]:
        """Unwritten files, oldest first, locked for this transaction: at most `limit`, and no
        more than `max_bytes` of bodies beyond the first file (a 50,000-hub instruction part is
        up to 9 MB at 10,000,000 hubs: a backlog of 200 of them would be 1.8 GB at once)."""
        stmt = (
            select(GatewayFileRow.id, func.length(GatewayFileRow.body))
            .where(GatewayFileRow.written_at.is_(None))
            .order_by(GatewayFileRow.id)
            .limit(limit)
        )
        if self._s.connection().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        ids: list[int] = []
        size = 0
        for file_id, length in self._s.execute(stmt):
            size += length or 0
            if ids and size > max_bytes:
                break
            ids.append(file_id)
        if not ids:
            return []
        rows = self._s.execute(
            select(
                GatewayFileRow.id,
                PartyRow.code,
                GatewayFileRow.kind,
                GatewayFileRow.campaign_id,
                GatewayFileRow.body,
                GatewayFileRow.sha256,
            )
            .join(PartyRow, PartyRow.id == GatewayFileRow.csp_party_id)
            .where(GatewayFileRow.id.in_(ids))
            .order_by(GatewayFileRow.id)
        )
        return [PendingFile(*r) for r in rows]

    def mark_written(self, ids: Sequence[int], now: datetime) -> None:
        if ids:
            self._s.execute(
                update(GatewayFileRow).where(GatewayFileRow.id.in_(ids)).values(written_at=now)
            )

    def files(
        self, *, csp_party_id: int | None = None, limit: int = 1000
    ) -> list[tuple[int, str, str, str | None, datetime, datetime | None]]:
        """(seq, CSP ID, kind, campaign, created, written) newest first, for DCC and tests."""
        stmt = (
            select(
                GatewayFileRow.id,
                PartyRow.code,
                GatewayFileRow.kind,
                GatewayFileRow.campaign_id,
                GatewayFileRow.created_at,
                GatewayFileRow.written_at,
            )
            .join(PartyRow, PartyRow.id == GatewayFileRow.csp_party_id)
            .order_by(GatewayFileRow.id.desc())
            .limit(limit)
        )
        if csp_party_id is not None:
            stmt = stmt.where(GatewayFileRow.csp_party_id == csp_party_id)
        return list(self._s.execute(stmt))
