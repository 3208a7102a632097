"""SR 11.7: a supplier instructs pilot or safe-launch deployment (BR3, BR4, BR5.1, RA04).

Large by design: an instruction names 50,000+ GUIDs (or all the supplier's hubs), so every
step is set-based: one staged look-up of the named hubs (read a slice at a time, keeping only
the rejected GUIDs, the split hubs and each accepted GUID by its CSP), one bulk upsert of votes,
one read of the other suppliers' votes on the split hubs, one bulk update of the plans. Past
one chunk (`LARGE_INSTRUCTION_HUBS`) the writes are the worker's, a chunk per transaction
(`deferred_instructions.py`, then `instruction_jobs.py`): AllEligible is deferred before
reading anything, a named list once screened, so its rejected GUIDs are still answered at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain import instruction_alerts as n80
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.clock import Clock
from chfw_api.domain.events import InstructionRecorded
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.instruction_jobs import LARGE_INSTRUCTION_HUBS
from chfw_api.domain.instructions import (
    BATCH_TOO_SMALL,
    IN_THE_PAST,
    MIN_SAFE_LAUNCH_BATCH,
    NOT_EARLIER,
    TOO_LATE,
    HubPlan,
    batch_problems,
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
from chfw_api.services import deferred_instructions as deferred
from chfw_api.services import instruction_steps as steps
from chfw_api.services.sr_common import in_campaign, supplier_campaign
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


def stage_checks(kind: DeploymentKind):  # type: ignore[no-untyped-def]
    def group(f: HubFacts) -> tuple[GuidReason, str] | None:
        if kind is DeploymentKind.PILOT and not f.in_pilot:
            return GuidReason.NOT_IN_PILOT, "not in the campaign's pilot group"
        if kind is DeploymentKind.SAFE_LAUNCH and f.in_pilot:
            return GuidReason.IN_PILOT, "in the pilot group; safe launch is every other hub (C4)"
        return None

    def deployable(f: HubFacts) -> tuple[GuidReason, str] | None:
        # An activated hub runs the new firmware however it got there (a CSP's own pilot
        # schedule, DCC's automatic time): it is "already updated", not "already instructed".
        if f.campaign_status is HubStatus.ACTIVATED:
            return GuidReason.NOT_ELIGIBLE, "already updated: it runs this campaign's firmware"
        if f.campaign_status in (HubStatus.DISTRIBUTED, HubStatus.FAILED):
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
    # A list of more than one chunk is left to the worker (deferred_instructions.py), so this
    # request only reads its hubs; the campaign row is taken once they are screened.
    large = not command.dry_run and len(command.guids or ()) > LARGE_INSTRUCTION_HUBS
    with uow:
        campaign, row_id = supplier_campaign(
            uow, caller, command.campaign_id, lock=not (command.dry_run or large)
        )
        _refuse_campaign(campaign, kind)
        automatic_at = campaign.automatic_activation_at(kind)
        assert automatic_at is not None  # may_instruct(PILOT) implies a pilot period
        _check_timing(command, automatic_at, now)
        pilot = kind is DeploymentKind.PILOT
        if command.all_eligible and not command.dry_run:
            hubs = uow.instruction_jobs.supplier_hubs(row_id, caller.party_id, in_pilot=pilot)
            if hubs > LARGE_INSTRUCTION_HUBS:
                result = deferred.defer_all_eligible(uow, caller, campaign, command, now, hubs)
                return InstructionOutcome(result, [])
        named: Sequence[str]
        if command.all_eligible:
            named = uow.requests.supplier_campaign_guids(row_id, caller.party_id, in_pilot=pilot)
        else:
            named = command.guids or ()
        sorted_ = steps.screen(
            uow,
            campaign_row_id=row_id,
            guids=named,
            supplier_id=caller.party_id,
            checks=stage_checks(kind),
        )
        _check_batch_size(uow, caller, campaign, row_id, command, sorted_.accepted.count)
        if large and sorted_.accepted.count:
            # The stage again, under the campaign row: it may have been paused meanwhile.
            campaign, _ = supplier_campaign(uow, caller, command.campaign_id)
            _refuse_campaign(campaign, kind)
            result = deferred.defer_named(uow, caller, campaign, command, now, sorted_)
            return InstructionOutcome(result, [])
        settled = steps.settle(
            uow,
            campaign_id=campaign.campaign_id,
            kind=kind,
            supplier_id=caller.party_id,
            requested=command.requested_activation_at,
            automatic_at=automatic_at,
            accepted=sorted_.accepted,
        )
        if command.dry_run or not sorted_.accepted.count:
            # A dry run, or E110707: nothing instructed, so nothing is recorded, not even
            # audit (X5).
            return _outcome(sorted_, settled, dry_run=command.dry_run)
        instruction_id = _record(uow, caller, campaign, row_id, command, sorted_, settled, now)
        uow.commit()
    return _outcome(sorted_, settled, dry_run=False, instruction_id=instruction_id)


def _check_timing(command: InstructDeployment, automatic_at: datetime, now: datetime) -> None:
    """BR3.4: the requested time is in the future and not after DCC's automatic time."""
    timing = timing_problems(
        now=now, requested=command.requested_activation_at, automatic_at=automatic_at
    )
    if timing:
        raise ServiceRequestRefused(_REFUSAL[timing[0].code or TOO_LATE],
                                    "; ".join(p.reason for p in timing),
                                    tuple(timing))  # fmt: skip


