"""Webhook endpoints, one delivery row per (alert, endpoint), and pull-feed cursors.

A delivery row is the unit of work of the delivery workers. `due_at` (indexed) is when the
next attempt may start; a claim only sets `leased_until` and `lease_token`, columns no index
covers, so on PostgreSQL a claim is a HOT update (no index entries written; the table keeps
free room in each page for it). A crashed worker's rows are claimable again once
`leased_until` has passed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base, BigId, UtcDateTime


class WebhookEndpointRow(Base):
    """A Service User's webhook endpoint. Secrets are kept in clear: HMAC signing needs them.

    During a rotation `previous_secret` stays valid (both signatures are sent) until
    `previous_secret_expires_at`.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(200), default="")
    batch_size: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="active")
    disabled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime(), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("status IN ('active', 'disabled')", name="status"),
        CheckConstraint("batch_size >= 1", name="batch_size"),
    )


class WebhookEndpointCodeRow(Base):
    """One alert code an endpoint wants (`*` for every code): a table, so fan-out is a join."""

    __tablename__ = "webhook_endpoint_codes"

    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True)


class DeliveryRow(Base):
    """One alert to one endpoint. `state`: pending (due, leased or awaiting retry), delivered,
    dead. `attempts` counts requests that failed or succeeded; `lease_token` names the claim
    that holds the row, so a worker whose lease ran out cannot overwrite a newer claim's result.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_row_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("alerts.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())  # when the alert was raised
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    latency_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    replays: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("alert_row_id", "endpoint_id"),
        CheckConstraint("state IN ('pending', 'delivered', 'dead')", name="state"),
        Index("ix_deliveries_claim", "endpoint_id", "state", "due_at"),
        {"postgresql_with": {"fillfactor": 70}},
    )


class FeedCursorRow(Base):
    """How far a Service User has acknowledged its pull feed (an `alerts.id`)."""

    __tablename__ = "feed_cursors"

    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    acknowledged: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


__all__ = ["DeliveryRow", "FeedCursorRow", "WebhookEndpointCodeRow", "WebhookEndpointRow"]
