"""The steps an SR 11.7 instruction takes on the hubs it accepted, shared by the request itself
and by the worker completing a large one in chunks (services/instruction_jobs.py).

`settle` works out each hub's plan under the split-supplier rules (BR3.2, BR4); `record` writes
the votes and plans and sends the settled hubs to their CSPs (BR3.5); `other_supplier_alerts`
tells the other supplier of each split hub what is now planned (BR3.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import overload

from chfw_api.domain import alerts as a
from chfw_api.domain import instruction_alerts as n80
from chfw_api.domain.events import HubsInstructed
from chfw_api.domain.gateway_files import InstructedHub
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.hub_suppliers import HubSuppliers
from chfw_api.domain.instructions import HubPlan, plan
from chfw_api.domain.parties import CspRegion
from chfw_api.domain.planned_groups import PlannedGroup, group_plans
from chfw_api.domain.service_request_results import GuidReason, GuidRejection
from chfw_api.domain.stages import DeploymentKind
from chfw_api.services.sr_common import Check, duplicates_apart, first_verdict, supplier_checks
from chfw_api.services.unit_of_work import UnitOfWork


@dataclass
class Accepted:
    """The hubs an instruction accepted, without a record per hub (a 300,000-GUID request
    kept one each, issue #12.5): their count, the split ones (whose plans need the other
    supplier's vote), and every GUID by the CSP serving its region (None: no CSP does), in the
    order named."""

    count: int = 0
    split: list[HubFacts] = field(default_factory=list)
    by_csp: dict[str | None, CspHubs] = field(default_factory=dict)
    suppliers_staged: bool = False  # staged with the suppliers read with their facts


@dataclass
class CspHubs:
    """One CSP's accepted hubs with the model and region its file names for each (parallel
    lists of shared strings, a few pointers per hub)."""

    guids: list[str] = field(default_factory=list)
    models: list[str | None] = field(default_factory=list)
    regions: list[str | None] = field(default_factory=list)

    def add(self, guid: str, model: str | None, region: str | None) -> None:
        self.guids.append(guid)
        self.models.append(model)
        self.regions.append(region)

    def without(self, left_out: set[str]) -> CspHubs:
        if not left_out:
            return self
        kept = CspHubs()
        for g, m, r in zip(self.guids, self.models, self.regions, strict=True):
            if g not in left_out:
                kept.add(g, m, r)
        return kept


@dataclass(frozen=True)
class Screened:
    accepted: Accepted
    rejected: list[GuidRejection]


def screen(
    uow: UnitOfWork,
    *,
    campaign_row_id: int,
    guids: Sequence[str],
    supplier_id: int,
    checks: Sequence[Check],
) -> Screened:
    """Every named GUID accepted or rejected with its reason (BR5.2), by the same checks as
    every supplier SR (`sr_common.sort_guids`), reading the hubs' facts a slice at a time and
    keeping only what the later steps need of the accepted ones."""
    rejected, unique = duplicates_apart(guids)
    facts = uow.requests.hub_facts_in_order(campaign_row_id, unique)
    # One row per GUID in the order named: the request's own GUID strings are kept, not the
    # database's copies of them.
    return _sorted(uow, zip(unique, facts, strict=True), rejected, supplier_id, checks)


def screen_candidates(
    uow: UnitOfWork, *, facts: Sequence[HubFacts], supplier_id: int, checks: Sequence[Check]
) -> Screened:
    """A chunk's candidates, read with their facts (distinct, in GUID order): staged with
    their suppliers for the votes and plans, and sorted by the same checks as `screen`."""
    uow.requests.stage_facts(facts)
    screened = _sorted(uow, ((f.guid, f) for f in facts), [], supplier_id, checks)
    screened.accepted.suppliers_staged = True
    return screened


def _sorted(
    uow: UnitOfWork,
    named: Iterable[tuple[str, HubFacts]],
    rejected: list[GuidRejection],
    supplier_id: int,
    checks: Sequence[Check],
) -> Screened:
    accepted = Accepted()
    owners: dict[str, str | None] = {r.value: uow.parties.region_owner(r) for r in CspRegion}
    all_checks = supplier_checks(supplier_id, checks)
    for g, f in named:
        verdict = first_verdict(f, all_checks)
        if verdict is not None:
            rejected.append(GuidRejection(g, verdict[0], verdict[1]))
            continue
        accepted.count += 1
        if is_split(f):
            accepted.split.append(f)
        region = f.csp_region or ""
        if region not in owners:
            owners[region] = uow.parties.region_owner(CspRegion(region))
        csp = owners[region]
        if csp not in accepted.by_csp:
            accepted.by_csp[csp] = CspHubs()
        accepted.by_csp[csp].add(g, f.model, f.csp_region)
    return Screened(accepted, rejected)


@dataclass(frozen=True)
class Settled:
    """The plans of a set of accepted hubs: split hubs one by one, the rest at one time."""

    split: list[HubFacts]
    split_plans: list[HubPlan]
    planned_sole: datetime
    waiting: int
    groups: tuple[PlannedGroup, ...]


def refused_hubs(rejected: Iterable[GuidRejection]) -> list[str]:
    """The GUIDs to leave out of the votes and plans: a GUID rejected only for being named
    again was accepted where first named, and stays."""
    return [r.guid for r in rejected if r.code is not GuidReason.DUPLICATE]


def is_split(f: HubFacts) -> bool:
    return (
        f.import_supplier_id is not None
        and f.gas_supplier_id is not None
        and f.import_supplier_id != f.gas_supplier_id
    )


def settle(
    uow: UnitOfWork,
    *,
    campaign_id: str,
    kind: DeploymentKind,
    supplier_id: int,
    requested: datetime,
    automatic_at: datetime,
    accepted: Accepted,
) -> Settled:
    """Sole-supplier hubs need no look-up (BR3.2); only split hubs consult the other vote."""
    planned_sole = min(requested, automatic_at)
    split = accepted.split
    others = (
        uow.instructions.other_votes(
            campaign_id=campaign_id, stage=kind.value, supplier_id=supplier_id
        )
        if split
        else {}
    )
    split_plans = [
        plan(
            HubSuppliers(f.import_supplier_id, f.gas_supplier_id),
            guid=f.guid,
            votes={**others.get(f.guid, {}), supplier_id: requested},
            automatic_at=automatic_at,
            asking=supplier_id,
        )
        for f in split
    ]
    waiting = sum(1 for p in split_plans if p.waiting_for_second_supplier)
    # Each planned time with its hub count; hubs still waiting for a second supplier keep
    # DCC's automatic time (BR4.1), so one date cannot speak for the whole request.
    groups = group_plans(
        ((p.planned_at, p.waiting_for_second_supplier) for p in split_plans),
        sole=(planned_sole, accepted.count - len(split)),
    )
    return Settled(split, split_plans, planned_sole, waiting, groups)


def record(
    uow: UnitOfWork,
    *,
    campaign_id: str,
    campaign_row_id: int,
    supplier_id: int,
    kind: DeploymentKind,
    instruction_id: str,
    requested: datetime,
    accepted: Accepted,
    rejected: list[GuidRejection],
    settled: Settled,
    now: datetime,
    complete: bool = True,
) -> None:
    """Votes and plans for the hubs staged in `request_guids` (the rejected ones unstaged
    first), and the settled hubs to their CSPs; `complete=False` while more chunks follow."""
    if accepted.count:  # (a chunk that found nothing staged nothing: it only completes the files)
        uow.requests.unstage(refused_hubs(rejected))
        if not accepted.suppliers_staged:
            uow.requests.stage_suppliers()
        # Plans first, marking the vote on each planned hub in the same row write; the votes
        # then leave those rows alone (one row version per hub, not two).
        uow.instructions.plan_staged_hubs(
            campaign_row_id,
            settled.planned_sole,
            split_plans=[
                (p.guid, p.planned_at)
                for p in settled.split_plans
                if not p.waiting_for_second_supplier
            ],
            voter=supplier_id,
            pilot=kind is DeploymentKind.PILOT,
        )
        uow.instructions.record_staged_votes(
            campaign_id=campaign_id,
            stage=kind.value,
            supplier_id=supplier_id,
            instruction_id=instruction_id,
            requested_at=requested,
        )
    _forward(uow, campaign_id, kind, instruction_id, accepted, settled, now, complete)


def _forward(
    uow: UnitOfWork,
    campaign_id: str,
    kind: DeploymentKind,
    instruction_id: str,
    accepted: Accepted,
    settled: Settled,
    now: datetime,
    complete: bool,
) -> None:
    """BR3.5: every hub with a settled plan goes to its CSP with its activation time; split
    hubs still waiting for their second supplier do not (BR4.1: DCC's date stands)."""
    plans = {p.guid: p.planned_at for p in settled.split_plans if not p.waiting_for_second_supplier}
    waiting = {p.guid for p in settled.split_plans if p.waiting_for_second_supplier}
    sent = {csp: hubs.without(waiting) for csp, hubs in accepted.by_csp.items()}
    forwarded = sum(len(hubs.guids) for hubs in sent.values())
    if not forwarded and not complete:
        return
    times = list(plans.values())
    if forwarded > len(plans) or not times:
        times.append(settled.planned_sole)
    uow.record(
        HubsInstructed(
            campaign_id=campaign_id,
            instruction_id=instruction_id,
            stage=kind,
            window_start=min(times),
            window_end=max(times),
            hubs_by_csp={
                csp: PlannedHubs(hubs, plans, settled.planned_sole)
                for csp, hubs in sent.items()
                if csp is not None and hubs.guids
            },
            at=now,
            complete=complete,
        )
    )


class PlannedHubs(Sequence[tuple[str, datetime]]):
    """(GUID, planned time) of a CSP's hubs, made as they are read: most share one time, so a
    300,000-hub instruction keeps its GUIDs and the split hubs' own times, not a pair per hub.
    Described (`DescribedHubs`): the file's model and region come with the hubs."""

    def __init__(self, hubs: CspHubs, plans: dict[str, datetime], sole: datetime) -> None:
        self._hubs, self._guids, self._plans, self._sole = hubs, hubs.guids, plans, sole

    def described(self, start: int, stop: int) -> list[InstructedHub]:
        h, at, sole = self._hubs, self._plans.get, self._sole
        return [
            InstructedHub(g, at(g, sole), m, r)
            for g, m, r in zip(
                h.guids[start:stop], h.models[start:stop], h.regions[start:stop], strict=True
            )
        ]

    def __len__(self) -> int:
        return len(self._guids)

    @overload
    def __getitem__(self, i: int) -> tuple[str, datetime]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[str, datetime]]: ...
    def __getitem__(self, i: int | slice) -> tuple[str, datetime] | list[tuple[str, datetime]]:
        if isinstance(i, slice):
            return [(g, self._plans.get(g, self._sole)) for g in self._guids[i]]
        g = self._guids[i]
        return g, self._plans.get(g, self._sole)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def other_supplier_alerts(
    uow: UnitOfWork,
    *,
    supplier_id: int,
    campaign_id: str,
    kind: DeploymentKind,
    instruction_id: str,
    settled: Settled,
) -> list[a.PendingAlert]:
    """N80 to each other supplier of the split hubs: that a second supplier has instructed
    and the resulting plan, never who nor the time it asked for (BR3.3)."""
    by_other: dict[int, list[HubPlan]] = {}
    facts = {f.guid: f for f in settled.split}
    for p in settled.split_plans:
        f = facts[p.guid]
        other = HubSuppliers(f.import_supplier_id, f.gas_supplier_id).other_than(supplier_id)
        if other is not None:
            by_other.setdefault(other, []).append(p)
    codes = uow.parties.codes_of(list(by_other))
    return [
        a.PendingAlert(
            recipient_party_id=other,
            recipient=codes[other],
            campaign_id=campaign_id,
            message=n80.for_other_supplier(
                campaign_id=campaign_id, instruction_id=instruction_id, stage=kind, shared=hubs
            ),
        )
        for other, hubs in sorted(by_other.items())
    ]


def close_parts(
    uow: UnitOfWork, campaign_id: str, instruction_id: str, kind: DeploymentKind, now: datetime
) -> None:
    """Manifests for the parts already sent of an instruction that ends early."""
    uow.record(
        HubsInstructed(
            campaign_id=campaign_id,
            instruction_id=instruction_id,
            stage=kind,
            window_start=now,
            window_end=now,
            hubs_by_csp={},
            at=now,
            complete=True,
        )
    )
