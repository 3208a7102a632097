"""SR 11.7: a supplier instructs pilot or safe-launch deployment (BR3, BR4, BR5.1, RA04).

Large by design: an instruction names 50,000+ GUIDs (or all the supplier's hubs), so every
step is set-based: one staged look-up of the named hubs, one bulk upsert of votes, one read of
the other suppliers' votes on the split hubs, one bulk update of the plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.clock import Clock
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.instructions import (
    BATCH_TOO_SMALL,
    IN_THE_PAST,
    MIN_SAFE_LAUNCH_BATCH,
    NOT_EARLIER,
    TOO_LATE,
    HubPlan,
    HubSuppliers,
    batch_problems,
    plan,
    timing_problems,
)
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.service_request_results import (
    GuidReason,
    InstructionResult,
    Refusal,
    ServiceRequestRefused,
)
from chfw_api.domain.service_requests import InstructDeployment
from chfw_api.domain.stages import HELD, DeploymentKind
from chfw_api.services.gateway_outbound import forward_instruction
from chfw_api.services.sr_common import by_csp, in_campaign, sort_guids, supplier_campaign
from chfw_api.services.unit_of_work import UnitOfWork

_REFUSAL = {
    TOO_LATE: Refusal.INSTRUCTION_TOO_LATE,
    NOT_EARLIER: Refusal.NOT_BEFORE_AUTOMATIC,
    IN_THE_PAST: Refusal.ACTIVATION_IN_PAST,
    BATCH_TOO_SMALL: Refusal.BATCH_TOO_SMALL,
}


@dataclass(frozen=True)
class InstructionOutcome:
    result: InstructionResult
    plans: list[HubPlan]


def _stage_checks(kind: DeploymentKind):  # type: ignore[no-untyped-def]
    def group(f: HubFacts) -> tuple[GuidReason, str] | None:
        if kind is DeploymentKind.PILOT and not f.in_pilot:
            return GuidReason.NOT_IN_PILOT, "not in the campaign's pilot group"
        if kind is DeploymentKind.SAFE_LAUNCH and f.in_pilot:
            return GuidReason.IN_PILOT, "in the pilot group; safe launch is every other hub (C4)"
        return None

    def deployable(f: HubFacts) -> tuple[GuidReason, str] | None:
        if f.campaign_status in ("distributed", "activated", "failed"):
            return GuidReason.ALREADY_INSTRUCTED, f"already {f.campaign_status}"
        return None

    return [in_campaign, group, deployable]


def _refuse_campaign(campaign: Campaign, kind: DeploymentKind) -> None:
    if campaign.stage in HELD:
        raise ServiceRequestRefused(
            Refusal.ROLLOUT_HELD,
            f"campaign {campaign.campaign_id} is {campaign.stage}; instructions are held",
        )
    if not campaign.may_instruct(kind):
        raise ServiceRequestRefused(
            Refusal.STAGE_NOT_INSTRUCTABLE,
            f"campaign {campaign.campaign_id} ({campaign.stage}) takes no {kind} instructions",
        )


def instruct(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    command: InstructDeployment,
) -> InstructionOutcome:
    caller.require(PartyKind.SUPPLIER)
    now = clock.now()
    kind = command.stage
    with uow:
        campaign, row_id = supplier_campaign(uow, caller, command.campaign_id)
        _refuse_campaign(campaign, kind)
        automatic_at = campaign.automatic_activation_at(kind)
        assert automatic_at is not None  # may_instruct(PILOT) implies a pilot period
        timing = timing_problems(
            now=now, requested=command.requested_activation_at, automatic_at=automatic_at
        )
        if timing:
            raise ServiceRequestRefused(_REFUSAL[timing[0].code or TOO_LATE],
                                        "; ".join(p.reason for p in timing),
                                        tuple(timing))  # fmt: skip
        pilot = kind is DeploymentKind.PILOT
        if command.all_eligible:
            named = uow.requests.supplier_campaign_guids(row_id, caller.party_id, in_pilot=pilot)
        else:
            named = list(command.guids or ())
        sorted_ = sort_guids(
            uow,
            campaign_row_id=row_id,
            guids=named,
            supplier_id=caller.party_id,
            checks=_stage_checks(kind),
        )
        accepted = sorted_.accepted
        explicit = not command.all_eligible
        if explicit and not pilot and 0 < len(accepted) < MIN_SAFE_LAUNCH_BATCH:
            remaining = uow.instructions.uninstructed_count(
                campaign_row_id=row_id,
                campaign_id=campaign.campaign_id,
                stage=kind.value,
                supplier_id=caller.party_id,
                pilot=pilot,
            )
            size = batch_problems(explicit=True, kind_is_safe_launch=True, count=len(accepted),
                                  remaining_for_supplier=remaining)  # fmt: skip
            if size:
                raise ServiceRequestRefused(Refusal.BATCH_TOO_SMALL, size[0].reason, tuple(size))
        requested = command.requested_activation_at
        planned_sole = min(requested, automatic_at)
        # Sole-supplier hubs need no look-up (BR3.2); only split hubs consult the other vote.
        split = [f for f in accepted if _is_split(f)]
        others = (
            uow.instructions.other_votes(
                campaign_id=campaign.campaign_id, stage=kind.value, supplier_id=caller.party_id
            )
            if split
            else {}
        )
        split_plans = [
            plan(
                HubSuppliers(f.guid, f.import_supplier_id, f.gas_supplier_id),
                votes={**others.get(f.guid, {}), caller.party_id: requested},
                automatic_at=automatic_at,
                asking=caller.party_id,
            )
            for f in split
        ]
        waiting = sum(1 for p in split_plans if p.waiting_for_second_supplier)
        agreed = [p.planned_at for p in split_plans if not p.waiting_for_second_supplier]
        # The latest planned activation among the accepted hubs; hubs still waiting for a
        # second supplier keep DCC's automatic time (BR4.1).
        planned = agreed + ([planned_sole] if len(split) < len(accepted) else [])
        planned += [automatic_at] if waiting else []
        latest = max(planned) if accepted else None
        if command.dry_run:
            return InstructionOutcome(
                InstructionResult(
                    dry_run=True,
                    accepted=len(accepted),
                    rejected=tuple(sorted_.rejected),
                    planned_activation_at=latest,
                    awaiting_second_supplier=waiting,
                ),
                split_plans,
            )
        instruction_id = ""
        if accepted:
            number = uow.instructions.next_number()
            instruction_id = f"INS-{number:06d}"
            uow.instructions.add(
                number=number,
                instruction_id=instruction_id,
                campaign_id=campaign.campaign_id,
                supplier_id=caller.party_id,
                stage=kind.value,
                requested_at=requested,
                received_at=now,
                request_id=command.header.request_id,
                all_eligible=command.all_eligible,
                accepted=len(accepted),
                rejected=len(sorted_.rejected),
            )
            uow.requests.unstage([r.guid for r in sorted_.rejected])
            uow.instructions.record_staged_votes(
                campaign_id=campaign.campaign_id,
                stage=kind.value,
                supplier_id=caller.party_id,
                instruction_id=instruction_id,
                requested_at=requested,
            )
            uow.instructions.plan_staged_sole_supplier_hubs(row_id, planned_sole)
            uow.instructions.set_plans(
                row_id,
                [(p.guid, p.planned_at) for p in split_plans
                 if not p.waiting_for_second_supplier],
            )  # fmt: skip
            _forward(uow, campaign, command, instruction_id, accepted, split_plans, planned_sole,
                     now)  # fmt: skip
            _alerts(uow, caller, campaign, command, instruction_id, split_plans, split, now,
                    len(accepted), len(sorted_.rejected), latest)  # fmt: skip
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=caller.code,
                    action="sr.11.7.instruction",
                    subject=f"campaign:{campaign.campaign_id}",
                    reason=command.header.request_id,
                    after={
                        "instruction": instruction_id or None,
                        "stage": kind.value,
                        "requested": requested.isoformat(),
                        "accepted": len(accepted),
                        "rejected": len(sorted_.rejected),
                        "awaiting_second_supplier": waiting,
                    },
                )
            ]
        )
        uow.commit()
    return InstructionOutcome(
        InstructionResult(
            dry_run=False,
            accepted=len(accepted),
            rejected=tuple(sorted_.rejected),
            instruction_id=instruction_id or None,
            planned_activation_at=latest,
            awaiting_second_supplier=waiting,
        ),
        split_plans,
    )


def _forward(
    uow: UnitOfWork,
    campaign: Campaign,
    command: InstructDeployment,
    instruction_id: str,
    accepted: list[HubFacts],
    split_plans: list[HubPlan],
    planned_sole: datetime,
    now: datetime,
) -> None:
    """BR3.5: every hub with a settled plan goes to its CSP with its activation time; split
    hubs still waiting for their second supplier do not (BR4.1: DCC's date stands)."""
    settled = {p.guid: p.planned_at for p in split_plans if not p.waiting_for_second_supplier}
    hubs = [
        (f.csp_region or "", (f.guid, settled.get(f.guid, planned_sole)))
        for f in accepted
        if not _is_split(f) or f.guid in settled
    ]
    if not hubs:
        return
    times = [t for _, (_, t) in hubs]
    forward_instruction(
        uow,
        campaign_id=campaign.campaign_id,
        instruction_id=instruction_id,
        stage=command.stage,
        window_start=min(times),
        window_end=max(times),
        hubs_by_csp=by_csp(uow, hubs),
        now=now,
    )


def _is_split(f: HubFacts) -> bool:
    return (
        f.import_supplier_id is not None
        and f.gas_supplier_id is not None
        and f.import_supplier_id != f.gas_supplier_id
    )


def _alerts(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    command: InstructDeployment,
    instruction_id: str,
    plans: list[HubPlan],
    accepted: list[HubFacts],
    now: datetime,
    accepted_count: int,
    rejected: int,
    latest: datetime | None,
) -> None:
    """N80 to the instructing supplier (BR5.1), listing its split hubs: a second supplier
    exists and whether it has instructed, never who (BR3.3); and N80 to each other supplier of
    those split hubs, so it learns the first has instructed and what is now planned."""
    split = plans  # only split hubs are listed: BR3.3 is about them
    owed = [
        a.PendingAlert(
            recipient_party_id=caller.party_id,
            recipient=caller.code,
            campaign_id=campaign.campaign_id,
            request_id=command.header.request_id,
            message=a.InstructionStatus(
                campaign_id=campaign.campaign_id,
                instruction_id=instruction_id,
                stage=command.stage,
                requested_activation_at=command.requested_activation_at,
                planned_activation_at=latest,
                accepted=accepted_count,
                rejected=rejected,
                hubs=tuple(
                    a.HubInstructionState(
                        guid=p.guid,
                        second_supplier_exists=True,
                        second_supplier_instructed=p.second_supplier_instructed,
                        planned_activation_at=p.planned_at,
                    )
                    for p in split
                ),
            ),
        )
    ]
    by_other: dict[int, list[HubPlan]] = {}
    facts = {f.guid: f for f in accepted}
    for p in split:
        f = facts[p.guid]
        other = HubSuppliers(f.guid, f.import_supplier_id, f.gas_supplier_id).other_than(
            caller.party_id
        )
        if other is not None:
            by_other.setdefault(other, []).append(p)
    codes = uow.parties.codes_of(list(by_other))
    for other, hubs in sorted(by_other.items()):
        owed.append(
            a.PendingAlert(
                recipient_party_id=other,
                recipient=codes[other],
                campaign_id=campaign.campaign_id,
                message=a.InstructionStatus(
                    campaign_id=campaign.campaign_id,
                    instruction_id=instruction_id,
                    stage=command.stage,
                    requested_activation_at=command.requested_activation_at,
                    planned_activation_at=max(h.planned_at for h in hubs),
                    accepted=len(hubs),
                    rejected=0,
                    hubs=tuple(
                        a.HubInstructionState(
                            guid=h.guid,
                            second_supplier_exists=True,
                            second_supplier_instructed=True,
                            planned_activation_at=h.planned_at,
                        )
                        for h in hubs
                    ),
                ),
            )
        )
    uow.outbox.add(owed, now=now)
