"""Firmware releases (CPL entries)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chfw_api.domain.releases import FirmwareRelease, Priority, ReleaseType, Severity
from chfw_api.persistence.tables import FirmwareReleaseRow


def _to_release(row: FirmwareReleaseRow) -> FirmwareRelease:
    return FirmwareRelease(
        id=row.id,
        manufacturer=row.manufacturer,
        model=row.model,
        version=row.version,
        image_hash=row.image_hash,
        release_note_ref=row.release_note_ref,
        severity=Severity(row.severity),
        priority=Priority(row.priority),
        release_type=ReleaseType(row.release_type),
        operational_or_security=row.operational_or_security,
        created_at=row.created_at,
        created_by=row.created_by,
    )


class ReleaseRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, release: FirmwareRelease) -> FirmwareRelease:
        row = FirmwareReleaseRow(
            manufacturer=release.manufacturer,
            model=release.model,
            version=release.version,
            image_hash=release.image_hash,
            release_note_ref=release.release_note_ref,
            severity=release.severity.value,
            priority=release.priority.value,
            release_type=release.release_type.value,
            operational_or_security=release.operational_or_security,
            created_at=release.created_at,
            created_by=release.created_by,
        )
        self._s.add(row)
        self._s.flush()
        return _to_release(row)

    def get(self, release_id: int) -> FirmwareRelease | None:
        row = self._s.get(FirmwareReleaseRow, release_id)
        return None if row is None else _to_release(row)

    def find(self, manufacturer: str, model: str, version: str) -> FirmwareRelease | None:
        row = self._s.scalar(
            select(FirmwareReleaseRow).where(
                FirmwareReleaseRow.manufacturer == manufacturer,
                FirmwareReleaseRow.model == model,
                FirmwareReleaseRow.version == version,
            )
        )
        return None if row is None else _to_release(row)

    def list_all(self) -> list[FirmwareRelease]:
        return [
            _to_release(r)
            for r in self._s.scalars(select(FirmwareReleaseRow).order_by(FirmwareReleaseRow.id))
        ]
