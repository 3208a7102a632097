"""DCC's operator dashboard (BR5.4, BR5.5, issue #7): one read model per campaign.

SR 11.9 (`estate_status.read_dashboard`) answers one supplier about its own share. DCC sees every
supplier of every campaign: each supplier's outstanding actions with their due dates, and the
next actions of DCC and the CSP, from the same rules (`domain.deadlines`) so both views agree.
Everything is read in one read-only unit of work, so one page shows one consistent moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chfw_api.domain.campaign import Campaign
from chfw_api.domain.campaign.events import RolloutDecisionMade
from chfw_api.domain.campaign.views import HubCounts
from chfw_api.domain.clock import Clock
from chfw_api.domain.csp_uploads import UploadKind
from chfw_api.domain.deadlines import Due, SupplierProgress, others_next, supplier_actions
from chfw_api.domain.errors import NotFound
from chfw_api.domain.incidents import Incident, IncidentStatus
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.releases import FirmwareRelease
from chfw_api.domain.stages import DeploymentKind
from chfw_api.services.parties import authenticate
from chfw_api.services.unit_of_work import UnitOfWork

RECENTLY_ENDED = timedelta(days=30)  # ended campaigns stay on the overview this long
ALERT_LIMIT = 50
DECISION_LIMIT = 20
DETAIL_ALERT_LIMIT = 20
OTHER_ACTORS = ("DCC", "CSP")  # "OtherSupplier" only makes sense in one supplier's own view


@dataclass(frozen=True)
class ActionDue:
    """One action someone owes, with how long is left (negative once overdue: BR5.4)."""

    actor: str
    action: str
    due_at: datetime
    left: timedelta

    @classmethod
    def of(cls, due: Due, now: datetime) -> ActionDue:
        return cls(due.actor, due.action, due.due_at, due.due_at - now)


@dataclass(frozen=True)
class SupplierBoard:
    """One supplier's share of a campaign (BR1.3) and what it still has to do."""

    user_id: str
    eligible_as_import: int
    eligible_as_gas: int
    outstanding: tuple[ActionDue, ...]


@dataclass(frozen=True)
class CampaignBoard:
    campaign: Campaign
    counts: HubCounts
    suppliers: tuple[SupplierBoard, ...]
    others: tuple[ActionDue, ...]  # DCC's and the CSP's next actions, soonest first

    def next_for(self, actor: str) -> ActionDue | None:
        return next((a for a in self.others if a.actor == actor), None)

    @property
    def outstanding_total(self) -> int:
        return sum(len(s.outstanding) for s in self.suppliers)


@dataclass(frozen=True)
class AlertLine:
    code: str
    recipient: str
    campaign_id: str | None
    at: datetime


@dataclass(frozen=True)
class Overview:
    generated_at: datetime
    campaigns: tuple[CampaignBoard, ...]
    alerts: tuple[AlertLine, ...]
    decisions: tuple[RolloutDecisionMade, ...]  # newest first
    incidents: tuple[Incident, ...]  # open or awaiting the Panel, oldest first


@dataclass(frozen=True)
class CampaignDetail:
    generated_at: datetime
    board: CampaignBoard
    release: FirmwareRelease | None
    decisions: tuple[RolloutDecisionMade, ...]  # oldest first: the campaign's history
    incidents: tuple[Incident, ...]
    alert_counts: Mapping[str, int] = field(default_factory=dict)
    alerts: tuple[AlertLine, ...] = ()


def operator(uow: UnitOfWork, *, key: str | None) -> Caller:
    """The DCC operator behind an API key: unknown keys are Unauthenticated, other parties'
    keys Forbidden (the dashboard shows every supplier's position, so DCC's eyes only)."""
    caller = authenticate(uow, key=key)
    caller.require(PartyKind.DCC)
    return caller


def overview(uow: UnitOfWork, clock: Clock, *, caller: Caller) -> Overview:
    """Campaigns in flight and recently ended, with who owes what; recent alerts, decisions
    and the incidents still waiting for DCC or the Panel."""
    caller.require(PartyKind.DCC)
    now = clock.now()
    with uow:
        shown = [c for c in uow.campaigns.list_all() if _worth_showing(c, now)]
        shown.sort(key=lambda c: (c.is_terminal, c.campaign_id))
        boards = tuple(_board(uow, c, now) for c in shown)
        decisions = sorted(
            (d for c in shown for d in uow.decisions.list_for(c.campaign_id)),
            key=lambda d: d.at,
            reverse=True,
        )
        incidents = tuple(
            i for i in uow.incidents.list_all() if i.status is not IncidentStatus.DECIDED
        )
        alerts = _alerts(uow, limit=ALERT_LIMIT)
    return Overview(
        generated_at=now,
        campaigns=boards,
        alerts=alerts,
        decisions=tuple(decisions[:DECISION_LIMIT]),
        incidents=incidents,
    )


