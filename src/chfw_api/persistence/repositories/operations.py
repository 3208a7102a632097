"""Read-only figures for /metrics and /readyz: each one is an index range scan or a read of the
trigger-kept tallies, never a scan of the alerts or the hubs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chfw_api.domain.operations import OperationsFigures
from chfw_api.persistence.tables import (
    CampaignHubTallyRow,
    CampaignRow,
    DeliveryRow,
    SlicePauseRow,
    WebhookEndpointRow,
)


class OperationsRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def outbox_lag_seconds(self, now: datetime) -> float:
        """How long the oldest delivery that is due, and not leased by a worker, has waited.

        Counted from when it fell due, on active endpoints only: a retry scheduled for later,
        or a supplier's endpoint that is failing or disabled, is that supplier's backlog, not
        a sign that the workers are behind (and must not take API processes out of service).
        The claim index (endpoint, state, due_at) answers it per endpoint.
        """
        d = DeliveryRow
        oldest = self._s.scalar(
            select(func.min(d.due_at)).where(
                d.endpoint_id.in_(
                    select(WebhookEndpointRow.id).where(WebhookEndpointRow.status == "active")
                ),
                d.state == "pending",
                d.due_at <= now,
            )
        )
        return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0

    def figures(self, now: datetime) -> OperationsFigures:
        t = CampaignHubTallyRow
        hubs = self._s.execute(
            select(CampaignRow.campaign_id, t.status, func.sum(t.hubs))
            .join(CampaignRow, CampaignRow.id == t.campaign_id)
            .group_by(CampaignRow.campaign_id, t.status)
            .order_by(CampaignRow.campaign_id, t.status)
        )
        p = SlicePauseRow
        pauses = self._s.execute(
            select(CampaignRow.campaign_id, p.stage, func.count())
            .join(CampaignRow, CampaignRow.id == p.campaign_id)
            .where(p.lifted_at.is_(None))
            .group_by(CampaignRow.campaign_id, p.stage)
            .order_by(CampaignRow.campaign_id, p.stage)
        )
        return OperationsFigures(
            outbox_lag_seconds=self.outbox_lag_seconds(now),
            hubs_by_status=tuple((c, s, int(n or 0)) for c, s, n in hubs),
            active_pauses=tuple((c, s, int(n)) for c, s, n in pauses),
        )
