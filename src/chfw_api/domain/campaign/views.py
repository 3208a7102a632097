"""Read models of a campaign that the rules and the alerts need: shares and counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from chfw_api.domain.hub_status import HubStatus


@dataclass(frozen=True)
class SupplierShare:
    """One supplier's eligible hubs in a campaign (BR1.3), as IS and as GS."""

    party_id: int
    user_id: str
    eligible_as_import: int
    eligible_as_gas: int


@dataclass(frozen=True)
class HubCounts:
    """Hubs by status, for the whole campaign and for its pilot group."""

    by_status: dict[str, int] = field(default_factory=dict)
    pilot_by_status: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[tuple[bool, str, int]]) -> HubCounts:
        total: dict[str, int] = {}
        pilot: dict[str, int] = {}
        for in_pilot, status, n in rows:
            total[status] = total.get(status, 0) + n
            if in_pilot:
                pilot[status] = pilot.get(status, 0) + n
        return cls(total, pilot)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def pilot_total(self) -> int:
        return sum(self.pilot_by_status.values())

    def pilot(self, status: str) -> int:
        return self.pilot_by_status.get(status, 0)

    def overall(self, status: str) -> int:
        return self.by_status.get(status, 0)

    @property
    def pilot_pending(self) -> int:
        return self.pilot_total - self.pilot(HubStatus.ACTIVATED) - self.pilot(HubStatus.FAILED)
