"""Estate firmware status reports (SR 11.8): large ones are produced asynchronously."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# guid, is Import Supplier, is Gas Supplier, firmware, campaign, status in it, when
EstateRow = tuple[str, bool, bool, str, str | None, str | None, datetime | None]

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
