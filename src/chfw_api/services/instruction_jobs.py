"""The worker's half of a large SR 11.7 (issue #12): complete an accepted AllEligible
instruction, or a named list of more than one chunk, a chunk at a time, each chunk one short
transaction.

Each chunk reads the next `chunk` hubs in GUID order after the job's cursor (the supplier's
hubs in the campaign, or the GUIDs a named job has left, which it then forgets), applies
the same checks and steps as a request (services/instruction_steps.py: votes, plans, CSP
instruction parts), tells the other suppliers of its split hubs, and moves the cursor, all in one
commit: a crash redoes the chunk in flight, never one already done, and votes are upserts, so a
redo cannot instruct twice. The last chunk writes the CSP manifests and the closing N80 with the
totals and planned dates. A chunk holds the campaign row for its transaction; no lock is held
across chunks, and other requests run in between.

A paused or suspended campaign holds the job (it waits, BR6.4/6.5); one that can take no more
instructions of its stage (stopped, closed, superseded) ends it with what was done.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain import instruction_alerts as n80
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.events import InstructionChunkRecorded, InstructionJobFinished
from chfw_api.domain.instruction_jobs import (
    CHUNK_HUBS,
    DONE,
    RUNNING,
    STOPPED,
    ChunkOutcome,
    InstructionJob,
    add_counts,
)
from chfw_api.domain.planned_groups import PlannedGroup
from chfw_api.domain.stages import HELD, DeploymentKind
from chfw_api.services import instruction_steps as steps
from chfw_api.services.instructions import stage_checks
from chfw_api.services.unit_of_work import UnitOfWork

_AWAITING = "|awaiting"


def advance_instruction_jobs(
    uow_factory: Callable[[], UnitOfWork],
    now: Callable[[], datetime],
    *,
    chunk: int = CHUNK_HUBS,
    max_chunks: int = 20,
) -> int:
    """Run up to `max_chunks` chunks of running jobs, least recently advanced first; returns
    how many ran. Several workers may call it at once: each claims a different job."""
    done = 0
    while done < max_chunks:
        with uow_factory() as uow:
            job = uow.instruction_jobs.claim_next()
            if job is None:
                return done
            advanced = run_chunk(uow, job, now=now(), chunk=chunk)
            uow.commit()
        if not advanced:
            return done
        done += 1
    return done


def run_chunk(uow: UnitOfWork, job: InstructionJob, *, now: datetime, chunk: int) -> bool:
    """One chunk of `job` inside the caller's transaction; False when the job must wait.

    The chunk holds the campaign row, as every supplier SR, CSP upload and tick on it does, for
    its own transaction only (a second or two): two writers of one campaign's hubs (this chunk
    and another supplier's instruction on shared split hubs, or an upload) would otherwise lock
    the same campaign hubs in different orders and one of them could die in a deadlock."""
    campaign = uow.campaigns.get(job.campaign_id, for_update=True)
    kind = DeploymentKind(job.stage)
    if campaign is None or not campaign.may_instruct(kind):
        return _hold_or_stop(uow, job, campaign, now)
    row_id = uow.campaigns.internal_id(job.campaign_id)
    automatic_at = campaign.automatic_activation_at(kind)
    assert automatic_at is not None
    jobs = uow.instruction_jobs
    pilot, after = kind is DeploymentKind.PILOT, job.after_guid
    if job.named:
        candidates = jobs.named_facts(row_id, job.instruction_id, after=after, limit=chunk)
    else:
        candidates = jobs.candidate_facts(
            row_id, job.supplier_id, in_pilot=pilot, after=after, limit=chunk
        )
    sorted_ = steps.screen_candidates(
        uow, facts=candidates, supplier_id=job.supplier_id, checks=stage_checks(kind)
    )
    settled = steps.settle(
        uow,
        campaign_id=job.campaign_id,
        kind=kind,
        supplier_id=job.supplier_id,
        requested=job.requested_at,
        automatic_at=automatic_at,
        accepted=sorted_.accepted,
    )
    finished = len(candidates) < chunk
    steps.record(
        uow,
        campaign_id=job.campaign_id,
        campaign_row_id=row_id,
        supplier_id=job.supplier_id,
        kind=kind,
        instruction_id=job.instruction_id,
        requested=job.requested_at,
        accepted=sorted_.accepted,
        rejected=sorted_.rejected,
        settled=settled,
        now=now,
        complete=finished,
    )
    _owe_other_suppliers(uow, job, kind, settled, now)
    outcome = ChunkOutcome(
        last_guid=candidates[-1].guid if candidates else None,
        accepted=sorted_.accepted.count,
        rejected=len(sorted_.rejected),
        waiting=settled.waiting,
        planned={_key(g): g.hub_count for g in settled.groups},
        reasons=dict(Counter(r.code.value for r in sorted_.rejected)),
        finished=finished,
    )
    if finished:
        _finish(uow, job, outcome, state=DONE, now=now)
    else:
        if job.named:
            jobs.forget_named(job.instruction_id, through=outcome.last_guid)
        jobs.record_chunk(job, outcome, state=RUNNING, now=now)
    return True


def _hold_or_stop(
    uow: UnitOfWork, job: InstructionJob, campaign: Campaign | None, now: datetime
) -> bool:
    """The campaign no longer takes this stage's instructions: a paused or suspended one
    makes the job wait for DCC's decision (False); otherwise the job stops here."""
    if campaign is not None and campaign.stage in HELD:
        uow.instruction_jobs.record_chunk(job, _nothing(), state=RUNNING, now=now)
        return False
    _finish(uow, job, _nothing(), state=STOPPED, now=now)
    return True


