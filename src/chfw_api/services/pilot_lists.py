"""SR 11.5 Preferred Pilot List and SR 11.6 Preferred Pilot Schedule (A04, A05, BR2, C1, C3).

A supplier's list replaces its previous one, then the pilot group is composed again from the
CSP's default list, every supplier's preferred list, production-proving hubs and the cap
(`domain.pilot.compose`). Schedules are requests: stored and forwarded, the CSP decides (C1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.clock import Clock
from chfw_api.domain.deadlines import preferred_list_due
from chfw_api.domain.hub_facts import HubFacts
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.pilot import PilotComposition, SelectionRules, compose, select_by_rules
from chfw_api.domain.service_request_results import (
    GuidReason,
    GuidRejection,
    PilotListResult,
    Refusal,
    ScheduleResult,
    ServiceRequestRefused,
)
from chfw_api.domain.service_requests import SubmitPreferredPilotList, SubmitPreferredPilotSchedule
from chfw_api.domain.stages import Stage
from chfw_api.services.gateway_outbound import (
    forward_pilot_schedule,
    forward_preferred_pilot_list,
)
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
    composition = compose(
        uow.pilot.composition_candidates(row_id, campaign.campaign_id),
        default_list=uow.pilot.default_list(row_id) or None,
        preferred=uow.pilot.preferred_lists(campaign.campaign_id),
        max_size=settings.max_size,
        seed=int(campaign.campaign_id.rsplit("-", 1)[-1]),
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
        rejected: list[GuidRejection] = []
        if command.guids is not None:
            sorted_ = sort_guids(
                uow,
                campaign_row_id=row_id,
                guids=command.guids,
                supplier_id=caller.party_id,
                checks=[in_campaign, _not_excluded, _not_proving],
            )
            chosen = [f.guid for f in sorted_.accepted]
            regions = {f.guid: f.csp_region or "" for f in sorted_.accepted}
            rejected = sorted_.rejected
            rules_doc = None
        else:
            assert command.rules is not None
            r = command.rules
            rules = SelectionRules(
                hub_count=r.hub_count,
                percentage=float(r.percentage) if r.percentage is not None else None,
                regions=frozenset(x.value for x in r.regions),
                models=frozenset(r.models),
                exclude=frozenset(r.exclude),
                seed=r.seed if r.seed is not None else 0,
            )
            candidates = [
                c
                for c in uow.pilot.supplier_candidates(row_id, caller.party_id)
                if not c.production_proving
            ]
            chosen = select_by_rules(candidates, rules)
            regions = {c.guid: c.csp_region for c in candidates}
            rules_doc = {
                "hub_count": r.hub_count,
                "percentage": str(r.percentage) if r.percentage is not None else None,
                "regions": sorted(rules.regions),
                "models": sorted(rules.models),
                "exclude": sorted(rules.exclude),
                "seed": rules.seed,
            }
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
            rules=rules_doc,
        )
        composition = recompose(uow, campaign, row_id, settings)
        # A04: the list goes on to each CSP with the hubs on its network.
        forward_preferred_pilot_list(
            uow,
            campaign_id=campaign.campaign_id,
            supplier_code=caller.code,
            guids_by_csp=by_csp(uow, ((regions[g], g) for g in chosen)),
            now=now,
            request_id=command.header.request_id,
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
                        "rules": rules_doc,
                        "pilot_size": len(composition.members),
                    },
                )
            ]
        )
        uow.commit()
    return PilotListResult(accepted=len(chosen), rejected=tuple(rejected))


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
        entries = []
        rejected: list[GuidRejection] = []
        accepted_devices = 0
        periods: dict[str, list[a.SchedulePeriod]] = {}
        constraints: set[str] = set()
        for e in command.entries:
            sorted_ = sort_guids(
                uow,
                campaign_row_id=row_id,
                guids=e.guids,
                supplier_id=caller.party_id,
                checks=[_in_pilot],
            )
            rejected.extend(sorted_.rejected)
            guids = [f.guid for f in sorted_.accepted]
            if guids:
                accepted_devices += len(guids)
                entries.append(_entry(e.start, e.end, e.label, guids, e.constraints))
                for csp, hubs in by_csp(
                    uow, ((f.csp_region or "", f.guid) for f in sorted_.accepted)
                ).items():
                    periods.setdefault(csp, []).append(
                        a.SchedulePeriod(e.start, e.end, e.label, tuple(hubs))
                    )
                constraints.update(e.constraints)
        if not entries:
            # E110604: the previous schedule stands (X5); nothing is recorded, not even audit.
            return ScheduleResult(accepted_entries=0, accepted_devices=0, rejected=tuple(rejected))
        uow.pilot.add_schedule_request(
            campaign_id=campaign.campaign_id,
            supplier_id=caller.party_id,
            request_id=command.header.request_id,
            now=now,
            entries=entries,
        )
        # A05: forwarded as a request; the CSP keeps the final say on its schedule (C1).
        forward_pilot_schedule(
            uow,
            campaign_id=campaign.campaign_id,
            supplier_code=caller.code,
            periods_by_csp=periods,
            now=now,
            constraints=sorted(constraints),
            request_id=command.header.request_id,
        )
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=caller.code,
                    action="sr.11.6.preferred_pilot_schedule",
                    subject=f"campaign:{campaign.campaign_id}",
                    reason=command.header.request_id,
                    after={"entries": len(entries), "devices": accepted_devices},
                )
            ]
        )
        uow.commit()
    return ScheduleResult(
        accepted_entries=len(entries), accepted_devices=accepted_devices, rejected=tuple(rejected)
    )


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


def select_for_silent_suppliers(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, settings: PilotSettings
) -> int:
    """AD09 (worker job): two months after notification, DCC picks the minimum number of pilot
    hubs for each supplier that sent no preferred list, by a repeatable sample, and tells it
    (N72 listing the hubs chosen on its behalf). Returns the suppliers selected for."""
    now = clock.now()
    with uow_factory() as uow:
        due = [
            c.campaign_id
            for c in uow.campaigns.list_all(active_only=True)
            if c.pilot_planned
            and c.effective_stage in (Stage.NOTIFIED, Stage.PILOTING)
            and now >= preferred_list_due(c)
        ]
    selected = 0
    for campaign_id in due:
        with uow_factory() as uow:
            campaign = uow.campaigns.get(campaign_id, for_update=True)
            if campaign is None:
                continue
            row_id = uow.campaigns.internal_id(campaign_id)
            listed = uow.pilot.suppliers_with_lists(campaign_id)
            owed = []
            for share in uow.campaigns.supplier_shares(campaign_id):
                if share.party_id in listed:
                    continue
                candidates = [
                    c
                    for c in uow.pilot.supplier_candidates(row_id, share.party_id)
                    if not c.production_proving and len(c.suppliers) == 1
                ]
                chosen = select_by_rules(
                    candidates,
                    SelectionRules(hub_count=settings.minimum_per_supplier, seed=row_id),
                )
                uow.pilot.replace_preferred_list(
                    campaign_id=campaign_id,
                    supplier_id=share.party_id,
                    guids=chosen,
                    request_id="DCC-AD09",
                    now=now,
                    rules={"hub_count": settings.minimum_per_supplier, "seed": row_id},
                    chosen_by_dcc=True,
                )
                owed.append(
                    a.PendingAlert(
                        recipient_party_id=share.party_id,
                        recipient=share.user_id,
                        campaign_id=campaign_id,
                        message=a.DefaultPilotList(campaign_id=campaign_id, guids=tuple(chosen)),
                    )
                )
                selected += 1
            if owed:
                recompose(uow, campaign, row_id, settings)
                uow.outbox.add(owed, now=now)
                uow.audit.append(
                    [
                        AuditRecord(
                            at=now,
                            actor="system",
                            action="pilot.selected_by_dcc",
                            subject=f"campaign:{campaign_id}",
                            reason="AD09: no preferred pilot list within two months",
                            after={"suppliers": [p.recipient for p in owed]},
                        )
                    ]
                )
                uow.commit()
    return selected
