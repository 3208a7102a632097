"""SR 11.5 Preferred Pilot List and SR 11.6 Preferred Pilot Schedule (A04, A05, BR2, C1, C3).

A supplier's list replaces its previous one, then the pilot group is composed again from the
CSP's default list, every supplier's preferred list, production-proving hubs and the cap
(`domain.pilot.compose`). Schedules are requests: stored and forwarded, the CSP decides (C1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.clock import Clock
from chfw_api.domain.events import (
    PilotScheduleAccepted,
    PreferredPilotListAccepted,
)
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.pilot import PilotComposition, SelectionRules, compose
from chfw_api.domain.service_request_results import (
    GuidReason,
    GuidRejection,
    PilotListResult,
    Refusal,
    ScheduleResult,
    ServiceRequestRefused,
)
from chfw_api.domain.service_requests import (
    PilotSelectionRules,
    SubmitPreferredPilotList,
    SubmitPreferredPilotSchedule,
)
from chfw_api.domain.stages import Stage
from chfw_api.services.pilot_samples import sample_by_rules
from chfw_api.services.sr_common import by_csp, in_campaign, sort_guids, supplier_campaign
from chfw_api.services.unit_of_work import UnitOfWork

# AD07: the constraints a preferred schedule may use, as DCC publishes them.
PUBLISHED_CONSTRAINTS = frozenset(
    {"WEEKDAYS-ONLY", "OFF-PEAK-ONLY", "AVOID-PREPAYMENT-PEAK", "MAX-1000-HUBS-PER-DAY"}
)


@dataclass(frozen=True)
class PilotSettings:
    max_size: int = 300  # C3
    minimum_per_supplier: int = 5  # AD09


def _open_for_pilot_lists(campaign: Campaign, *, what: str = "list") -> None:
    """A preferred pilot list (E110501) or schedule (E110601) is taken only while the pilot
    is still to come or running."""
    if not campaign.pilot_planned or campaign.effective_stage not in (
        Stage.NOTIFIED,
        Stage.PILOTING,
    ) or campaign.stage in (Stage.PAUSED, Stage.SUSPENDED):  # fmt: skip
        raise ServiceRequestRefused(
            Refusal.PILOT_LIST_CLOSED if what == "list" else Refusal.SCHEDULE_CLOSED,
            f"campaign {campaign.campaign_id} takes no pilot {what}s now (stage "
            f"{campaign.stage}, pilot {'planned' if campaign.pilot_planned else 'not planned'})",
        )


def recompose(
    uow: UnitOfWork, campaign: Campaign, row_id: int, settings: PilotSettings
) -> PilotComposition:
    # Only the members are used: the candidates may be only the production-proving hubs
    # when they fill the group (C3), so the other parts of the composition are not complete.
    seed = int(campaign.campaign_id.rsplit("-", 1)[-1])
    candidates = uow.pilot.composition_candidates(
        row_id, campaign.campaign_id, proving=settings.max_size, seed=seed
    )
    composition = compose(
        candidates,
        default_list=uow.pilot.default_list(row_id) or None,
        preferred=uow.pilot.preferred_lists(campaign.campaign_id),
        max_size=settings.max_size,
        seed=seed,
    )
    uow.pilot.set_members(row_id, list(composition.members))
    return composition


def submit_preferred_pilot_list(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    command: SubmitPreferredPilotList,
    settings: PilotSettings,
) -> PilotListResult:
    caller.require(PartyKind.SUPPLIER)
    now = clock.now()
    with uow:
        campaign, row_id = supplier_campaign(uow, caller, command.campaign_id)
        _open_for_pilot_lists(campaign)
        if command.guids is not None:
            choice = _listed(uow, caller, row_id, command.guids)
        else:
            assert command.rules is not None
            choice = _by_rules(uow, caller, row_id, command.rules, cap=settings.max_size)
        chosen, rejected = choice.chosen, choice.rejected
        if len(chosen) > settings.max_size:
            raise ServiceRequestRefused(
                Refusal.PILOT_TOO_LARGE,
                f"{len(chosen)} hubs chosen; a pilot holds at most {settings.max_size} (C3)",
            )
        if not chosen:
            # E110503: the previous list stands (X5), so leave without committing anything.
            return PilotListResult(accepted=0, rejected=tuple(rejected))
        uow.pilot.replace_preferred_list(
            campaign_id=campaign.campaign_id,
            supplier_id=caller.party_id,
            guids=chosen,
            request_id=command.header.request_id,
            now=now,
            rules=choice.rules_doc,
        )
        composition = recompose(uow, campaign, row_id, settings)
        # A04: the list goes on to each CSP with the hubs on its network.
        uow.record(
            PreferredPilotListAccepted(
                campaign_id=campaign.campaign_id,
                supplier_code=caller.code,
                guids_by_csp=by_csp(uow, ((choice.regions[g], g) for g in chosen)),
                at=now,
                request_id=command.header.request_id,
            )
        )
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=caller.code,
                    action="sr.11.5.preferred_pilot_list",
                    subject=f"campaign:{campaign.campaign_id}",
                    reason=command.header.request_id,
                    after={
                        "accepted": len(chosen),
                        "rejected": len(rejected),
                        "rules": choice.rules_doc,
                        "pilot_size": len(composition.members),
                    },
                )
            ]
        )
        uow.commit()
    return PilotListResult(accepted=len(chosen), rejected=tuple(rejected))


@dataclass(frozen=True)
class _Choice:
    """A supplier's preferred pilot hubs, their CSP regions, what was refused, and the rules
    that chose them (None for an explicit list)."""

    chosen: list[str]
    regions: dict[str, str]
    rejected: list[GuidRejection]
    rules_doc: dict[str, object] | None


def _listed(uow: UnitOfWork, caller: Caller, row_id: int, guids: Sequence[str]) -> _Choice:
    """An explicit list: each hub checked (in the campaign, not excluded, not proving)."""
    sorted_ = sort_guids(
        uow,
        campaign_row_id=row_id,
        guids=guids,
        supplier_id=caller.party_id,
        checks=[in_campaign, _not_excluded, _not_proving],
    )
    return _Choice(
        [f.guid for f in sorted_.accepted],
        {f.guid: f.csp_region or "" for f in sorted_.accepted},
        sorted_.rejected,
        None,
    )


def _by_rules(
    uow: UnitOfWork, caller: Caller, row_id: int, r: PilotSelectionRules, *, cap: int
) -> _Choice:
    """Selection rules (count or share, regions, models, exclusions, seed): a repeatable sample
    of the supplier's candidates (`pilot_samples`), refused if it would not fit the group."""
    rules = SelectionRules(
        hub_count=r.hub_count,
        percentage=float(r.percentage) if r.percentage is not None else None,
        regions=frozenset(x.value for x in r.regions),
        models=frozenset(r.models),
        exclude=frozenset(r.exclude),
        seed=r.seed if r.seed is not None else 0,
    )
    chosen = sample_by_rules(uow, row_id=row_id, supplier_id=caller.party_id, rules=rules,
                             cap=cap)  # fmt: skip
    rules_doc: dict[str, object] = {
        "hub_count": r.hub_count,
        "percentage": str(r.percentage) if r.percentage is not None else None,
        "regions": sorted(rules.regions),
        "models": sorted(rules.models),
        "exclude": sorted(rules.exclude),
        "seed": rules.seed,
    }
    return _Choice(
        sorted(c.guid for c in chosen), {c.guid: c.csp_region for c in chosen}, [], rules_doc
    )


