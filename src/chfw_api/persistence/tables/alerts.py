"""The transactional outbox: every DCC Alert, rendered, stored with the change that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base, BigId, UtcDateTime


class AlertRow(Base):
    """One alert for one Service User. `alert_id` (the DUIS ResponseID) is the stable id that
    webhook consumers dedupe on; `id` orders the pull feed."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(80), unique=True)
    code: Mapped[str] = mapped_column(String(8))
    recipient_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    campaign_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    body: Mapped[str] = mapped_column(Text)
    # The W3C trace context current when the alert was queued (None when tracing is off), so
    # the delivery span links to the Service Request that caused it.
    traceparent: Mapped[str | None] = mapped_column(String(55), nullable=True)

    __table_args__ = (Index("ix_alerts_recipient", "recipient_party_id", "id"),)


__all__ = ["AlertRow"]
