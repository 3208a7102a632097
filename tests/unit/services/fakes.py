"""An in-memory unit of work for use-case tests (as cosmicpython's FakeUnitOfWork).

It implements only the stores the tested use cases call (`services/*_stores.py`), each over one
`World` of plain values. A transaction is real enough to test "a refusal changes nothing": `with
uow:` takes a copy of the world, and leaving the block without `commit()` puts it back; a store
hands out copies of the aggregates it holds, so a change counts only once it is saved.

Consequences are recorded, not delivered: events a use case records (`uow.record`) are kept in
`world.events` when it commits, and alerts put straight into the outbox in `world.alerts`.
Tests assert on outcomes (the world, the result, the events and alerts), never on which store
method was called, so a use case may change how it gets there.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from chfw_api.domain.alerts import PendingAlert
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.campaign.events import RolloutDecisionMade
from chfw_api.domain.campaign.views import HubCounts, SupplierShare
from chfw_api.domain.events import DomainEvent
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.incidents import Incident, IncidentStatus
from chfw_api.domain.inventory import DeviceStatus
from chfw_api.domain.parties import CspRegion, Party
from chfw_api.domain.pilot import BandRanges, PilotCandidate, pilot_band
from chfw_api.domain.releases import FirmwareRelease
from chfw_api.domain.stages import TERMINAL


@dataclass
class Hub:
    """An inventory hub (the Smart Metering Inventory's row)."""

    guid: str
    model: str
    version: str
    region: str
    import_id: int | None
    gas_id: int | None
    device_status: str = DeviceStatus.COMMISSIONED
    production_proving: bool = False
    friendly_customer: bool = False
    pilot_excluded: bool = False


@dataclass
class CampaignHub:
    """A hub in a campaign's eligible snapshot."""

    hub: Hub
    in_pilot: bool = False
    in_default_list: bool = False
    status: HubStatus = HubStatus.ELIGIBLE


@dataclass
class World:
    """Everything the fake stores hold: what a test arranges and then asserts on."""

    parties: dict[str, Party] = field(default_factory=dict)
    region_owners: dict[str, str] = field(default_factory=dict)  # CSP region -> CSP code
    releases: dict[int, FirmwareRelease] = field(default_factory=dict)
    hubs: dict[str, Hub] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    campaign_rows: dict[str, int] = field(default_factory=dict)
    campaign_hubs: dict[str, dict[str, CampaignHub]] = field(default_factory=dict)
    shares: dict[str, list[SupplierShare]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # originator -> last counter (X3)
    incidents: dict[str, Incident] = field(default_factory=dict)
    decisions: list[RolloutDecisionMade] = field(default_factory=list)
    preferred: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    alerts: list[PendingAlert] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)  # recorded, once committed
    numbers: dict[str, int] = field(default_factory=dict)

    def next(self, sequence: str) -> int:
        self.numbers[sequence] = self.numbers.get(sequence, 0) + 1
        return self.numbers[sequence]

    def party_id(self, code: str) -> int:
        return self.parties[code].id

    def in_campaign(self, campaign_id: str) -> dict[str, CampaignHub]:
        return self.campaign_hubs.setdefault(campaign_id, {})


class _Store:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def w(self) -> World:
        return self._uow.world

    def _campaign_id(self, row_id: int) -> str:
        return next(c for c, r in self.w.campaign_rows.items() if r == row_id)


class FakeParties(_Store):
    def get_by_code(self, code: str) -> Party | None:
        return self.w.parties.get(code)

    def region_owner(self, region: CspRegion) -> str | None:
        return self.w.region_owners.get(region)

    def codes_of(self, party_ids: list[int]) -> dict[int, str]:
        return {p.id: p.code for p in self.w.parties.values() if p.id in party_ids}


class FakeReleases(_Store):
    def get(self, release_id: int) -> FirmwareRelease | None:
        return self.w.releases.get(release_id)


class FakeAudit(_Store):
    def append(self, records: Sequence[AuditRecord]) -> None:
        self.w.audit.extend(records)


class FakeOutbox(_Store):
    def add(self, alerts: Sequence[PendingAlert], *, now: datetime) -> list[str]:
        self.w.alerts.extend(alerts)
        return [f"ALERT-{self.w.next('alert')}" for _ in alerts]


class FakeCampaigns(_Store):
    def next_number(self) -> int:
        return self.w.next("campaign")

    def internal_id(self, campaign_id: str) -> int:
        return self.w.campaign_rows[campaign_id]

    def add(self, campaign: Campaign, *, number: int, release_id: int) -> None:
        self.w.campaign_rows[campaign.campaign_id] = number
        self.save(campaign)

    def get(self, campaign_id: str, *, for_update: bool = False) -> Campaign | None:
        found = self.w.campaigns.get(campaign_id)
        return copy.deepcopy(found)

    def save(self, campaign: Campaign) -> None:
        self.w.campaigns[campaign.campaign_id] = copy.deepcopy(campaign)

    def list_all(self, *, active_only: bool = False) -> list[Campaign]:
        found = [copy.deepcopy(c) for c in self.w.campaigns.values()]
        return [c for c in found if not active_only or c.stage not in TERMINAL]

    def in_flight_for_model(self, manufacturer: str, model: str) -> list[Campaign]:
        return [
            c
            for c in self.list_all(active_only=True)
            if (c.release.manufacturer, c.release.model) == (manufacturer, model)
        ]

    def snapshot_eligible(self, campaign: Campaign) -> int:
        t = campaign.targeting
        snapshot = self.w.in_campaign(campaign.campaign_id)
        for h in self.w.hubs.values():
            if (
                h.device_status == DeviceStatus.COMMISSIONED
                and h.model in t.device_models
                and h.version != campaign.release.version
                and (not t.from_versions or h.version in t.from_versions)
                and (not t.regions or h.region in t.regions)
            ):
                snapshot[h.guid] = CampaignHub(copy.copy(h))
        return len(snapshot)

    def record_supplier_shares(self, campaign: Campaign) -> list[SupplierShare]:
        counts: dict[int, list[int]] = {}
        for ch in self.w.in_campaign(campaign.campaign_id).values():
            if ch.hub.import_id is not None:
                counts.setdefault(ch.hub.import_id, [0, 0])[0] += 1
            if ch.hub.gas_id is not None:
                counts.setdefault(ch.hub.gas_id, [0, 0])[1] += 1
        codes = {p.id: p.code for p in self.w.parties.values()}
        shares = sorted(
            (SupplierShare(pid, codes[pid], imp, gas) for pid, (imp, gas) in counts.items()),
            key=lambda s: s.user_id,
        )
        self.w.shares[campaign.campaign_id] = shares
        return shares

    def supplier_shares(self, campaign_id: str) -> list[SupplierShare]:
        return list(self.w.shares.get(campaign_id, []))

    def hub_counts(self, campaign_id: str) -> HubCounts:
        hubs = self.w.in_campaign(campaign_id).values()
        groups = itertools.groupby(sorted((h.in_pilot, h.status) for h in hubs))
        return HubCounts.of((pilot, status, len(list(g))) for (pilot, status), g in groups)

    def any_hub_in(self, campaign_row_id: int, statuses: Sequence[str]) -> bool:
        hubs = self.w.in_campaign(self._campaign_id(campaign_row_id)).values()
        return any(h.status in statuses for h in hubs)


class FakeIncidents(_Store):
    def next_number(self) -> int:
        return self.w.next("incident")

    def add(self, incident: Incident, *, number: int) -> None:
        self.save(incident)

    def get(self, incident_id: str) -> Incident | None:
        return copy.deepcopy(self.w.incidents.get(incident_id))

    def save(self, incident: Incident) -> None:
        self.w.incidents[incident.incident_id] = copy.deepcopy(incident)

    def list_all(
        self, *, campaign_id: str | None = None, status: IncidentStatus | None = None
    ) -> list[Incident]:
        return [
            copy.deepcopy(i)
            for i in self.w.incidents.values()
            if campaign_id in (None, i.campaign_id) and status in (None, i.status)
        ]


class FakeDecisions(_Store):
    def add(self, event: RolloutDecisionMade) -> None:
        self.w.decisions.append(event)

    def list_for(self, campaign_id: str) -> list[RolloutDecisionMade]:
        return [d for d in self.w.decisions if d.campaign_id == campaign_id]


class FakeEstate(_Store):
    def supplied_among(self, supplier_id: int, guids: Sequence[str]) -> set[str]:
        return {
            g
            for g in guids
            if (h := self.w.hubs.get(g)) is not None and supplier_id in (h.import_id, h.gas_id)
        }


class FakeRequests(_Store):
    def consume_counter(self, originator: str, counter: int, now: datetime) -> bool:
        if counter <= self.w.counters.get(originator, 0):
            return False
        self.w.counters[originator] = counter
        return True

    def hub_facts(self, campaign_row_id: int, guids: Sequence[str]) -> dict[str, HubFacts]:
        snapshot = self.w.in_campaign(self._campaign_id(campaign_row_id))
        out = {}
        for g in guids:
            h, ch = self.w.hubs.get(g), snapshot.get(g)
            out[g] = (
                HubFacts(g, False, None, None, None, False, False, False, False, False, None, None,
                         None)
                if h is None
                else HubFacts(g, True, h.device_status, h.import_id, h.gas_id,
                              h.production_proving, h.friendly_customer, h.pilot_excluded,
                              ch is not None, ch is not None and ch.in_pilot,
                              ch.status if ch else None, h.region, h.model)
            )  # fmt: skip
        return out

    def hub_facts_in_order(self, campaign_row_id: int, guids: Sequence[str]) -> Iterator[HubFacts]:
        yield from self.hub_facts(campaign_row_id, guids).values()

    def stage(self, guids: Sequence[str]) -> None:
        """Nothing is staged in memory."""

    def stage_facts(self, facts: Iterable[HubFacts]) -> None:
        """Nothing is staged in memory."""

    def stage_suppliers(self) -> None:
        """Nothing is staged in memory."""

    def unstage(self, guids: Sequence[str]) -> None:
        """Nothing is staged in memory."""


class FakePilot(_Store):
    def replace_preferred_list(
        self,
        *,
        campaign_id: str,
        supplier_id: int,
        guids: Sequence[str],
        request_id: str,
        now: datetime,
        rules: dict[str, Any] | None,
        chosen_by_dcc: bool = False,
    ) -> None:
        self.w.preferred.setdefault(campaign_id, {})[supplier_id] = list(guids)

    def preferred_lists(self, campaign_id: str) -> dict[int, frozenset[str]]:
        return {s: frozenset(g) for s, g in self.w.preferred.get(campaign_id, {}).items()}

    def suppliers_with_lists(self, campaign_id: str) -> set[int]:
        return set(self.w.preferred.get(campaign_id, {}))

    def composition_candidates(
        self, campaign_row_id: int, campaign_id: str, *, proving: int = 0, seed: int = 0
    ) -> list[PilotCandidate]:
        return [
            PilotCandidate(h.guid, h.import_id, h.gas_id, h.region, h.model,
                           h.production_proving, h.friendly_customer, h.pilot_excluded)
            for h in (ch.hub for ch in self.w.in_campaign(campaign_id).values())
        ]  # fmt: skip

    def supplier_candidates(self, campaign_row_id: int, supplier_id: int) -> list[PilotCandidate]:
        return [
            c
            for c in self.composition_candidates(
                campaign_row_id, self._campaign_id(campaign_row_id)
            )
            if supplier_id in c.suppliers
        ]

    def pool_size(
        self,
        campaign_row_id: int,
        supplier_id: int,
        *,
        regions: frozenset[str],
        models: frozenset[str],
    ) -> int:
        return sum(
            1
            for c in self.supplier_candidates(campaign_row_id, supplier_id)
            if not (c.production_proving or c.pilot_excluded)
            and (not regions or c.csp_region in regions)
            and (not models or c.model in models)
        )

    def named_candidates(
        self, campaign_row_id: int, supplier_id: int, guids: Iterable[str]
    ) -> list[PilotCandidate]:
        named = set(guids)
        return [
            c for c in self.supplier_candidates(campaign_row_id, supplier_id) if c.guid in named
        ]

    def supplier_candidates_in_bands(
        self, campaign_row_id: int, supplier_id: int, *, friendly: bool, bands: BandRanges
    ) -> list[PilotCandidate]:
        return [
            c
            for c in self.supplier_candidates(campaign_row_id, supplier_id)
            if c.friendly_customer == friendly
            and any(lo <= pilot_band(c.guid) <= hi for lo, hi in bands)
        ]

    def default_list(self, campaign_row_id: int) -> frozenset[str]:
        hubs = self.w.in_campaign(self._campaign_id(campaign_row_id))
        return frozenset(g for g, ch in hubs.items() if ch.in_default_list)

    def set_members(self, campaign_row_id: int, members: Sequence[str]) -> None:
        chosen = set(members)
        for g, ch in self.w.in_campaign(self._campaign_id(campaign_row_id)).items():
            # Hubs already deployed stay in the pilot whatever happens (as the repository).
            ch.in_pilot = g in chosen or (ch.in_pilot and ch.status is not HubStatus.ELIGIBLE)

    def members(self, campaign_row_id: int) -> list[str]:
        hubs = self.w.in_campaign(self._campaign_id(campaign_row_id))
        return sorted(g for g, ch in hubs.items() if ch.in_pilot)


class FakeUnitOfWork:
    """`with uow:` is a transaction over `world`; only `commit()` keeps what happened in it."""

    def __init__(self, world: World | None = None) -> None:
        self.world = world or World()
        self.commits = 0
        self._before: World | None = None
        self._pending: list[DomainEvent] = []
        self.parties = FakeParties(self)
        self.releases = FakeReleases(self)
        self.audit = FakeAudit(self)
        self.outbox = FakeOutbox(self)
        self.campaigns = FakeCampaigns(self)
        self.incidents = FakeIncidents(self)
        self.decisions = FakeDecisions(self)
        self.estate = FakeEstate(self)
        self.requests = FakeRequests(self)
        self.pilot = FakePilot(self)

    def __call__(self, *, read_only: bool = False) -> Self:
        """The same unit of work each time: a factory for use cases that open several."""
        return self

    def __enter__(self) -> Self:
        if self._before is not None:
            raise RuntimeError("unit of work is not re-entrant")
        self._before = copy.deepcopy(self.world)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._before = None

    def record(self, event: DomainEvent) -> None:
        self._pending.append(event)

    def dispatch(self) -> None:
        """No handler table here: events stay recorded and are kept when the use case commits."""

    def commit(self) -> None:
        self.world.events.extend(self._pending)
        self._pending.clear()
        self._before = copy.deepcopy(self.world)  # what a later rollback returns to
        self.commits += 1

    def rollback(self) -> None:
        self._pending.clear()
        if self._before is not None:
            self.world, self._before = self._before, copy.deepcopy(self._before)
