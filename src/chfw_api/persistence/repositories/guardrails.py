"""Guardrail figures, per-campaign rules and slice pauses.

Figures come from one grouped scan of the campaign's finished hubs (the `(campaign_id,
status)` index finds them); the domain adds each group to the slices it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, func, insert, select, union
from sqlalchemy.orm import Session

from chfw_api.domain.guardrails import (
    Dimension,
    Figures,
    FinishedGroup,
    GuardrailRule,
    HubAttributes,
    SliceKey,
    SlicePause,
    Trip,
)
from chfw_api.domain.hub_status import UNFINISHED, HubStatus
from chfw_api.domain.stages import DeploymentKind
from chfw_api.persistence.driver import fetch_all, for_guids
from chfw_api.persistence.tables import (
    CampaignHubRow,
    CampaignHubTallyRow,
    CampaignRow,
    GuardrailRuleRow,
    PartyRow,
    SlicePauseRow,
)

_ATTRIBUTES = (
    "SELECT guid, in_pilot, model, csp_region, import_supplier_id, gas_supplier_id "
    "FROM campaign_hubs WHERE campaign_id = {mark} AND guid {named} AND guid {within}"
)


def _slice_filter(key: SliceKey) -> ColumnElement[bool]:
    ch = CampaignHubRow
    # Bare `in_pilot`, not `IS TRUE`: PostgreSQL matches it to the pilot group's partial index.
    stage: ColumnElement[bool] = (
        ch.in_pilot.expression if key.stage is DeploymentKind.PILOT else ~ch.in_pilot
    )
    if key.dimension is Dimension.MODEL:
        return stage & (ch.model == key.value)
    if key.dimension is Dimension.REGION:
        return stage & (ch.csp_region == key.value)
    if key.dimension is Dimension.SUPPLIER:
        sid = int(key.value)
        return stage & ((ch.import_supplier_id == sid) | (ch.gas_supplier_id == sid))
    return stage


class GuardrailRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    # --- rules ----------------------------------------------------------------------------

    def rules(self, campaign_key: int) -> list[GuardrailRule]:
        rows = self._s.scalars(
            select(GuardrailRuleRow).where(GuardrailRuleRow.campaign_id == campaign_key)
        )
        return [
            GuardrailRule(
                DeploymentKind(r.stage), Dimension(r.dimension), r.max_failure_rate, r.min_sample
            )
            for r in rows
        ]

    def set_rules(self, campaign_key: int, rules: Sequence[GuardrailRule]) -> None:
        self._s.execute(
            delete(GuardrailRuleRow).where(GuardrailRuleRow.campaign_id == campaign_key)
        )
        if rules:
            self._s.execute(
                insert(GuardrailRuleRow),
                [
                    {
                        "campaign_id": campaign_key,
                        "stage": r.stage.value,
                        "dimension": r.dimension.value,
                        "max_failure_rate": r.max_failure_rate,
                        "min_sample": r.min_sample,
                    }
                    for r in rules
                ],
            )

    # --- figures --------------------------------------------------------------------------

    def finished_groups(self, campaign_key: int) -> list[FinishedGroup]:
        """From the trigger-kept tallies (persistence/tables/tallies.py), by the suppliers as
        notified: the cost follows the number of slices, not of finished hubs."""
        t = CampaignHubTallyRow
        rows = self._s.execute(
            select(
                t.in_pilot,
                t.model,
                t.csp_region,
                t.notified_import_id,
                t.notified_gas_id,
                func.sum(case((t.status == HubStatus.ACTIVATED, t.hubs), else_=0)),
                func.sum(case((t.status == HubStatus.FAILED, t.hubs), else_=0)),
            )
            .where(
                t.campaign_id == campaign_key, t.status.in_((HubStatus.ACTIVATED, HubStatus.FAILED))
            )
            .group_by(t.in_pilot, t.model, t.csp_region, t.notified_import_id, t.notified_gas_id)
        )
        return [
            FinishedGroup(bool(p), m, r, i or None, g or None, int(a or 0), int(f or 0))
            for p, m, r, i, g, a, f in rows
            if a or f
        ]

    # --- pauses ---------------------------------------------------------------------------

    def _pause(self, row: SlicePauseRow, campaign_id: str) -> SlicePause:
        label = row.slice_value
        if row.dimension == Dimension.SUPPLIER.value:
            label = self.supplier_codes([int(row.slice_value)]).get(int(row.slice_value), label)
        return SlicePause(
            id=row.id,
            campaign_id=campaign_id,
            key=SliceKey(DeploymentKind(row.stage), Dimension(row.dimension), row.slice_value),
            paused_at=row.paused_at,
            reason=row.reason,
            figures=Figures(row.total, row.failed),
            max_failure_rate=row.max_failure_rate,
            min_sample=row.min_sample,
            lifted_at=row.lifted_at,
            lifted_by=row.lifted_by,
            lift_reason=row.lift_reason,
            label=label,
        )

    def pauses(self, campaign_id: str, *, active_only: bool = False) -> list[SlicePause]:
        stmt = (
            select(SlicePauseRow)
            .join(CampaignRow, CampaignRow.id == SlicePauseRow.campaign_id)
            .where(CampaignRow.campaign_id == campaign_id)
            .order_by(SlicePauseRow.id)
        )
        if active_only:
            stmt = stmt.where(SlicePauseRow.lifted_at.is_(None))
        return [self._pause(r, campaign_id) for r in self._s.scalars(stmt)]

    def get_pause(self, pause_id: int) -> SlicePause | None:
        found = self._s.execute(
            select(SlicePauseRow, CampaignRow.campaign_id)
            .join(CampaignRow, CampaignRow.id == SlicePauseRow.campaign_id)
            .where(SlicePauseRow.id == pause_id)
        ).first()
        return None if found is None else self._pause(found[0], found[1])

    def baselines(self, campaign_key: int) -> dict[SliceKey, Figures]:
        """Per slice, the figures at its latest lift (only results after it count again)."""
        rows = self._s.scalars(
            select(SlicePauseRow)
            .where(SlicePauseRow.campaign_id == campaign_key, SlicePauseRow.lifted_at.is_not(None))
            .order_by(SlicePauseRow.id)
        )
        return {
            SliceKey(DeploymentKind(r.stage), Dimension(r.dimension), r.slice_value): Figures(
                r.total_at_lift or 0, r.failed_at_lift or 0
            )
            for r in rows
        }

    def add_pause(self, campaign_key: int, trip: Trip, reason: str, now: datetime) -> int:
        row = SlicePauseRow(
            campaign_id=campaign_key,
            stage=trip.key.stage.value,
            dimension=trip.key.dimension.value,
            slice_value=trip.key.value,
            paused_at=now,
            reason=reason,
            total=trip.figures.total,
            failed=trip.figures.failed,
            max_failure_rate=trip.rule.max_failure_rate,
            min_sample=trip.rule.min_sample,
        )
        self._s.add(row)
        self._s.flush()
        return row.id

    def lift(self, pause_id: int, *, by: str, reason: str, figures: Figures, now: datetime) -> None:
        row = self._s.get(SlicePauseRow, pause_id, with_for_update=True)
        assert row is not None
        row.lifted_at, row.lifted_by, row.lift_reason = now, by, reason
        row.total_at_lift, row.failed_at_lift = figures.total, figures.failed
        self._s.flush()

    # --- the hubs of a slice --------------------------------------------------------------

    def pending_hubs(
        self, campaign_key: int, key: SliceKey
    ) -> list[tuple[str, str, datetime | None]]:
        """(guid, region, planned activation) of the slice's hubs that have not finished."""
        ch = CampaignHubRow
        rows = self._s.execute(
            select(ch.guid, ch.csp_region, ch.planned_activation_at)
            .where(ch.campaign_id == campaign_key, ch.status.in_(UNFINISHED), _slice_filter(key))
            .order_by(ch.guid)
        )
        return [(g, r, p) for g, r, p in rows]

    def suppliers_in(self, campaign_key: int, key: SliceKey) -> list[tuple[int, str]]:
        """(party id, User ID) of every supplier with hubs in the slice (N81 recipients)."""
        ch = CampaignHubRow
        where = (ch.campaign_id == campaign_key) & _slice_filter(key)
        ids = union(
            select(ch.import_supplier_id.label("sid")).where(where),
            select(ch.gas_supplier_id.label("sid")).where(where),
        ).subquery()
        rows = self._s.execute(
            select(PartyRow.id, PartyRow.code)
            .join(ids, ids.c.sid == PartyRow.id)
            .order_by(PartyRow.code)
        )
        return [(int(i), c) for i, c in rows]

    def hub_attributes(self, campaign_key: int, guids: Iterable[str]) -> dict[str, HubAttributes]:
        """Per hub of an instruction (50,000 at a time): one query, the GUIDs one parameter."""
        items = sorted(set(guids))
        if not items:
            return {}
        conn = self._s.connection()
        sql, params = for_guids(conn, _ATTRIBUTES, campaign_key, items)
        return {
            g: HubAttributes(bool(p), m, r, imp, gas)
            for g, p, m, r, imp, gas in fetch_all(conn, sql, params)
        }

    def supplier_codes(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self._s.execute(select(PartyRow.id, PartyRow.code).where(PartyRow.id.in_(wanted)))
        return {int(i): c for i, c in rows}


__all__ = ["GuardrailRepository"]
