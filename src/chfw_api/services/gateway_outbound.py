"""Files DCC sends CSPs through the gateway, for any use case to call inside its transaction.

A use case renders a file and stores it in the `gateway_files` outbox in its own transaction
(`uow.gateway.enqueue`); `write_pending_files` later puts each on disk atomically. So a file is
sent exactly when the change that caused it commits, a crash between the two loses nothing, and
no CSP ever reads half a file (docs/csp-gateway.md).

Each function takes the hubs already grouped by CSP ID (each CSP sees only its own network,
X2) and returns the sequence numbers of the files it queued. Every file names the hubs it
concerns (DD01).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from chfw_api.domain.alerts import SchedulePeriod
from chfw_api.domain.campaign_events import CampaignEvent, RolloutDecisionMade
from chfw_api.domain.clock import Clock
from chfw_api.domain.csp_uploads import PART_HUBS
from chfw_api.domain.guardrails import in_slice
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import DeploymentKind
from chfw_api.gateway.files import (
    file_name,
    outbound_dir,
    sweep_temporaries,
    write_file,
)
from chfw_api.gateway.xml import FileKind, GatewayFile, InstructedHub, render_file
from chfw_api.services.unit_of_work import UnitOfWork

FORWARDED_DECISIONS = frozenset(
    {RolloutDecision.PAUSE, RolloutDecision.STOP, RolloutDecision.RESUME, RolloutDecision.SUSPEND}
)


def enqueue(uow: UnitOfWork, f: GatewayFile, now: datetime) -> int:
    """Render one file and queue it for its CSP (the caller commits)."""
    return uow.gateway.enqueue(f.csp_id, f.kind.value, f.campaign_id, render_file(f), now)


def forward_preferred_pilot_list(
    uow: UnitOfWork,
    *,
    campaign_id: str,
    supplier_code: str,
    guids_by_csp: Mapping[str, Sequence[str]],
    now: datetime,
    request_id: str | None = None,
) -> list[int]:
    """A04: a supplier's Preferred Pilot List, to each CSP with the hubs on its network."""
    return [
        enqueue(
            uow,
            GatewayFile(
                FileKind.PREFERRED_PILOT_LIST,
                csp,
                campaign_id,
                now,
                supplier_id=supplier_code,
                request_id=request_id,
                guids=tuple(sorted(guids)),
            ),
            now,
        )
        for csp, guids in sorted(guids_by_csp.items())
        if guids
    ]


def forward_pilot_schedule(
    uow: UnitOfWork,
    *,
    campaign_id: str,
    supplier_code: str,
    periods_by_csp: Mapping[str, Sequence[SchedulePeriod]],
    now: datetime,
    constraints: Sequence[str] = (),
    request_id: str | None = None,
) -> list[int]:
    """A05: a supplier's Preferred Pilot Schedule (a request: the CSP decides, C1), to each CSP
    with the periods' hubs on its network."""
    return [
        enqueue(
            uow,
            GatewayFile(
                FileKind.PREFERRED_PILOT_SCHEDULE,
                csp,
                campaign_id,
                now,
                supplier_id=supplier_code,
                request_id=request_id,
                periods=tuple(p for p in periods if p.guids),
                constraints=tuple(constraints),
            ),
            now,
        )
        for csp, periods in sorted(periods_by_csp.items())
        if any(p.guids for p in periods)
    ]


@dataclass(frozen=True)
class Forwarded:
    files: list[int]
    hubs: int
    held: list[str]  # GUIDs not forwarded: in a slice a guardrail paused