def _not_excluded(f: HubFacts) -> tuple[GuidReason, str] | None:
    if f.pilot_excluded:
        return GuidReason.PILOT_EXCLUDED, "on the list of hubs excluded from every pilot (RA03)"
    return None


def _not_proving(f: HubFacts) -> tuple[GuidReason, str] | None:
    if f.production_proving:
        return GuidReason.ALREADY_IN_PILOT, "production-proving hubs are always in (AD10)"
    return None


def _in_pilot(f: HubFacts) -> tuple[GuidReason, str] | None:
    if not f.in_pilot:
        return GuidReason.NOT_IN_PILOT, "not in the campaign's pilot group"
    return None


def submit_pilot_schedule(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    command: SubmitPreferredPilotSchedule,
) -> ScheduleResult:
    """A05: periods for groups of the supplier's pilot hubs (DD01), constraints only from the
    published set (AD07); stored as a request for the CSP, which keeps the final say (C1)."""
    caller.require(PartyKind.SUPPLIER)
    now = clock.now()
    with uow:
        campaign, row_id = supplier_campaign(uow, caller, command.campaign_id)
        _open_for_pilot_lists(campaign, what="schedule")
        _check_periods(campaign, command)
        plan = _schedule(uow, caller, row_id, command)
        if not plan.entries:
            # E110604: the previous schedule stands (X5); nothing is recorded, not even audit.
            return ScheduleResult(
                accepted_entries=0, accepted_devices=0, rejected=tuple(plan.rejected)
            )
        uow.pilot.add_schedule_request(
            campaign_id=campaign.campaign_id,
            supplier_id=caller.party_id,
            request_id=command.header.request_id,
            now=now,
            entries=plan.entries,
        )
        # A05: forwarded as a request; the CSP keeps the final say on its schedule (C1).
        uow.record(
            PilotScheduleAccepted(
                campaign_id=campaign.campaign_id,
                supplier_code=caller.code,
                periods_by_csp=plan.periods,
                at=now,
                constraints=tuple(sorted(plan.constraints)),
                request_id=command.header.request_id,
            )
        )
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=caller.code,
                    action="sr.11.6.preferred_pilot_schedule",
                    subject=f"campaign:{campaign.campaign_id}",
                    reason=command.header.request_id,
                    after={"entries": len(plan.entries), "devices": plan.devices},
                )
            ]
        )
        uow.commit()
    return ScheduleResult(
        accepted_entries=len(plan.entries),
        accepted_devices=plan.devices,
        rejected=tuple(plan.rejected),
    )