def _check_batch_size(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    row_id: int,
    command: InstructDeployment,
    accepted: int,
) -> None:
    """BR3.7: an explicit safe-launch list names 50,000+ hubs unless it names every hub the
    supplier has left to instruct."""
    kind = command.stage
    pilot = kind is DeploymentKind.PILOT
    if command.all_eligible or pilot or not 0 < accepted < MIN_SAFE_LAUNCH_BATCH:
        return
    remaining = uow.instructions.uninstructed_count(
        campaign_row_id=row_id,
        campaign_id=campaign.campaign_id,
        stage=kind.value,
        supplier_id=caller.party_id,
        pilot=pilot,
    )
    size = batch_problems(explicit=True, kind_is_safe_launch=True, count=accepted,
                          remaining_for_supplier=remaining)  # fmt: skip
    if size:
        raise ServiceRequestRefused(Refusal.BATCH_TOO_SMALL, size[0].reason, tuple(size))


def _record(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    row_id: int,
    command: InstructDeployment,
    sorted_: steps.Screened,
    settled: steps.Settled,
    now: datetime,
) -> str:
    """Store the instruction, its votes and plans (the CSPs' files follow), owe its N80s and
    audit it; returns its ID."""
    kind, requested = command.stage, command.requested_activation_at
    accepted, rejected = sorted_.accepted, sorted_.rejected
    instruction_id = deferred.add_instruction(uow, caller, campaign, command, now,
                                      accepted=accepted.count, rejected=len(rejected))  # fmt: skip
    steps.record(
        uow,
        campaign_id=campaign.campaign_id,
        campaign_row_id=row_id,
        supplier_id=caller.party_id,
        kind=kind,
        instruction_id=instruction_id,
        requested=requested,
        accepted=accepted,
        rejected=rejected,
        settled=settled,
        now=now,
    )
    _alerts(uow, caller, campaign, command, instruction_id, settled, now,
            accepted.count, len(rejected))  # fmt: skip
    uow.audit.append(
        [
            AuditRecord(
                at=now,
                actor=caller.code,
                action="sr.11.7.instruction",
                subject=f"campaign:{campaign.campaign_id}",
                reason=command.header.request_id,
                after={
                    "instruction": instruction_id,
                    "stage": kind.value,
                    "requested": requested.isoformat(),
                    "accepted": accepted.count,
                    "rejected": len(rejected),
                    "awaiting_second_supplier": settled.waiting,
                },
            )
        ]
    )
    return instruction_id


def _outcome(
    sorted_: steps.Screened,
    settled: steps.Settled,
    *,
    dry_run: bool,
    instruction_id: str | None = None,
) -> InstructionOutcome:
    """The answer: nothing planned when nothing was accepted (E110707)."""
    groups = settled.groups
    if not dry_run and not sorted_.accepted.count:
        return InstructionOutcome(
            InstructionResult(dry_run=False, accepted=0, rejected=tuple(sorted_.rejected)),
            settled.split_plans,
        )
    return InstructionOutcome(
        InstructionResult(
            dry_run=dry_run,
            accepted=sorted_.accepted.count,
            rejected=tuple(sorted_.rejected),
            instruction_id=instruction_id,
            planned_activation_at=groups[-1].planned_activation_at if groups else None,
            awaiting_second_supplier=settled.waiting,
            planned=groups,
        ),
        settled.split_plans,
    )


def _alerts(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    command: InstructDeployment,
    instruction_id: str,
    settled: steps.Settled,
    now: datetime,
    accepted_count: int,
    rejected: int,
) -> None:
    """N80 to the instructing supplier (BR5.1) and to each other supplier of its split hubs,
    so that one learns the first has instructed and what is now planned (BR3.3); what each
    copy may say is `domain/instruction_alerts.py`'s."""
    owed = [
        a.PendingAlert(
            recipient_party_id=caller.party_id,
            recipient=caller.code,
            campaign_id=campaign.campaign_id,
            request_id=command.header.request_id,
            message=n80.for_instructing_supplier(
                campaign_id=campaign.campaign_id,
                instruction_id=instruction_id,
                stage=command.stage,
                requested_at=command.requested_activation_at,
                accepted=accepted_count,
                rejected=rejected,
                groups=settled.groups,
                split=settled.split_plans,
            ),
        ),
        *steps.other_supplier_alerts(
            uow,
            supplier_id=caller.party_id,
            campaign_id=campaign.campaign_id,
            kind=command.stage,
            instruction_id=instruction_id,
            settled=settled,
        ),
    ]
    uow.record(
        InstructionRecorded(
            campaign_id=campaign.campaign_id, instruction_id=instruction_id, at=now, alerts=owed
        )
    )
