"""The Smart Metering Inventory."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.domain.pilot import pilot_band
from chfw_api.persistence.tables.base import Base

PROVING = "production_proving AND NOT pilot_excluded"


def _band_of_row(context: DefaultExecutionContext) -> int:
    return pilot_band(context.get_current_parameters()["guid"])  # type: ignore[no-untyped-call]


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
    # Fixed by the GUID (`domain.pilot.pilot_band`): a pilot sample reads its supplier's hubs
    # a band at a time instead of all of them (migration 0017).
    pilot_band: Mapped[int] = mapped_column(SmallInteger, default=_band_of_row)

    __table_args__ = (
        Index("ix_hubs_import_supplier_id", "import_supplier_id", "guid"),
        Index("ix_hubs_gas_supplier_id", "gas_supplier_id", "guid"),
        Index("ix_hubs_model", "model", "firmware_version"),
        # Pilot samples read these a band at a time (migration 0017). Equal keys are stored
        # once (deduplicated), so the indexes stay small: 41 MB for 2,000,000 hubs.
        Index("ix_hubs_import_pilot_band", "import_supplier_id", "friendly_customer", "pilot_band"),
        Index("ix_hubs_gas_pilot_band", "gas_supplier_id", "friendly_customer", "pilot_band"),
        # The production-proving hubs that can be in a pilot group (AD10), with what composing
        # the group needs of them: read in the group's order without visiting the table.
        Index(
            "ix_hubs_proving",
            "guid",
            postgresql_include=["import_supplier_id", "gas_supplier_id", "friendly_customer"],
            postgresql_where=text(PROVING),
            sqlite_where=text(PROVING),
        ),
        # The rare production-proving and pilot-excluded hubs (AD10, RA03), read when the
        # pilot group is composed without reading the campaign's hubs (migration 0015).
        Index(
            "ix_hubs_pilot_rare",
            "guid",
            postgresql_where=text("production_proving OR pilot_excluded"),
            sqlite_where=text("production_proving OR pilot_excluded"),
        ),
    )
