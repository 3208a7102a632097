"""Firmware releases: Central/Certified Products List entries for CH firmware."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ReleaseType(enum.StrEnum):
    SEC_RELEASE = "SECRelease"
    PLANNED_MAINTENANCE = "PlannedMaintenance"
    UNPLANNED_MAINTENANCE = "UnplannedMaintenance"


class Severity(enum.StrEnum):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    CRITICAL = "Critical"


class Priority(enum.StrEnum):
    LOW = "Low"
    NORMAL = "Normal"
    HIGH = "High"
    URGENT = "Urgent"


@dataclass(frozen=True)
class FirmwareRelease:
    id: int
    manufacturer: str
    model: str
    version: str
    image_hash: str
    release_note_ref: str
    severity: Severity
    priority: Priority
    release_type: ReleaseType
    operational_or_security: bool
    created_at: datetime
    created_by: str

    @property
    def pilot_allowed(self) -> bool:
        """AD03: operational and security releases never pilot."""
        return not self.operational_or_security