def forward_instruction(
    uow: UnitOfWork,
    *,
    campaign_id: str,
    instruction_id: str,
    stage: DeploymentKind,
    window_start: datetime,
    window_end: datetime,
    hubs_by_csp: Mapping[str, Sequence[tuple[str, datetime]]],
    now: datetime,
    complete: bool = True,
) -> Forwarded:
    """A deployment instruction (BR3.5): hubs and planned activation, after the split-supplier
    rules, to each CSP, in parts of at most 50,000 hubs (each a file the CSP can act on as it
    arrives) and, when `complete`, a manifest naming every part with its checksum. A large
    instruction forwarded in several transactions passes `complete=False` until its last
    chunk; part numbers continue from the parts already queued. Hubs in a slice a guardrail
    paused are held back (and listed): the slice's resume file releases them."""
    key = uow.gateway.campaign_key(campaign_id)
    campaign = uow.campaigns.get(campaign_id)
    version = campaign.release.version if campaign is not None else None
    paused = [p.key for p in uow.guardrails.pauses(campaign_id, active_only=True)]
    attrs = uow.guardrails.hub_attributes(
        key, (g for hubs in hubs_by_csp.values() for g, _ in hubs)
    )
    queued = uow.gateway.instruction_parts(instruction_id)
    files: list[int] = []
    held: list[str] = []
    sent = 0
    for csp, hubs in sorted(hubs_by_csp.items()):
        kept: list[InstructedHub] = []
        for guid, planned in hubs:
            a = attrs.get(guid)
            if a is not None and any(
                in_slice(
                    k,
                    in_pilot=a.in_pilot,
                    model=a.model,
                    region=a.region,
                    import_supplier_id=a.import_supplier_id,
                    gas_supplier_id=a.gas_supplier_id,
                )
                for k in paused
            ):
                held.append(guid)
                continue
            kept.append(
                InstructedHub(guid, planned, a.model if a else None, a.region if a else None)
            )
        if not kept:
            continue
        csp_party_id, _ = uow.gateway.csp_party(csp)
        number = len(queued.get(csp, []))
        for start in range(0, len(kept), PART_HUBS):
            part = tuple(kept[start : start + PART_HUBS])
            number += 1
            f = GatewayFile(
                FileKind.INSTRUCTION,
                csp,
                campaign_id,
                now,
                instruction_id=instruction_id,
                stage=stage,
                firmware_version=version,
                window_start=window_start,
                window_end=window_end,
                hubs=part,
                part_number=number,
            )
            file_id = enqueue(uow, f, now)
            uow.gateway.add_instruction_part(
                instruction_id=instruction_id,
                csp_party_id=csp_party_id,
                part_number=number,
                file_id=file_id,
                hubs=len(part),
            )
            files.append(file_id)
        sent += len(kept)
    if complete:
        files += _manifests(uow, campaign_id, instruction_id, stage, now)
    return Forwarded(files, sent, held)


def _manifests(
    uow: UnitOfWork, campaign_id: str, instruction_id: str, stage: DeploymentKind, now: datetime
) -> list[int]:
    """The last file of an instruction to each CSP that had any part of it."""
    return [
        enqueue(
            uow,
            GatewayFile(
                FileKind.INSTRUCTION_MANIFEST,
                csp,
                campaign_id,
                now,
                instruction_id=instruction_id,
                stage=stage,
                parts=tuple(parts),
            ),
            now,
        )
        for csp, parts in sorted(uow.gateway.instruction_parts(instruction_id).items())
    ]


def campaign_csps(uow: UnitOfWork, campaign_id: str) -> list[str]:
    """CSP IDs serving any region with hubs in the campaign."""
    key = uow.gateway.campaign_key(campaign_id)
    by_region = uow.gateway.region_csps()
    return sorted({by_region[r][1] for r in uow.gateway.campaign_regions(key) if r in by_region})


def forward_decision(
    uow: UnitOfWork,
    *,
    campaign_id: str,
    decision: RolloutDecision,
    reason: str,
    now: datetime,
) -> list[int]:
    """A rollout decision (pause, stop, suspend, resume) to every CSP with hubs in the
    campaign (BR6.3-6.5)."""
    return [
        enqueue(
            uow,
            GatewayFile(FileKind.DECISION, csp, campaign_id, now, decision=decision, reason=reason),
            now,
        )
        for csp in campaign_csps(uow, campaign_id)
    ]


def forward_decision_events(
    uow: UnitOfWork, events: Sequence[CampaignEvent], *, now: datetime
) -> list[int]:
    """The campaign service's hook: each pause, stop, suspend or resume goes to the CSPs."""
    files: list[int] = []
    for e in events:
        if isinstance(e, RolloutDecisionMade) and e.decision in FORWARDED_DECISIONS:
            files += forward_decision(
                uow, campaign_id=e.campaign_id, decision=e.decision, reason=e.reason, now=now
            )
    return files


class _Settings(Protocol):
    @property
    def gateway_root(self) -> Path: ...
    @property
    def gateway_claim_size(self) -> int: ...


class Runtime(Protocol):
    """What the writer job needs of the container."""

    @property
    def settings(self) -> _Settings: ...
    @property
    def clock(self) -> Clock: ...
    def uow(self, *, read_only: bool = False) -> UnitOfWork: ...


def write_pending_files(container: Runtime) -> int:
    """The writer job: put every queued file on disk, atomically, in order; returns how many.

    Claims a batch, writes each file (temp name, fsync, rename, fsync dir; checksum first),
    then marks the batch written in the same transaction. A crash anywhere leaves the rows
    unwritten, and the next run finds any file already in place with the right hash and
    leaves it be, so files are neither lost nor duplicated nor half-written.
    """
    root = container.settings.gateway_root
    swept: set[Path] = set()
    total = 0
    while True:
        with container.uow() as uow:
            batch = uow.gateway.claim(container.settings.gateway_claim_size)
            if not batch:
                return total
            for f in batch:
                directory = outbound_dir(root, f.csp_id)
                if directory not in swept:
                    sweep_temporaries(directory)
                    swept.add(directory)
                write_file(
                    directory, file_name(f.id, f.kind, f.campaign_id), f.body, sha256=f.sha256
                )
            uow.gateway.mark_written([f.id for f in batch], container.clock.now())
            uow.commit()
        total += len(batch)
