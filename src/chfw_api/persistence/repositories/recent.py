"""Read-only queries for DCC's operator dashboard (BR5.5): what went out and came in lately.

Kept apart from the outbox and the CSP gateway, which write these rows: the queries here only
read, and never load alert bodies or upload contents (both can be large; the dashboard needs
codes, recipients, campaigns, times and which kinds of upload arrived).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chfw_api.persistence.tables import AlertRow, CampaignRow, CspUploadRow, PartyRow

# (code, recipient code, campaign id, created at)
AlertLine = tuple[str, str, str | None, datetime]


class RecentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def latest_alerts(self, *, limit: int = 50, campaign_id: str | None = None) -> list[AlertLine]:
        """The newest `limit` alerts, newest first (the primary key orders them)."""
        stmt = (
            select(AlertRow.code, PartyRow.code, AlertRow.campaign_id, AlertRow.created_at)
            .join(PartyRow, PartyRow.id == AlertRow.recipient_party_id)
            .order_by(AlertRow.id.desc())
            .limit(max(1, limit))
        )
        if campaign_id is not None:
            stmt = stmt.where(AlertRow.campaign_id == campaign_id)
        return [(code, recipient, cid, at) for code, recipient, cid, at in self._s.execute(stmt)]

    def alert_counts(self, campaign_id: str) -> dict[str, int]:
        """How many alerts of each code a campaign has owed so far."""
        rows = self._s.execute(
            select(AlertRow.code, func.count())
            .where(AlertRow.campaign_id == campaign_id)
            .group_by(AlertRow.code)
            .order_by(AlertRow.code)
        )
        return {code: int(n) for code, n in rows}

    def upload_kinds(self, campaign_id: str) -> set[str]:
        """Which kinds of CSP upload (A02, A03, A08) a campaign has received, from any CSP:
        enough to say whether the CSP still owes one, without reading the GUID lists."""
        rows = self._s.scalars(
            select(CspUploadRow.kind)
            .join(CampaignRow, CampaignRow.id == CspUploadRow.campaign_id)
            .where(CampaignRow.campaign_id == campaign_id)
            .distinct()
        )
        return set(rows)
