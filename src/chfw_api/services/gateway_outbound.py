"""Files DCC sends CSPs through the gateway, called by the gateway handlers
(`services/gateway_consequences.py`) inside the transaction of the event that caused them.

Each file is rendered by the gateway adapter bootstrap wires and stored in the `gateway_files`
outbox (`uow.gateway.enqueue_file`); `gateway.writer.write_pending_files` later puts each on
disk atomically. So a file is sent exactly when the change that caused it commits, a crash
between the two loses nothing, and no CSP ever reads half a file (docs/csp-gateway.md).

Each function takes the hubs already grouped by CSP ID (each CSP sees only its own network,
X2) and returns the sequence numbers of the files it queued. Every file names the hubs it
concerns (DD01).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from chfw_api.domain.alerts import SchedulePeriod
from chfw_api.domain.csp_uploads import PART_HUBS
from chfw_api.domain.events import ForwardedHubs
from chfw_api.domain.gateway_files import DescribedHubs, FileKind, GatewayFile, InstructedHub
from chfw_api.domain.guardrails import HubAttributes, SliceKey, in_slice
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import DeploymentKind
from chfw_api.services.unit_of_work import UnitOfWork

FORWARDED_DECISIONS = frozenset(
    {RolloutDecision.PAUSE, RolloutDecision.STOP, RolloutDecision.RESUME, RolloutDecision.SUSPEND}
)


def enqueue(uow: UnitOfWork, f: GatewayFile, now: datetime) -> int:
    """Queue one file for its CSP, rendered by the adapter bootstrap wires (the caller
    commits)."""
    return uow.gateway.enqueue_file(f, now)


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


Forwarded = ForwardedHubs  # files queued, hubs sent, GUIDs held back by a paused slice


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
    queued = uow.gateway.instruction_parts(instruction_id)
    files: list[int] = []
    held: list[str] = []
    sent = 0
    for csp, hubs in sorted(hubs_by_csp.items()):
        number = len(queued.get(csp, []))
        csp_party_id: int | None = None
        # A part at a time: its hubs' attributes read, its file rendered and queued, then let
        # go, so a 300,000-hub instruction holds one part's hub records, never all of them.
        for start in range(0, len(hubs), PART_HUBS):
            stop = start + PART_HUBS
            if paused or not isinstance(hubs, DescribedHubs):
                chunk = hubs[start:stop]
                attrs = uow.guardrails.hub_attributes(key, (g for g, _ in chunk))
                kept = _not_held(chunk, attrs, paused, held)
            else:
                kept = hubs.described(start, stop)
            if not kept:
                continue
            number += 1
            part = GatewayFile(
                FileKind.INSTRUCTION, csp, campaign_id, now, instruction_id=instruction_id,
                stage=stage, firmware_version=version, window_start=window_start,
                window_end=window_end, hubs=tuple(kept), part_number=number,
            )  # fmt: skip
            if csp_party_id is None:
                csp_party_id, _ = uow.gateway.csp_party(csp)
            file_id = enqueue(uow, part, now)
            uow.gateway.add_instruction_part(
                instruction_id=instruction_id,
                csp_party_id=csp_party_id,
                part_number=number,
                file_id=file_id,
                hubs=len(kept),
            )
            files.append(file_id)
            sent += len(kept)
    if complete:
        files += _manifests(uow, campaign_id, instruction_id, stage, now)
    return Forwarded(files, sent, held)


def _not_held(
    hubs: Sequence[tuple[str, datetime]],
    attrs: Mapping[str, HubAttributes],
    paused: Sequence[SliceKey],
    held: list[str],
) -> list[InstructedHub]:
    """The hubs to send, with their model and region; hubs in a paused slice go to `held`."""
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
        kept.append(InstructedHub(guid, planned, a.model if a else None, a.region if a else None))
    return kept


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
