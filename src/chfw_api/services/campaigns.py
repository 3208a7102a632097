"""Campaign use cases: DCC creates and steers campaigns (the clock moves them on in
`services/campaign_tick.py`).

Each use case is one transaction: the state change, its audit rows and the alerts it owes are
committed together or not at all (X1, X4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign, CplEntry, Targeting, campaigns_superseded_by
from chfw_api.domain.campaign.events import CampaignEvent, RolloutDecisionMade
from chfw_api.domain.campaign.views import HubCounts, SupplierShare
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import NotFound
from chfw_api.domain.events import CampaignMoved
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.releases import FirmwareRelease
from chfw_api.domain.stages import Command
from chfw_api.services.campaign_alerts import alerts_for
from chfw_api.services.unit_of_work import UnitOfWork

SYSTEM = "system"


@dataclass(frozen=True)
class NewCampaign:
    release_id: int
    device_models: tuple[str, ...] = ()
    from_versions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    automatic_deployment_date: datetime | None = None
    with_pilot: bool = False
    pilot_start: datetime | None = None
    pilot_end: datetime | None = None


@dataclass(frozen=True)
class CampaignView:
    """A campaign as DCC sees it: the aggregate, its counts and the moves open to it."""

    campaign: Campaign
    counts: HubCounts
    shares: list[SupplierShare]
    allowed: list[Command]
    superseded: list[str]


def record_events(
    uow: UnitOfWork,
    *,
    campaign: Campaign,
    release: FirmwareRelease,
    events: Sequence[CampaignEvent],
    actor: str,
    action: str,
    reason: str,
    now: datetime,
    superseding_version: str | None = None,
) -> None:
    """Audit each transition and store each decision; record what the move owes (the CSPs'
    decision files, the alerts and their audit row: `services.consequences`)."""
    cid = campaign.campaign_id
    records = [
        AuditRecord(
            at=e.at,
            actor=e.actor,
            action=f"campaign.{e.name}",
            subject=f"campaign:{cid}",
            reason=e.reason,
            before={"stage": e.before.value if e.before else None},
            after={"stage": e.after.value, "command": action},
        )
        for e in events
    ]
    decisions = []
    for e in events:
        if isinstance(e, RolloutDecisionMade):
            uow.decisions.add(e)
            decisions.append((e.decision, e.reason))
    uow.audit.append(records)
    owed = alerts_for(
        events,
        campaign=campaign,
        release=release,
        shares=uow.campaigns.supplier_shares(cid),
        counts=lambda: uow.campaigns.hub_counts(cid),
        superseding_version=superseding_version,
    )
    uow.record(
        CampaignMoved(
            campaign_id=cid,
            actor=actor,
            action=action,
            at=now,
            alerts=owed,
            decisions=tuple(decisions),
        )
    )


def release_of(uow: UnitOfWork, release_id: int) -> FirmwareRelease:
    release = uow.releases.get(release_id)
    if release is None:
        raise NotFound(f"firmware release {release_id} does not exist")
    return release


def campaign_for_update(uow: UnitOfWork, campaign_id: str) -> Campaign:
    campaign = uow.campaigns.get(campaign_id, for_update=True)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
    return campaign


def view_of(
    uow: UnitOfWork,
    campaign: Campaign,
    superseded: list[str] | None = None,
    counts: HubCounts | None = None,
) -> CampaignView:
    return CampaignView(
        campaign=campaign,
        counts=counts or uow.campaigns.hub_counts(campaign.campaign_id),
        shares=uow.campaigns.supplier_shares(campaign.campaign_id),
        allowed=campaign.allowed_commands(),
        superseded=superseded or [],
    )


def create_campaign(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, spec: NewCampaign, reason: str
) -> CampaignView:
    """A01/BR1.1: notify a release. Takes the eligible snapshot, tells every supplier its own
    eligible counts (BR1.3), and supersedes older campaigns of the model still piloting (AD13)."""
    caller.require(PartyKind.DCC)
    now = clock.now()
    with uow:
        release = release_of(uow, spec.release_id)
        entry = CplEntry(
            manufacturer=release.manufacturer,
            model=release.model,
            version=release.version,
            operational_or_security=release.operational_or_security,
            release_id=str(release.id),
        )
        number = uow.campaigns.next_number()
        campaign = Campaign.notify(
            campaign_id=f"CMP-{number:06d}",
            release=entry,
            now=now,
            actor=caller.code,
            reason=reason,
            targeting=Targeting(
                device_models=spec.device_models or (release.model,),
                from_versions=spec.from_versions,
                regions=spec.regions,
            ),
            automatic_deployment_date=spec.automatic_deployment_date,
            with_pilot=spec.with_pilot,
            pilot_start=spec.pilot_start,
            pilot_end=spec.pilot_end,
        )
        older = campaigns_superseded_by(
            entry, uow.campaigns.in_flight_for_model(release.manufacturer, release.model)
        )
        uow.campaigns.add(campaign, number=number, release_id=release.id)
        campaign.eligible_hubs = uow.campaigns.snapshot_eligible(campaign)
        uow.campaigns.save(campaign)
        uow.campaigns.record_supplier_shares(campaign)
        record_events(
            uow,
            campaign=campaign,
            release=release,
            events=campaign.pull_events(),
            actor=caller.code,
            action="notify",
            reason=reason,
            now=now,
        )
        _supersede(uow, older, campaign, release, caller, reason, now)
        # A new campaign's hubs are all eligible: no need to count them again.
        fresh = HubCounts(by_status={HubStatus.ELIGIBLE: campaign.eligible_hubs or 0})
        view = view_of(uow, campaign, [o.campaign_id for o in older], counts=fresh)
        uow.commit()
    return view


def _supersede(
    uow: UnitOfWork,
    older: Sequence[Campaign],
    campaign: Campaign,
    release: FirmwareRelease,
    caller: Caller,
    reason: str,
    now: datetime,
) -> None:
    """AD13: older campaigns of the model still piloting end, superseded by `campaign`."""
    for old in older:
        old_release = release_of(uow, int(old.release.release_id or 0))
        events = old.supersede(
            superseded_by=campaign.campaign_id,
            now=now,
            actor=caller.code,
            reason=f"release {release.version} approved for {release.model} (AD13)",
        )
        uow.campaigns.save(old)
        record_events(
            uow,
            campaign=old,
            release=old_release,
            events=events,
            actor=caller.code,
            action="supersede",
            reason=reason,
            now=now,
            superseding_version=release.version,
        )


Action = Callable[[Campaign, datetime], list[CampaignEvent]]


def apply(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    campaign_id: str,
    action: str,
    reason: str,
    run: Action,
) -> CampaignView:
    """Run one DCC command on a campaign: refused commands change nothing (X5)."""
    caller.require(PartyKind.DCC)
    now = clock.now()
    with uow:
        campaign = campaign_for_update(uow, campaign_id)
        events = run(campaign, now)
        uow.campaigns.save(campaign)
        release = release_of(uow, int(campaign.release.release_id or 0))
        record_events(
            uow,
            campaign=campaign,
            release=release,
            events=events,
            actor=caller.code,
            action=action,
            reason=reason,
            now=now,
        )
        view = view_of(uow, campaign)
        uow.commit()
    return view


def run_command(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    campaign_id: str,
    command: Command,
    reason: str,
    **params: object,
) -> CampaignView:
    """A DCC lifecycle command by name (the aggregate's method of the same name)."""
    method = getattr(Campaign, command.value, None)
    if method is None or command in _DECISION_COMMANDS:
        raise ValueError(f"{command} is not a direct campaign command")
    return apply(
        uow,
        clock,
        caller=caller,
        campaign_id=campaign_id,
        action=command.value,
        reason=reason,
        run=lambda c, now: getattr(c, command.value)(
            now=now, actor=caller.code, reason=reason, **params
        ),
    )


_DECISION_COMMANDS = frozenset(
    {Command.PROCEED, Command.PAUSE, Command.DELAY_END, Command.STOP, Command.SUSPEND,
     Command.RESUME}
)  # fmt: skip


def get_campaign(uow: UnitOfWork, *, caller: Caller, campaign_id: str) -> CampaignView:
    caller.require(PartyKind.DCC)
    with uow:
        campaign = uow.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
        return view_of(uow, campaign)


def list_campaigns(uow: UnitOfWork, *, caller: Caller, active_only: bool = False) -> list[Campaign]:
    caller.require(PartyKind.DCC)
    with uow:
        return uow.campaigns.list_all(active_only=active_only)


def decisions(uow: UnitOfWork, *, caller: Caller, campaign_id: str) -> list[RolloutDecisionMade]:
    caller.require(PartyKind.DCC)
    with uow:
        if uow.campaigns.get(campaign_id) is None:
            raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
        return uow.decisions.list_for(campaign_id)


def decide(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    campaign_id: str,
    decision: RolloutDecision,
    reason: str,
    new_end: datetime | None = None,
) -> CampaignView:
    """BR6.3/BR6.4 without an incident (e.g. DCC's own immediate suspension)."""
    return apply(
        uow,
        clock,
        caller=caller,
        campaign_id=campaign_id,
        action=decision.value,
        reason=reason,
        run=lambda c, now: c.decide(
            decision, now=now, actor=caller.code, reason=reason, new_end=new_end
        ),
    )


@dataclass(frozen=True)
class EligibleHub:
    guid: str
    model: str
    csp_region: str
    from_version: str
    as_import_supplier: bool
    as_gas_supplier: bool
    in_pilot: bool
    status: str


def eligible_hubs(
    uow: UnitOfWork, *, caller: Caller, campaign_id: str, after: str | None, limit: int
) -> list[EligibleHub]:
    """BR2.1: the eligible list DCC published; a supplier sees only the hubs it supplies,
    marked with the roles it holds on each (BR1.3)."""
    caller.require(PartyKind.DCC, PartyKind.SUPPLIER)
    with uow:
        if uow.campaigns.get(campaign_id) is None:
            raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
        supplier = caller.party_id if caller.kind is PartyKind.SUPPLIER else None
        rows = uow.campaigns.eligible_page(
            campaign_id, supplier_id=supplier, after=after, limit=max(1, min(limit, 5000))
        )
    return [EligibleHub(*r) for r in rows]
