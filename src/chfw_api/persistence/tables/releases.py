"""CPL firmware releases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chfw_api.persistence.tables.base import Base, UtcDateTime


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
