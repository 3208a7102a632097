"""What every supplier Service Request use case shares: finding the campaign for a supplier,
and sorting named GUIDs into the ones to act on and the ones to reject (BR5.2)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from chfw_api.domain.campaign import Campaign
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.inventory import DeviceStatus
from chfw_api.domain.parties import Caller, CspRegion
from chfw_api.domain.service_request_results import (
    GuidReason,
    GuidRejection,
    Refusal,
    ServiceRequestRefused,
)
from chfw_api.domain.stages import TERMINAL
from chfw_api.services.unit_of_work import UnitOfWork

T = TypeVar("T")
NOT_YOURS = "not a hub you serve as Import or Gas Supplier"
"""Said alike of an unknown GUID and of another supplier's hub (X2)."""


def supplier_campaign(
    uow: UnitOfWork, caller: Caller, campaign_id: str, *, lock: bool = True
) -> tuple[Campaign, int]:
    """The campaign and its row id, if the caller has hubs in it; otherwise 'unknown', so a
    supplier learns nothing of campaigns that are not its business (X2). A campaign that has
    ended takes no more lists, schedules or instructions. `lock` holds its row to the end of
    the transaction, as every writer of its hubs does; a request that only reads them yet
    (a dry run, a large list being screened) leaves it to the others."""
    campaign = uow.campaigns.get(campaign_id, for_update=lock)
    if campaign is None or caller.party_id not in {
        s.party_id for s in uow.campaigns.supplier_shares(campaign_id)
    }:
        raise ServiceRequestRefused(
            Refusal.CAMPAIGN_UNKNOWN, f"no campaign {campaign_id} with hubs of yours"
        )
    refuse_ended(campaign)
    return campaign, uow.campaigns.internal_id(campaign_id)


def refuse_ended(campaign: Campaign) -> None:
    if campaign.stage in TERMINAL:
        raise ServiceRequestRefused(
            Refusal.CAMPAIGN_ENDED,
            f"campaign {campaign.campaign_id} has ended ({campaign.stage}); it takes no more "
            "requests",
        )


Check = Callable[[HubFacts], tuple[GuidReason, str] | None]


def _common(supplier_id: int) -> Check:
    def check(f: HubFacts) -> tuple[GuidReason, str] | None:
        if not f.known:
            return GuidReason.UNKNOWN, "not a CH in the Smart Metering Inventory"
        if not f.supplies(supplier_id):
            return GuidReason.NOT_RESPONSIBLE, "you are neither its Import nor its Gas Supplier"
        if f.device_status != DeviceStatus.COMMISSIONED:
            # E.g. decommissioned since the campaign took its snapshot of eligible hubs.
            return GuidReason.DEVICE_STATUS, (
                f"its SMI status is {f.device_status}; firmware goes to Commissioned hubs only"
            )
        return None

    return check


@dataclass
class Sorted:
    accepted: list[HubFacts]
    rejected: list[GuidRejection]


def sort_guids(
    uow: UnitOfWork,
    *,
    campaign_row_id: int,
    guids: Sequence[str],
    supplier_id: int,
    checks: Sequence[Check],
) -> Sorted:
    """Every named GUID either accepted or rejected with its reason, never silently dropped."""
    rejected, unique = duplicates_apart(guids)
    accepted: list[HubFacts] = []
    all_checks = supplier_checks(supplier_id, checks)
    for f in uow.requests.hub_facts_in_order(campaign_row_id, unique):
        verdict = first_verdict(f, all_checks)
        if verdict is not None:
            rejected.append(GuidRejection(f.guid, verdict[0], verdict[1]))
        else:
            accepted.append(f)
    return Sorted(accepted, rejected)


def duplicates_apart(guids: Iterable[str]) -> tuple[list[GuidRejection], list[str]]:
    """A GUID named again is rejected each further time; the rest, once each, in order."""
    rejected: list[GuidRejection] = []
    seen: set[str] = set()
    unique: list[str] = []
    for g in guids:
        if g in seen:
            rejected.append(GuidRejection(g, GuidReason.DUPLICATE, "named more than once"))
        else:
            seen.add(g)
            unique.append(g)
    return rejected, unique


def supplier_checks(supplier_id: int, checks: Sequence[Check]) -> list[Check]:
    """The checks every supplier SR makes of a named hub, then the SR's own, in order."""
    return [_common(supplier_id), *checks]


def first_verdict(f: HubFacts, checks: Sequence[Check]) -> tuple[GuidReason, str] | None:
    """The first check the hub fails, or None: one reason per rejected GUID."""
    for check in checks:
        verdict = check(f)
        if verdict is not None:
            return verdict
    return None


def not_yours(uow: UnitOfWork, supplier_id: int, guids: Sequence[str]) -> tuple[GuidRejection, ...]:
    """Each named GUID that is not a hub this supplier serves, once, in the order named. One
    reason for unknown and for another supplier's, so no answer tells which GUIDs are live
    hubs of someone else (X2)."""
    if not guids:
        return ()
    own = uow.estate.supplied_among(supplier_id, guids)
    return tuple(
        GuidRejection(g, GuidReason.NOT_YOURS, NOT_YOURS)
        for g in dict.fromkeys(guids)
        if g not in own
    )


def in_campaign(f: HubFacts) -> tuple[GuidReason, str] | None:
    if not f.in_campaign:
        return GuidReason.NOT_ELIGIBLE, "not eligible for this campaign's firmware"
    return None


def by_csp(uow: UnitOfWork, items: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    """Group (CSP region, item) pairs by the CSP serving each region (CSPs keep their own
    network: each gets only its hubs, DD01)."""
    owners: dict[str, str | None] = {}
    out: dict[str, list[T]] = {}
    for region, item in items:
        if region not in owners:
            owners[region] = uow.parties.region_owner(CspRegion(region))
        csp = owners[region]
        if csp is not None:
            out.setdefault(csp, []).append(item)
    return out
