"""SR 11.7 past one chunk (issue #12): the instruction recorded and answered I99 in one short
transaction, its job left to the worker (`instruction_jobs.py`), whatever the supplier's size.

AllEligible is deferred before its hubs are read. A named list is deferred once screened, so
every rejected GUID is still answered at once with its reason (BR5.2) and the batch-size rule
(BR3.7) still refuses a short list before anything is recorded; the accepted GUIDs wait in
`instruction_job_guids`. Each chunk checks its hubs again: what changed since the request
(a hub activated, moved to another supplier) is counted in the closing N80's totals.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.parties import Caller
from chfw_api.domain.service_request_results import InstructionResult
from chfw_api.domain.service_requests import InstructDeployment
from chfw_api.services import instruction_steps as steps
from chfw_api.services.unit_of_work import UnitOfWork


def add_instruction(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    command: InstructDeployment,
    now: datetime,
    *,
    accepted: int,
    rejected: int,
) -> str:
    """The instruction's row under its next number, answered now or completed by the worker
    (then 0 accepted until its chunks add theirs); returns its ID."""
    number = uow.instructions.next_number()
    instruction_id = f"INS-{number:06d}"
    uow.instructions.add(
        number=number,
        instruction_id=instruction_id,
        campaign_id=campaign.campaign_id,
        supplier_id=caller.party_id,
        stage=command.stage.value,
        requested_at=command.requested_activation_at,
        received_at=now,
        request_id=command.header.request_id,
        all_eligible=command.all_eligible,
        accepted=accepted,
        rejected=rejected,
    )
    return instruction_id


def defer_all_eligible(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    command: InstructDeployment,
    now: datetime,
    hubs: int,
) -> InstructionResult:
    """A large AllEligible instruction, recorded with its job: nothing read but the count."""
    instruction_id = add_instruction(uow, caller, campaign, command, now, accepted=0, rejected=0)
    _add_job(uow, caller, campaign, command, now, instruction_id)
    _audit(uow, caller, campaign, command, now, instruction_id, hubs=hubs)
    uow.commit()
    return InstructionResult(dry_run=False, accepted=0, instruction_id=instruction_id,
                             deferred=True)  # fmt: skip


def defer_named(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    command: InstructDeployment,
    now: datetime,
    screened: steps.Screened,
) -> InstructionResult:
    """A screened named list: its accepted GUIDs (staged in `request_guids`) kept for the
    job's chunks in one statement; answered with the accepted count and every rejected GUID."""
    rejected = screened.rejected
    instruction_id = add_instruction(uow, caller, campaign, command, now,
                                     accepted=0, rejected=len(rejected))  # fmt: skip
    _add_job(uow, caller, campaign, command, now, instruction_id,
             rejected=Counter(r.code.value for r in rejected))  # fmt: skip
    uow.requests.unstage(steps.refused_hubs(rejected))
    kept = uow.instruction_jobs.keep_named(instruction_id)
    _audit(uow, caller, campaign, command, now, instruction_id, hubs=kept, rejected=len(rejected))
    uow.commit()
    return InstructionResult(dry_run=False, accepted=screened.accepted.count,
                             rejected=tuple(rejected), instruction_id=instruction_id,
                             deferred=True)  # fmt: skip


def _add_job(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    command: InstructDeployment,
    now: datetime,
    instruction_id: str,
    *,
    rejected: Counter[str] | None = None,
) -> None:
    """The worker's job; a named one starts with what screening rejected, by reason, so the
    closing N80's totals count them."""
    uow.instruction_jobs.add(
        instruction_id=instruction_id,
        campaign_id=campaign.campaign_id,
        supplier_id=caller.party_id,
        stage=command.stage.value,
        requested_at=command.requested_activation_at,
        request_id=command.header.request_id,
        now=now,
        named=rejected is not None,
        rejected=rejected.total() if rejected else 0,
        reasons=dict(rejected or {}),
    )


def _audit(
    uow: UnitOfWork,
    caller: Caller,
    campaign: Campaign,
    command: InstructDeployment,
    now: datetime,
    instruction_id: str,
    *,
    hubs: int,
    rejected: int | None = None,
) -> None:
    after: dict[str, object] = {
        "instruction": instruction_id,
        "stage": command.stage.value,
        "requested": command.requested_activation_at.isoformat(),
        "hubs": hubs,
        "completed_by": "worker, in chunks",
    }
    if rejected is not None:
        after["rejected"] = rejected
    uow.audit.append(
        [
            AuditRecord(
                at=now,
                actor=caller.code,
                action="sr.11.7.instruction.accepted",
                subject=f"campaign:{campaign.campaign_id}",
                reason=command.header.request_id,
                after=after,
            )
        ]
    )
