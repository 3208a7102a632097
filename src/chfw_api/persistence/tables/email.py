"""Email contacts and the email outbox (issue #14, Option 1 section 3.1).

An outbox row is one rendered message to one address, queued in the transaction that raised
the notice and sent by the worker, like a webhook delivery: `due_at` is when the next attempt
may start, a claim sets `leased_until`/`lease_token`, and `failures` counts failed attempts (the
per-contact failure counts on /metrics are its sums). `body` is the message as rendered, so a
retry or replay sends the same bytes with the same Message-ID.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base, BigId, UtcDateTime


class EmailContactRow(Base):
    """One mailbox of a party; `notices` lists the alert codes it wants, comma-separated."""

    __tablename__ = "email_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    address: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    notices: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("party_id", "address"),)


class EmailOutboxRow(Base):
    """One message to one address. `state`: pending (due, leased or awaiting retry), sent, dead."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    code: Mapped[str] = mapped_column(String(8))
    campaign_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_contacts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    address: Mapped[str] = mapped_column(String(320))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    replays: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sent', 'dead')", name="state"),
        Index("ix_email_outbox_claim", "state", "due_at"),
    )


__all__ = ["EmailContactRow", "EmailOutboxRow"]