def _check_periods(campaign: Campaign, command: SubmitPreferredPilotSchedule) -> None:
    """Each period within the pilot and the right way round; constraints published (AD07)."""
    problems = []
    for i, e in enumerate(command.entries, start=1):
        if e.end <= e.start:
            problems.append(f"entry {i}: the period ends before it starts")
        if campaign.pilot_start and e.start < campaign.pilot_start:
            problems.append(f"entry {i}: starts before the pilot ({campaign.pilot_start})")
        if campaign.pilot_end and e.end > campaign.pilot_end:
            problems.append(f"entry {i}: ends after the pilot ({campaign.pilot_end})")
        unknown = sorted(set(e.constraints) - PUBLISHED_CONSTRAINTS)
        if unknown:
            raise ServiceRequestRefused(
                Refusal.CONSTRAINT_NOT_PUBLISHED,
                f"entry {i}: constraints {', '.join(unknown)} are not in the published set "
                f"({', '.join(sorted(PUBLISHED_CONSTRAINTS))}) (AD07)",
            )
    if problems:
        raise ServiceRequestRefused(Refusal.PERIOD_INVALID, "; ".join(problems))


@dataclass
class _Schedule:
    """The periods kept (each with its accepted pilot hubs), per CSP, and what was refused."""

    entries: list[dict[str, object]] = field(default_factory=list)
    rejected: list[GuidRejection] = field(default_factory=list)
    devices: int = 0
    periods: dict[str, list[a.SchedulePeriod]] = field(default_factory=dict)
    constraints: set[str] = field(default_factory=set)


def _schedule(
    uow: UnitOfWork, caller: Caller, row_id: int, command: SubmitPreferredPilotSchedule
) -> _Schedule:
    out = _Schedule()
    named: set[str] = set()
    for e in command.entries:
        # A hub has one preferred period: named again in a later entry, it is rejected there
        # (the first entry keeps it), as a GUID repeated within one entry is.
        again = [g for g in e.guids if g in named]
        repeated = set(again)
        named.update(e.guids)
        sorted_ = sort_guids(
            uow,
            campaign_row_id=row_id,
            guids=[g for g in e.guids if g not in repeated] if again else e.guids,
            supplier_id=caller.party_id,
            checks=[_in_pilot],
        )
        out.rejected.extend(
            GuidRejection(g, GuidReason.DUPLICATE, "named in an earlier schedule entry")
            for g in again
        )
        out.rejected.extend(sorted_.rejected)
        guids = [f.guid for f in sorted_.accepted]
        if not guids:
            continue
        out.devices += len(guids)
        out.entries.append(_entry(e.start, e.end, e.label, guids, e.constraints))
        for csp, hubs in by_csp(
            uow, ((f.csp_region or "", f.guid) for f in sorted_.accepted)
        ).items():
            out.periods.setdefault(csp, []).append(
                a.SchedulePeriod(e.start, e.end, e.label, tuple(hubs))
            )
        out.constraints.update(e.constraints)
    return out


def _entry(
    start: datetime,
    end: datetime,
    label: str | None,
    guids: list[str],
    constraints: tuple[str, ...],
) -> dict[str, object]:
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "label": label,
        "guids": guids,
        "constraints": list(constraints),
    }
