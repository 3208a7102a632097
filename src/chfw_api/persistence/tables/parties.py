"""Parties, CSP regions and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base, UtcDateTime


class PartyRow(Base):
    """Suppliers, CSPs and the DCC operator; `code` is the User ID or the CSP ID."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    is_import_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    is_gas_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    signing_certificate_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        CheckConstraint("kind IN ('supplier', 'csp', 'dcc')", name="kind"),
        CheckConstraint("status IN ('active', 'suspended')", name="status"),
    )


class CspRegionRow(Base):
    """Which CSP serves each region: a region has exactly one CSP."""

    __tablename__ = "csp_regions"

    region: Mapped[str] = mapped_column(String(16), primary_key=True)
    csp_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)


class ApiKeyRow(Base):
    """API keys are shown once; only a SHA-256 of the full key is kept (keys are 256-bit random)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(24))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
