"""Typed SQLAlchemy models. Constraint names follow one convention so migrations stay stable."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit autoincrement keys on PostgreSQL; SQLite needs INTEGER PRIMARY KEY for rowid aliasing.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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


class HubRow(Base):
    """One Communications Hub in the Smart Metering Inventory."""

    __tablename__ = "hubs"

    guid: Mapped[str] = mapped_column(String(23), primary_key=True)
    manufacturer: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    firmware_version: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(32))
    csp_region: Mapped[str] = mapped_column(String(16))
    import_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), nullable=True)
    gas_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), nullable=True)
    production_proving: Mapped[bool] = mapped_column(Boolean, default=False)
    friendly_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    pilot_excluded: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_hubs_import_supplier_id", "import_supplier_id", "guid"),
        Index("ix_hubs_gas_supplier_id", "gas_supplier_id", "guid"),
        Index("ix_hubs_model", "model", "firmware_version"),
    )


class FirmwareReleaseRow(Base):
    """A CH firmware entry of the Central/Certified Products List."""

    __tablename__ = "firmware_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manufacturer: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(8))
    image_hash: Mapped[str] = mapped_column(String(64))
    release_note_ref: Mapped[str] = mapped_column(String(500))
    severity: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    release_type: Mapped[str] = mapped_column(String(32))
    operational_or_security: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("manufacturer", "model", "version", name="uq_firmware_releases_entry"),
    )


__all__ = [
    "ApiKeyRow",
    "Base",
    "BigId",
    "CspRegionRow",
    "FirmwareReleaseRow",
    "HubRow",
    "PartyRow",
]
