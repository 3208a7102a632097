"""Deployment instructions (SR 11.7): timing rules and split-supplier consensus (BR3, BR4).

A hub's planned activation follows from the instructions of its *current* suppliers:
- one supplier, or Import and Gas Supplier the same party: that supplier's time (BR3.2);
- two different suppliers: both must instruct, and the later of the two times wins (BR3.3,
  BR4.2); until both have, DCC's automatic time stands (BR4.1);
- no instruction at all: DCC's automatic time (BR3.6).
An instruction by a party that is no longer the hub's supplier no longer counts, but stays on
record with the supplier responsible when it was given (RA04).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain.calendar import add_months
from chfw_api.domain.errors import Problem
from chfw_api.domain.hub_suppliers import HubSuppliers

MIN_NOTICE_MONTHS = 1  # BR3.4
MIN_SAFE_LAUNCH_BATCH = 50_000  # BR3.7

# Request-level rejection codes (documented in docs/response-codes.md).
TOO_LATE = "E110701"
NOT_EARLIER = "E110702"
BATCH_TOO_SMALL = "E110703"
IN_THE_PAST = "E110704"
STAGE_CLOSED = "E110705"


def timing_problems(*, now: datetime, requested: datetime, automatic_at: datetime) -> list[Problem]:
    """BR3.4: at least one month before DCC's automatic time, and naming an earlier time."""
    problems: list[Problem] = []
    if requested.tzinfo is None:
        return [Problem("must carry a time zone", field="RequestedActivationDateTime",
                        code=IN_THE_PAST)]  # fmt: skip
    deadline = add_months(automatic_at, -MIN_NOTICE_MONTHS)
    if now > deadline:
        problems.append(
            Problem(
                f"instructions for this stage had to arrive by {deadline.isoformat()}, one "
                f"month before DCC's automatic time {automatic_at.isoformat()}",
                field="RequestedActivationDateTime",
                code=TOO_LATE,
            )
        )
    if requested >= automatic_at:
        problems.append(
            Problem(
                f"{requested.isoformat()} is not earlier than DCC's automatic time "
                f"{automatic_at.isoformat()}",
                field="RequestedActivationDateTime",
                code=NOT_EARLIER,
            )
        )
    if requested <= now:
        problems.append(
            Problem(
                f"{requested.isoformat()} is in the past",
                field="RequestedActivationDateTime",
                code=IN_THE_PAST,
            )
        )
    return problems


@dataclass(frozen=True, slots=True)
class HubPlan:
    """What an instruction means for one hub; a supplier is never told who the other is."""

    guid: str
    planned_at: datetime
    second_supplier_exists: bool
    second_supplier_instructed: bool

    @property
    def waiting_for_second_supplier(self) -> bool:
        return self.second_supplier_exists and not self.second_supplier_instructed


def plan(
    hub: HubSuppliers,
    *,
    guid: str,
    votes: Mapping[int, datetime],
    automatic_at: datetime,
    asking: int,
) -> HubPlan:
    """The hub's planned activation given its current suppliers' instructions (`votes`, by
    supplier id; votes of parties no longer supplying the hub are ignored), as seen by the
    supplier `asking`."""
    suppliers = hub.suppliers
    current = {s: t for s, t in votes.items() if s in suppliers}
    other = hub.other_than(asking)
    if not hub.is_split:
        planned = min(current.values()) if current else automatic_at
    elif len(current) == 2:
        planned = max(current.values())
    else:
        planned = automatic_at
    return HubPlan(
        guid=guid,
        planned_at=min(planned, automatic_at),
        second_supplier_exists=other is not None,
        second_supplier_instructed=other is not None and other in current,
    )


def batch_problems(
    *, explicit: bool, kind_is_safe_launch: bool, count: int, remaining_for_supplier: int
) -> list[Problem]:
    """BR3.7: an explicit safe-launch batch holds at least 50,000 GUIDs, unless it is every
    hub the supplier still has to instruct (a small supplier's whole estate, BR3.8)."""
    if not explicit or not kind_is_safe_launch:
        return []
    if count >= MIN_SAFE_LAUNCH_BATCH or count >= remaining_for_supplier:
        return []
    return [
        Problem(
            f"a safe-launch batch names at least {MIN_SAFE_LAUNCH_BATCH:,} GUIDs (this one "
            f"names {count:,}); to instruct fewer, instruct all your eligible hubs (AllEligible)",
            field="DeviceIDList",
            code=BATCH_TOO_SMALL,
        )
    ]
