"""Estate firmware status reports (SR 11.8): large ones are produced asynchronously."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from chfw_api.domain.hub_status import UNPLANNED


class SecondSupplier(enum.StrEnum):
    """A hub's other supplier as the reporting supplier may know it: whether one exists and
    has instructed this campaign's deployment, never who (BR3.3, X2)."""

    NOT_SPLIT = "NotSplit"
    INSTRUCTED = "Instructed"
    NOT_INSTRUCTED = "NotInstructed"


class EstateRow(NamedTuple):
    """One hub of a supplier's estate, in a campaign when `campaign_id` is set. `split` and
    `other_instructed` are about the hub's current other supplier, whose identity the row
    never holds."""

    guid: str
    is_import: bool
    is_gas: bool
    firmware_version: str
    campaign_id: str | None
    status: str | None
    status_at: datetime | None
    planned_at: datetime | None = None
    in_pilot: bool = False
    split: bool = False
    other_instructed: bool = False

    @property
    def second_supplier(self) -> SecondSupplier | None:
        """Only within a campaign: outside one there is nothing to instruct."""
        if self.campaign_id is None:
            return None
        if not self.split:
            return SecondSupplier.NOT_SPLIT
        return SecondSupplier.INSTRUCTED if self.other_instructed else SecondSupplier.NOT_INSTRUCTED


def planned_activation(row: EstateRow, automatic_at: datetime | None) -> datetime | None:
    """When the hub is planned to activate. A hub nobody has planned yet (never instructed, or
    a split hub awaiting its second supplier) keeps DCC's automatic time, `automatic_at` for
    its campaign and stage (BR3.6, BR4.1); a hub past planning keeps the time it had."""
    if row.planned_at is not None:
        return row.planned_at
    return automatic_at if row.status == UNPLANNED else None


SYNC_LIMIT = 1000  # hubs answered in the response itself; more become an asynchronous report


@dataclass(frozen=True)
class Report:
    report_id: str
    supplier_id: int
    request_id: str
    params: dict[str, Any]
    status: str  # pending | ready
    rows: int | None
    path: str | None
    ready_at: datetime | None
