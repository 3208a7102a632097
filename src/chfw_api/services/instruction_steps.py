"""The steps an SR 11.7 instruction takes on the hubs it accepted, shared by the request itself
and by the worker completing a large one in chunks (services/instruction_jobs.py).

`settle` works out each hub's plan under the split-supplier rules (BR3.2, BR4); `record` writes
the votes and plans and sends the settled hubs to their CSPs (BR3.5); `other_supplier_alerts`
tells the other supplier of each split hub what is now planned (BR3.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain import instruction_alerts as n80
from chfw_api.domain.events import HubsInstructed
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.hub_suppliers import HubSuppliers
from chfw_api.domain.instructions import HubPlan, plan
from chfw_api.domain.planned_groups import PlannedGroup, group_plans
from chfw_api.domain.service_request_results import GuidRejection
from chfw_api.domain.stages import DeploymentKind
from chfw_api.services.sr_common import by_csp
from chfw_api.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Settled:
    """The plans of a set of accepted hubs: split hubs one by one, the rest at one time."""

    split: list[HubFacts]
    split_plans: list[HubPlan]
    planned_sole: datetime
    waiting: int
    groups: tuple[PlannedGroup, ...]


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
    accepted: list[HubFacts],
) -> Settled:
    """Sole-supplier hubs need no look-up (BR3.2); only split hubs consult the other vote."""
    planned_sole = min(requested, automatic_at)
    split = [f for f in accepted if is_split(f)]
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
        sole=(planned_sole, len(accepted) - len(split)),
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
    accepted: list[HubFacts],
    rejected: list[GuidRejection],
    settled: Settled,
    now: datetime,
    complete: bool = True,
) -> None:
    """Votes and plans for the hubs staged in `request_guids` (the rejected ones unstaged
    first), and the settled hubs to their CSPs; `complete=False` while more chunks follow."""
    if accepted:  # (a chunk that found nothing staged nothing: it only completes the files)
        uow.requests.unstage([r.guid for r in rejected])
        uow.instructions.record_staged_votes(
            campaign_id=campaign_id,
            stage=kind.value,
            supplier_id=supplier_id,
            instruction_id=instruction_id,
            requested_at=requested,
        )
        uow.instructions.plan_staged_sole_supplier_hubs(campaign_row_id, settled.planned_sole)
        uow.instructions.set_plans(
            campaign_row_id,
            [
                (p.guid, p.planned_at)
                for p in settled.split_plans
                if not p.waiting_for_second_supplier
            ],
        )
    _forward(uow, campaign_id, kind, instruction_id, accepted, settled, now, complete)


def _forward(
    uow: UnitOfWork,
    campaign_id: str,
    kind: DeploymentKind,
    instruction_id: str,
    accepted: list[HubFacts],
    settled: Settled,
    now: datetime,
    complete: bool,
) -> None:
    """BR3.5: every hub with a settled plan goes to its CSP with its activation time; split
    hubs still waiting for their second supplier do not (BR4.1: DCC's date stands)."""
    plans = {p.guid: p.planned_at for p in settled.split_plans if not p.waiting_for_second_supplier}
    hubs = [
        (f.csp_region or "", (f.guid, plans.get(f.guid, settled.planned_sole)))
        for f in accepted
        if not is_split(f) or f.guid in plans
    ]
    if not hubs and not complete:
        return
    times = [t for _, (_, t) in hubs] or [settled.planned_sole]
    uow.record(
        HubsInstructed(
            campaign_id=campaign_id,
            instruction_id=instruction_id,
            stage=kind,
            window_start=min(times),
            window_end=max(times),
            hubs_by_csp=by_csp(uow, hubs) if hubs else {},
            at=now,
            complete=complete,
        )
    )


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
