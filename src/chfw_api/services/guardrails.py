"""Guardrails (beyond the paper): a slice whose failure rate crosses its threshold is paused at
once, pending DCC triage, while the rest of the rollout goes on.

A trip is a recorded decision with the figures as its reason: a `slice_pauses` row and an audit
entry (X1), an N81 `RolloutDecision` (pause, pending instructions held) to every supplier with
hubs in the slice (BR6.5), and a pause file to each CSP listing its unfinished hubs in the
slice. Instruction forwarding and the CSP simulator skip paused slices. DCC lifts a pause
(N81 resume, a resume file with the held hubs and their planned times); afterwards only results
after the lift count towards that slice tripping again.

A supplier slice is named to other suppliers without the supplier's User ID (BR3.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import Conflict, NotFound
from chfw_api.domain.events import SliceDecisionMade
from chfw_api.domain.guardrails import (
    Dimension,
    Figures,
    GuardrailRule,
    SliceKey,
    SlicePause,
    Trip,
    effective_rules,
    evaluate,
    figures_by_slice,
)
from chfw_api.domain.incidents import PendingEffect, RolloutDecision
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.services.unit_of_work import UnitOfWork

ACTOR = "guardrail"


@dataclass(frozen=True)
class Wording:
    """How one decision is told: `text` to DCC, the CSP and uninvolved readers, `per_supplier`
    where a supplier must see different words (BR3.3), `label` naming the slice in files."""

    text: str
    label: str
    per_supplier: dict[int, str] = field(default_factory=dict)


def _slice_label(key: SliceKey, recipient_id: int | None, codes: dict[int, str]) -> str:
    """How a slice is named: DCC and the CSP see a supplier's User ID; a supplier sees "your
    hubs" for its own slice and nothing identifying for another's."""
    if key.dimension is not Dimension.SUPPLIER:
        return key.value
    if recipient_id is None:
        return codes.get(int(key.value), key.value)
    return "of your hubs" if str(recipient_id) == key.value else "sharing some of your hubs"


def _notify(
    uow: UnitOfWork,
    *,
    campaign_id: str,
    campaign_key: int,
    key: SliceKey,
    decision: RolloutDecision,
    wording: Wording,
    now: datetime,
) -> int:
    """Record the decision: N81 to the slice's suppliers, a slice file to each CSP with hubs
    of the slice (`services.consequences`); returns how many alerts it owes."""
    effect = PendingEffect.HELD if decision is RolloutDecision.PAUSE else PendingEffect.RELEASED
    owed = [
        a.PendingAlert(
            pid,
            code,
            a.RolloutDecision(
                campaign_id=campaign_id,
                decision=decision,
                reason=wording.per_supplier.get(pid, wording.text),
                incident_id=None,
                effect_on_pending_instructions=effect,
                decided_at=now,
            ),
            campaign_id,
        )
        for pid, code in uow.guardrails.suppliers_in(campaign_key, key)
    ]
    # Each CSP holding unfinished hubs of the slice gets the file, with its own hubs (X2).
    by_region = uow.gateway.region_csps()
    per_csp: dict[str, list[tuple[str, datetime | None]]] = {}
    for guid, region, planned in uow.guardrails.pending_hubs(campaign_key, key):
        if region in by_region:
            per_csp.setdefault(by_region[region][1], []).append((guid, planned))
    uow.record(
        SliceDecisionMade(
            campaign_id=campaign_id,
            slice=key,
            decision=decision,
            reason=wording.text,
            label=wording.label,
            hubs_by_csp=per_csp,
            at=now,
            alerts=owed,
        )
    )
    return len(owed)


def check(
    uow: UnitOfWork,
    *,
    campaign_id: str,
    campaign_key: int,
    defaults: Sequence[GuardrailRule],
    now: datetime,
) -> list[Trip]:
    """Evaluate every slice of the campaign after new results; pause each that trips."""
    rules = effective_rules(defaults, uow.guardrails.rules(campaign_key))
    figures = figures_by_slice(uow.guardrails.finished_groups(campaign_key))
    active = [p.key for p in uow.guardrails.pauses(campaign_id, active_only=True)]
    trips = evaluate(
        figures, rules, paused=active, baselines=uow.guardrails.baselines(campaign_key)
    )
    for trip in trips:
        _pause(uow, campaign_id=campaign_id, campaign_key=campaign_key, trip=trip, now=now)
    return trips


