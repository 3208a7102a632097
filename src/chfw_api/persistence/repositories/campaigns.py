"""Campaigns: the aggregate's row, its eligible-hub snapshot and each supplier's share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, text
from sqlalchemy.orm import Session

from chfw_api.domain.campaign import Campaign, CplEntry, DecisionRecord, Targeting
from chfw_api.domain.campaign.views import HubCounts, SupplierShare
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import TERMINAL
from chfw_api.persistence.ids import next_ids
from chfw_api.persistence.statistics import refresh_after_bulk_write
from chfw_api.persistence.tables import (
    CampaignHubRow,
    CampaignHubTallyRow,
    CampaignRow,
    CampaignSupplierRow,
    HubRow,
    PartyRow,
)

SNAPSHOT_CHUNK = 50_000
_SNAPSHOT_COLUMNS = [
    "campaign_id",
    "guid",
    "model",
    "csp_region",
    "from_version",
    "import_supplier_id",
    "gas_supplier_id",
    "in_pilot",
    "status",
]

_SCALARS = (
    "stage",
    "resume_stage",
    "notified_at",
    "automatic_deployment_date",
    "stage_changed_at",
    "pilot_planned",
    "pilot_start",
    "pilot_end",
    "pilot_ended_at",
    "pilot_outcome",
    "safe_launch_started_at",
    "safe_launch_ended_at",
    "safe_launch_outcome",
    "ended_at",
    "superseded_by",
    "eligible_hubs",
)


def _decision_json(d: DecisionRecord | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "decision": d.decision.value,
        "actor": d.actor,
        "at": d.at.isoformat(),
        "reason": d.reason,
        "incident_id": d.incident_id,
    }


def _decision(data: dict[str, Any] | None) -> DecisionRecord | None:
    if data is None:
        return None
    return DecisionRecord(
        decision=RolloutDecision(data["decision"]),
        actor=data["actor"],
        at=datetime.fromisoformat(data["at"]),
        reason=data["reason"],
        incident_id=data["incident_id"],
    )


class CampaignRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._rows: dict[str, CampaignRow] = {}

    def next_number(self) -> int:
        return next_ids(self._s, CampaignRow.id, 1)[0]

    def add(self, campaign: Campaign, *, number: int, release_id: int) -> None:
        row = CampaignRow(
            id=number,
            campaign_id=campaign.campaign_id,
            release_id=release_id,
            manufacturer=campaign.release.manufacturer,
            model=campaign.release.model,
            version=campaign.release.version,
            operational_or_security=campaign.release.operational_or_security,
            targeting={
                "device_models": list(campaign.targeting.device_models),
                "from_versions": list(campaign.targeting.from_versions),
                "regions": list(campaign.targeting.regions),
            },
            last_decision=_decision_json(campaign.last_decision),
            **{k: getattr(campaign, k) for k in _SCALARS},
        )
        self._s.add(row)
        self._s.flush()
        self._rows[campaign.campaign_id] = row

    def _to_campaign(self, row: CampaignRow) -> Campaign:
        self._rows[row.campaign_id] = row
        t = row.targeting
        return Campaign.restore(
            campaign_id=row.campaign_id,
            release=CplEntry(
                manufacturer=row.manufacturer,
                model=row.model,
                version=row.version,
                operational_or_security=row.operational_or_security,
                release_id=str(row.release_id),
            ),
            targeting=Targeting(
                device_models=tuple(t["device_models"]),
                from_versions=tuple(t["from_versions"]),
                regions=tuple(t["regions"]),
            ),
            last_decision=_decision(row.last_decision),
            **{k: getattr(row, k) for k in _SCALARS},
        )

    def get(self, campaign_id: str, *, for_update: bool = False) -> Campaign | None:
        stmt = select(CampaignRow).where(CampaignRow.campaign_id == campaign_id)
        if for_update:
            # Locked, so read as it is now: a row this session read earlier (unlocked) would
            # otherwise keep the values it had then.
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        row = self._s.scalar(stmt)
        return None if row is None else self._to_campaign(row)

    def internal_id(self, campaign_id: str) -> int:
        return self._rows[campaign_id].id

    def save(self, campaign: Campaign) -> None:
        """Write the aggregate back; the version column refuses a concurrent lost update."""
        row = self._rows[campaign.campaign_id]
        for k in _SCALARS:
            setattr(row, k, getattr(campaign, k))
        row.last_decision = _decision_json(campaign.last_decision)
        self._s.flush()

    def list_all(self, *, active_only: bool = False) -> list[Campaign]:
        stmt = select(CampaignRow).order_by(CampaignRow.id)
        if active_only:
            stmt = stmt.where(CampaignRow.stage.not_in([s.value for s in TERMINAL]))
        return [self._to_campaign(r) for r in self._s.scalars(stmt)]

    def in_flight_for_model(self, manufacturer: str, model: str) -> list[Campaign]:
        stmt = select(CampaignRow).where(
            CampaignRow.manufacturer == manufacturer,
            CampaignRow.model == model,
            CampaignRow.stage.not_in([s.value for s in TERMINAL]),
        )
        return [self._to_campaign(r) for r in self._s.scalars(stmt)]

    # --- the eligible snapshot ------------------------------------------------------------

    def snapshot_eligible(self, campaign: Campaign) -> int:
        """Copy today's eligible hubs into the campaign, set-based, SNAPSHOT_CHUNK estate hubs
        per INSERT ... SELECT (keyset on GUID), all in the caller's transaction.

        Eligible: Commissioned, of a targeted model, not already on the new version, and
        (when the campaign names them) on a listed old version and in a listed region.
        One statement per chunk keeps each statement's trigger transition tables in memory: a
        single 9,300,000-row statement spilled them to disk and took 14.5 minutes instead of 2
        (bench/national.py, 10,000,000 hubs).
        """
        cid = self.internal_id(campaign.campaign_id)
        t = campaign.targeting
        source = select(
            literal(cid),
            HubRow.guid,
            HubRow.model,
            HubRow.csp_region,
            HubRow.firmware_version,
            HubRow.import_supplier_id,
            HubRow.gas_supplier_id,
            literal(False),
            literal(HubStatus.ELIGIBLE.value),
        ).where(
            HubRow.status == "Commissioned",
            HubRow.model.in_(t.device_models),
            HubRow.firmware_version != campaign.release.version,
        )
        if t.from_versions:
            source = source.where(HubRow.firmware_version.in_(t.from_versions))
        if t.regions:
            source = source.where(HubRow.csp_region.in_(t.regions))
        conn = self._s.connection()
        written = 0
        after: str | None = None
        while True:
            upto = self._chunk_end(after)
            chunk = source
            if after is not None:
                chunk = chunk.where(HubRow.guid > after)
            if upto is not None:
                chunk = chunk.where(HubRow.guid <= upto)
            # Core execution with preserve_rowcount: SQLAlchemy reports INSERT row counts only then.
            result = conn.execute(
                insert(CampaignHubRow).from_select(_SNAPSHOT_COLUMNS, chunk),
                execution_options={"preserve_rowcount": True},
            )
            written += int(result.rowcount)
            if upto is None:
                break
            after = upto
        refresh_after_bulk_write(conn, "campaign_hubs", written)
        return written

    def _chunk_end(self, after: str | None) -> str | None:
        """The GUID SNAPSHOT_CHUNK estate hubs on from `after` (None: the rest is smaller)."""
        stmt = select(HubRow.guid).order_by(HubRow.guid).offset(SNAPSHOT_CHUNK - 1).limit(1)
        if after is not None:
            stmt = stmt.where(HubRow.guid > after)
        return self._s.scalar(stmt)

    def record_supplier_shares(self, campaign: Campaign) -> list[SupplierShare]:
        """BR1.3: each supplier's eligible hubs as IS and as GS, from one grouped scan."""
        cid = self.internal_id(campaign.campaign_id)
        pairs = self._s.execute(
            select(CampaignHubRow.import_supplier_id, CampaignHubRow.gas_supplier_id, func.count())
            .where(CampaignHubRow.campaign_id == cid)
            .group_by(CampaignHubRow.import_supplier_id, CampaignHubRow.gas_supplier_id)
        )
        shares: dict[int, list[int]] = {}
        for imp, gas, n in pairs:
            if imp is not None:
                shares.setdefault(imp, [0, 0])[0] += n
            if gas is not None:
                shares.setdefault(gas, [0, 0])[1] += n
        if shares:
            self._s.execute(
                insert(CampaignSupplierRow),
                [
                    {
                        "campaign_id": cid,
                        "supplier_id": sid,
                        "eligible_as_import": v[0],
                        "eligible_as_gas": v[1],
                    }
                    for sid, v in shares.items()
                ],
            )
        return self.supplier_shares(campaign.campaign_id)

    def supplier_shares(self, campaign_id: str) -> list[SupplierShare]:
        rows = self._s.execute(
            select(
                PartyRow.id,
                PartyRow.code,
                CampaignSupplierRow.eligible_as_import,
                CampaignSupplierRow.eligible_as_gas,
            )
            .join(CampaignSupplierRow, CampaignSupplierRow.supplier_id == PartyRow.id)
            .join(CampaignRow, CampaignRow.id == CampaignSupplierRow.campaign_id)
            .where(CampaignRow.campaign_id == campaign_id)
            .order_by(PartyRow.code)
        )
        return [SupplierShare(pid, code, imp, gas) for pid, code, imp, gas in rows]

    def hub_counts(self, campaign_id: str) -> HubCounts:
        """From the trigger-kept tallies: a few hundred rows whatever the campaign's size."""
        t = CampaignHubTallyRow
        rows = self._s.execute(
            select(t.in_pilot, t.status, func.sum(t.hubs))
            .join(CampaignRow, CampaignRow.id == t.campaign_id)
            .where(CampaignRow.campaign_id == campaign_id)
            .group_by(t.in_pilot, t.status)
        )
        return HubCounts.of((bool(p), s, int(n)) for p, s, n in rows if n)

    def any_hub_in(self, campaign_row_id: int, statuses: Sequence[str]) -> bool:
        """Whether one hub of the campaign has one of these statuses: an EXISTS that stops at
        the first entry of ix_campaign_hubs_status, whatever the campaign's size."""
        h = CampaignHubRow
        found = select(h.guid).where(h.campaign_id == campaign_row_id, h.status.in_(statuses))
        return bool(self._s.scalar(select(found.exists())))

    def fold_hub_tallies(self) -> int:
        """Fold every connection's partial tallies into shard 0 (PostgreSQL; SQLite keeps one
        shard). One statement, so readers see the counts before or after, never in between;
        rows a concurrent transaction adds meanwhile stay for the next fold. Returns the rows
        folded."""
        if self._s.connection().dialect.name != "postgresql":
            return 0
        key = ", ".join(
            c.name for c in CampaignHubTallyRow.__table__.primary_key if c.name != "shard"
        )
        result = self._s.execute(
            text(
                f"WITH gone AS (DELETE FROM campaign_hub_tallies WHERE shard <> 0 "
                f"RETURNING {key}, hubs), folded AS (INSERT INTO campaign_hub_tallies "
                f"({key}, shard, hubs) SELECT {key}, 0, sum(hubs) FROM gone GROUP BY {key} "
                f"ORDER BY {key} ON CONFLICT ({key}, shard) DO UPDATE SET "
                "hubs = campaign_hub_tallies.hubs + excluded.hubs RETURNING 1) "
                "SELECT (SELECT count(*) FROM gone)"
            )
        )
        self._s.execute(text("DELETE FROM campaign_hub_tallies WHERE shard = 0 AND hubs = 0"))
        return int(result.scalar_one())

    def eligible_page(
        self,
        campaign_id: str,
        *,
        supplier_id: int | None,
        after: str | None,
        limit: int,
    ) -> Sequence[tuple[str, str, str, str, bool, bool, bool, str]]:
        """A keyset page of the eligible list; a supplier sees only its own hubs (X2, BR2.1).

        Rows: guid, model, region, from_version, as_import, as_gas, in_pilot, status.
        """
        cid = select(CampaignRow.id).where(CampaignRow.campaign_id == campaign_id).scalar_subquery()
        base = select(
            CampaignHubRow.guid,
            CampaignHubRow.model,
            CampaignHubRow.csp_region,
            CampaignHubRow.from_version,
            CampaignHubRow.import_supplier_id,
            CampaignHubRow.gas_supplier_id,
            CampaignHubRow.in_pilot,
            CampaignHubRow.status,
        ).where(CampaignHubRow.campaign_id == cid)
        if after is not None:
            base = base.where(CampaignHubRow.guid > after)
        if supplier_id is None:
            queries = [base]
        else:
            queries = [
                base.where(CampaignHubRow.import_supplier_id == supplier_id),
                base.where(CampaignHubRow.gas_supplier_id == supplier_id),
            ]
        merged: dict[str, tuple[str, str, str, str, bool, bool, bool, str]] = {}
        for q in queries:
            for g, m, r, v, imp, gas, pilot, status in self._s.execute(
                q.order_by(CampaignHubRow.guid).limit(limit)
            ):
                merged[g] = (
                    g,
                    m,
                    r,
                    v,
                    supplier_id is None or imp == supplier_id,
                    supplier_id is None or gas == supplier_id,
                    bool(pilot),
                    status,
                )
        return [merged[g] for g in sorted(merged)[:limit]]
