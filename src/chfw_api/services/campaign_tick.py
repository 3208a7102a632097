"""The clock moves campaigns on: every automatic step that has fallen due (deadlines, the
automatic date), one campaign per transaction, run by the worker and `chfw jobs tick`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chfw_api.domain.clock import Clock
from chfw_api.services.campaigns import SYSTEM, record_events, release_of
from chfw_api.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class TickReport:
    campaigns: int
    events: int


def tick(uow_factory: Callable[[], UnitOfWork], clock: Clock) -> TickReport:
    """Perform every automatic step that has fallen due, one campaign per transaction.

    Idempotent: a second run at the same time finds nothing due.
    """
    now = clock.now()
    with uow_factory() as uow:
        ids = [c.campaign_id for c in uow.campaigns.list_all(active_only=True)]
    moved = events_total = 0
    for cid in ids:
        with uow_factory() as uow:
            campaign = uow.campaigns.get(cid, for_update=True)
            if campaign is None:
                continue
            events = campaign.tick(now)
            if not events:
                continue
            uow.campaigns.save(campaign)
            record_events(
                uow,
                campaign=campaign,
                release=release_of(uow, int(campaign.release.release_id or 0)),
                events=events,
                actor=SYSTEM,
                action="tick",
                reason="automatic step fell due",
                now=now,
            )
            uow.commit()
            moved += 1
            events_total += len(events)
    return TickReport(campaigns=moved, events=events_total)
