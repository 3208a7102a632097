"""What a supplier reads back about an instruction: its hubs' planned activations, grouped.

One instruction's hubs need not share one date: sole-supplier hubs take the supplier's own
time (BR3.2), split hubs the later of both suppliers' times (BR4.2), and split hubs whose
suppliers have not both instructed keep DCC's automatic time (BR4.1). So the SR 11.7 response
and alert N80 give each planned date with its hub count instead of a single date.

N80 stays small at national scale (#12.2): it lists hubs one by one only up to
`ALERT_HUB_LIMIT` and dates up to `ALERT_GROUP_LIMIT`; beyond either, the alert says so
(`hubs_in_report`) and the per-hub detail is read with SR 11.8, whose report gives each hub's
planned date and second-supplier status. With both lists full an N80 stays well under 1 MiB.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

ALERT_HUB_LIMIT = 1_000
"""Hubs an N80 lists one by one (about 230 bytes each); a larger instruction lists none."""

ALERT_GROUP_LIMIT = 1_000
"""Planned dates an N80 carries (about 200 bytes each), earliest first."""


@dataclass(frozen=True, slots=True)
class PlannedGroup:
    """Hubs that activate at one time. `awaiting_instruction`: split hubs whose suppliers have
    not both instructed, so DCC's automatic time stands until they do (BR4.1). Says nothing
    of which supplier is awaited beyond what the reader already knows (BR3.3)."""

    planned_activation_at: datetime
    awaiting_instruction: bool
    hub_count: int

    def __post_init__(self) -> None:
        if self.planned_activation_at.tzinfo is None:
            raise ValueError("planned activation time must carry a time zone")
        if self.hub_count < 1:
            raise ValueError("a planned group holds at least one hub")


def group_plans(
    plans: Iterable[tuple[datetime, bool]], *, sole: tuple[datetime, int] | None = None
) -> tuple[PlannedGroup, ...]:
    """Count hubs by (planned time, awaiting instruction), earliest first. `sole` adds hubs
    planned together without a per-hub plan: the sole-supplier hubs, all at one time."""
    counts = Counter(plans)
    if sole is not None and sole[1] > 0:
        counts[(sole[0], False)] += sole[1]
    return tuple(PlannedGroup(at, awaiting, n) for (at, awaiting), n in sorted(counts.items()) if n)


def alert_detail(
    groups: tuple[PlannedGroup, ...], split_hubs: int
) -> tuple[tuple[PlannedGroup, ...], bool, bool]:
    """What an N80 may carry: (its planned groups, whether it lists the split hubs one by one,
    whether some detail was left to SR 11.8). Hubs are listed all or not at all: a partial
    list would read as the whole instruction."""
    list_hubs = split_hubs <= ALERT_HUB_LIMIT
    in_report = not list_hubs or len(groups) > ALERT_GROUP_LIMIT
    return groups[:ALERT_GROUP_LIMIT], list_hubs, in_report