def _owe_other_suppliers(
    uow: UnitOfWork,
    job: InstructionJob,
    kind: DeploymentKind,
    settled: steps.Settled,
    now: datetime,
) -> None:
    """N80 to the other supplier of each split hub this chunk planned (BR3.3)."""
    others = steps.other_supplier_alerts(
        uow,
        supplier_id=job.supplier_id,
        campaign_id=job.campaign_id,
        kind=kind,
        instruction_id=job.instruction_id,
        settled=settled,
    )
    if others:
        uow.record(
            InstructionChunkRecorded(
                campaign_id=job.campaign_id,
                instruction_id=job.instruction_id,
                at=now,
                alerts=others,
            )
        )


def _nothing() -> ChunkOutcome:
    return ChunkOutcome(None, 0, 0, 0, {}, {}, finished=True)


def _key(g: PlannedGroup) -> str:
    return g.planned_activation_at.isoformat() + (_AWAITING if g.awaiting_instruction else "")


def _groups(planned: dict[str, int]) -> tuple[PlannedGroup, ...]:
    out = []
    for key, n in planned.items():
        at, _, awaiting = key.partition("|")
        if n > 0:
            out.append(PlannedGroup(datetime.fromisoformat(at), bool(awaiting), n))
    return tuple(sorted(out, key=lambda g: (g.planned_activation_at, g.awaiting_instruction)))


def _finish(
    uow: UnitOfWork, job: InstructionJob, last: ChunkOutcome, *, state: str, now: datetime
) -> None:
    """The job's last transaction: its totals, and N80 to the instructing supplier with the
    planned dates and counts (the per-hub detail is in its SR 11.8 report)."""
    uow.instruction_jobs.record_chunk(job, last, state=state, now=now)
    if job.named:
        uow.instruction_jobs.forget_named(job.instruction_id)
    if state == STOPPED:
        # The chunks done were forwarded; close their manifests so no CSP waits for more.
        steps.close_parts(uow, job.campaign_id, job.instruction_id, DeploymentKind(job.stage), now)
    groups = _groups(add_counts(job.planned, last.planned))
    status = n80.for_instructing_supplier(
        campaign_id=job.campaign_id,
        instruction_id=job.instruction_id,
        stage=DeploymentKind(job.stage),
        requested_at=job.requested_at,
        accepted=job.accepted + last.accepted,
        rejected=job.rejected + last.rejected,
        groups=groups,
        split=(),
    )
    codes = uow.parties.codes_of([job.supplier_id])
    n80_with_totals = a.PendingAlert(
        recipient_party_id=job.supplier_id,
        recipient=codes[job.supplier_id],
        campaign_id=job.campaign_id,
        request_id=job.request_id,
        message=dataclasses.replace(status, hubs_in_report=True),
    )
    uow.record(
        InstructionJobFinished(
            campaign_id=job.campaign_id,
            instruction_id=job.instruction_id,
            at=now,
            alerts=[n80_with_totals],
        )
    )