def _pause(
    uow: UnitOfWork, *, campaign_id: str, campaign_key: int, trip: Trip, now: datetime
) -> None:
    key = trip.key
    suppliers = uow.guardrails.suppliers_in(campaign_key, key)
    codes = uow.guardrails.supplier_codes(
        [int(key.value)] if key.dimension is Dimension.SUPPLIER else []
    )
    label = _slice_label(key, None, codes)
    dcc_reason = trip.reason(label=label)
    pause_id = uow.guardrails.add_pause(campaign_key, trip, dcc_reason, now)
    wording = Wording(dcc_reason, label)
    if key.dimension is Dimension.SUPPLIER:
        wording = Wording(
            dcc_reason,
            label,
            {pid: trip.reason(label=_slice_label(key, pid, codes)) for pid, _ in suppliers},
        )
    alerts = _notify(
        uow,
        campaign_id=campaign_id,
        campaign_key=campaign_key,
        key=key,
        decision=RolloutDecision.PAUSE,
        wording=wording,
        now=now,
    )
    uow.audit.append(
        [
            AuditRecord(
                at=now,
                actor=ACTOR,
                action="guardrail.slice_paused",
                subject=f"campaign:{campaign_id}",
                reason=dcc_reason,
                after={
                    "pause_id": pause_id,
                    "stage": key.stage.value,
                    "dimension": key.dimension.value,
                    "slice": label,
                    "total": trip.figures.total,
                    "failed": trip.figures.failed,
                    "threshold": trip.rule.max_failure_rate,
                    "min_sample": trip.rule.min_sample,
                    "alerts": alerts,
                },
            )
        ]
    )


def lift(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, pause_id: int, reason: str
) -> SlicePause:
    """DCC's triage: lift a slice pause; suppliers are told (N81 resume) and the CSPs get the
    held hubs back with their planned times."""
    caller.require(PartyKind.DCC)
    now = clock.now()
    with uow:
        pause = uow.guardrails.get_pause(pause_id)
        if pause is None:
            raise NotFound(f"slice pause {pause_id} does not exist")
        if pause.lifted_at is not None:
            raise Conflict(f"slice pause {pause_id} was lifted at {pause.lifted_at.isoformat()}")
        uow.campaigns.get(pause.campaign_id, for_update=True)
        campaign_key = uow.gateway.campaign_key(pause.campaign_id)
        figures = figures_by_slice(uow.guardrails.finished_groups(campaign_key))
        uow.guardrails.lift(
            pause_id,
            by=caller.code,
            reason=reason,
            figures=figures.get(pause.key, Figures()),
            now=now,
        )
        _notify(
            uow,
            campaign_id=pause.campaign_id,
            campaign_key=campaign_key,
            key=pause.key,
            decision=RolloutDecision.RESUME,
            wording=_resume_wording(uow, campaign_key, pause.key, reason),
            now=now,
        )
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=caller.code,
                    action="guardrail.slice_resumed",
                    subject=f"campaign:{pause.campaign_id}",
                    reason=reason,
                    before={"pause_id": pause_id},
                )
            ]
        )
        lifted = uow.guardrails.get_pause(pause_id)
        uow.commit()
    assert lifted is not None
    return lifted


def _resume_wording(uow: UnitOfWork, campaign_key: int, key: SliceKey, reason: str) -> Wording:
    """How a lifted pause is told: a supplier slice names the supplier only to itself (BR3.3)."""
    codes = uow.guardrails.supplier_codes(
        [int(key.value)] if key.dimension is Dimension.SUPPLIER else []
    )
    text = (
        f"DCC lifted the guardrail pause of the {key.dimension} slice {{}} in stage "
        f"{key.stage}: {reason}"
    )
    label = _slice_label(key, None, codes)
    per_supplier = (
        {
            pid: text.format(_slice_label(key, pid, codes))
            for pid, _ in uow.guardrails.suppliers_in(campaign_key, key)
        }
        if key.dimension is Dimension.SUPPLIER
        else {}
    )
    return Wording(text.format(label), label, per_supplier)


def pauses(
    uow: UnitOfWork, *, caller: Caller, campaign_id: str, active_only: bool = False
) -> list[SlicePause]:
    caller.require(PartyKind.DCC)
    with uow:
        uow.gateway.campaign_key(campaign_id)
        return uow.guardrails.pauses(campaign_id, active_only=active_only)


def rules(
    uow: UnitOfWork, *, caller: Caller, campaign_id: str, defaults: Sequence[GuardrailRule]
) -> list[GuardrailRule]:
    """The thresholds in force for a campaign: its own, else the configured defaults."""
    caller.require(PartyKind.DCC)
    with uow:
        return effective_rules(
            defaults, uow.guardrails.rules(uow.gateway.campaign_key(campaign_id))
        )


def set_rules(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    campaign_id: str,
    new_rules: Sequence[GuardrailRule],
    defaults: Sequence[GuardrailRule],
    reason: str,
) -> list[GuardrailRule]:
    """Replace a campaign's own thresholds (audited); pairs it leaves out use the defaults."""
    caller.require(PartyKind.DCC)
    pairs = [(r.stage, r.dimension) for r in new_rules]
    if len(set(pairs)) != len(pairs):
        raise Conflict("each stage and dimension may have one rule only")
    now = clock.now()
    with uow:
        key = uow.gateway.campaign_key(campaign_id)
        uow.guardrails.set_rules(key, new_rules)
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=caller.code,
                    action="guardrail.rules_set",
                    subject=f"campaign:{campaign_id}",
                    reason=reason,
                    after={
                        "rules": [
                            [r.stage.value, r.dimension.value, r.max_failure_rate, r.min_sample]
                            for r in new_rules
                        ]
                    },
                )
            ]
        )
        out = effective_rules(defaults, uow.guardrails.rules(key))
        uow.commit()
    return out