def campaign_detail(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, campaign_id: str
) -> CampaignDetail:
    """One campaign: suppliers' shares and outstanding actions, decisions, incidents, alerts."""
    caller.require(PartyKind.DCC)
    now = clock.now()
    with uow:
        campaign = uow.campaigns.get(campaign_id)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
        release_id = campaign.release.release_id
        return CampaignDetail(
            generated_at=now,
            board=_board(uow, campaign, now),
            release=uow.releases.get(int(release_id)) if release_id else None,
            decisions=tuple(uow.decisions.list_for(campaign_id)),
            incidents=tuple(uow.incidents.list_all(campaign_id=campaign_id)),
            alert_counts=uow.recent.alert_counts(campaign_id),
            alerts=_alerts(uow, limit=DETAIL_ALERT_LIMIT, campaign_id=campaign_id),
        )


def _worth_showing(c: Campaign, now: datetime) -> bool:
    if not c.is_terminal:
        return True
    return now - (c.ended_at or c.stage_changed_at) <= RECENTLY_ENDED


def _alerts(
    uow: UnitOfWork, *, limit: int, campaign_id: str | None = None
) -> tuple[AlertLine, ...]:
    rows = uow.recent.latest_alerts(limit=limit, campaign_id=campaign_id)
    return tuple(AlertLine(code, recipient, cid, at) for code, recipient, cid, at in rows)


def _board(uow: UnitOfWork, c: Campaign, now: datetime) -> CampaignBoard:
    """The per-supplier progress is built exactly as SR 11.9 builds it for one supplier
    (`estate_status.read_dashboard`), once per supplier of the campaign."""
    cid = c.campaign_id
    counts = uow.campaigns.hub_counts(cid)
    shares = uow.campaigns.supplier_shares(cid)
    if c.is_terminal:  # nobody owes anything on a finished campaign: skip the queries
        suppliers = tuple(
            SupplierBoard(s.user_id, s.eligible_as_import, s.eligible_as_gas, ()) for s in shares
        )
        return CampaignBoard(c, counts, suppliers, ())
    row_id = uow.campaigns.internal_id(cid)
    with_lists = uow.pilot.suppliers_with_lists(cid)
    uploads = uow.recent.upload_kinds(cid)
    csp = SupplierProgress(
        csp_default_list_received=UploadKind.DEFAULT_PILOT_LIST.value in uploads
        or bool(uow.pilot.default_list(row_id)),
        csp_safe_launch_schedule_received=UploadKind.SAFE_LAUNCH_SCHEDULE.value in uploads,
    )
    boards = []
    for s in shares:
        awaiting_me, awaiting_other = uow.estate.split_waiting(row_id, cid, s.party_id)
        progress = SupplierProgress(
            submitted_preferred_list=s.party_id in with_lists,
            pilot_uninstructed=_uninstructed(uow, row_id, cid, s.party_id, DeploymentKind.PILOT),
            safe_launch_uninstructed=_uninstructed(
                uow, row_id, cid, s.party_id, DeploymentKind.SAFE_LAUNCH
            ),
            split_awaiting_me=awaiting_me,
            split_awaiting_other=awaiting_other,
            csp_default_list_received=csp.csp_default_list_received,
            csp_safe_launch_schedule_received=csp.csp_safe_launch_schedule_received,
        )
        boards.append(
            SupplierBoard(
                s.user_id,
                s.eligible_as_import,
                s.eligible_as_gas,
                tuple(ActionDue.of(d, now) for d in supplier_actions(c, progress, now)),
            )
        )
    others = tuple(
        ActionDue.of(d, now) for d in others_next(c, csp, now) if d.actor in OTHER_ACTORS
    )
    return CampaignBoard(c, counts, tuple(boards), others)


def _uninstructed(
    uow: UnitOfWork, row_id: int, campaign_id: str, supplier_id: int, kind: DeploymentKind
) -> int:
    return uow.instructions.uninstructed_count(
        campaign_row_id=row_id,
        campaign_id=campaign_id,
        stage=kind.value,
        supplier_id=supplier_id,
        pilot=kind is DeploymentKind.PILOT,
    )
