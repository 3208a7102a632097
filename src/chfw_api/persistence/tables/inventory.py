"""The Smart Metering Inventory."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base


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
        # The rare production-proving and pilot-excluded hubs (AD10, RA03), read when the
        # pilot group is composed without reading the campaign's hubs (migration 0015).
        Index(
            "ix_hubs_pilot_rare",
            "guid",
            postgresql_where=text("production_proving OR pilot_excluded"),
            sqlite_where=text("production_proving OR pilot_excluded"),
        ),
    )
