"""CSP uploads (A02, A03, A08): validated, versioned, and alerted to each supplier concerned.

CSPs keep control of network scheduling (C1, C2): their default pilot list and schedule and the
safe-launch schedule come in here, are checked against the campaign and the CSP's own network
(X2), stored as a new version that supersedes the last (both kept), and turned into one alert
per affected supplier carrying only that supplier's hubs (N72, N73, N76). No supplier endpoint
reaches these uploads: suppliers cannot change the safe-launch schedule (C2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.clock import Clock
from chfw_api.domain.csp_uploads import (
    CspUpload,
    RawUpload,
    UploadKind,
    UploadRecord,
    Window,
    for_supplier,
    named_guids,
    validate_upload,
)
from chfw_api.domain.deadlines import preferred_list_due
from chfw_api.domain.errors import Conflict, NotFound, ValidationFailed
from chfw_api.domain.events import CspUploadAccepted
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.stages import Stage
from chfw_api.services.pilot_lists import PUBLISHED_CONSTRAINTS
from chfw_api.services.unit_of_work import UnitOfWork

MAX_LISTED_PROBLEMS = 1000
_PILOT_STAGES = (Stage.NOTIFIED, Stage.PILOTING)
_SAFE_LAUNCH_STAGES = (
    Stage.NOTIFIED,
    Stage.PILOTING,
    Stage.PILOT_SUCCEEDED,
    Stage.SAFE_LAUNCHING,
)


@dataclass(frozen=True)
class UploadReceipt:
    upload_id: int
    campaign_id: str
    kind: UploadKind
    version: int
    hubs: int
    periods: int
    suppliers_alerted: int
    alert_ids: list[str]


def _open_for(kind: UploadKind, campaign: Campaign) -> None:
    """Pilot uploads while a pilot is planned and not over; the safe-launch schedule until the
    safe launch is over. A paused campaign still takes them (its effective stage counts)."""
    if campaign.is_terminal:
        raise Conflict(f"campaign {campaign.campaign_id} is {campaign.stage}: no uploads")
    if kind is UploadKind.SAFE_LAUNCH_SCHEDULE:
        if campaign.effective_stage not in _SAFE_LAUNCH_STAGES:
            raise Conflict(
                f"campaign {campaign.campaign_id} is {campaign.effective_stage}: the safe-launch "
                "schedule can no longer change"
            )
        return
    if not campaign.pilot_planned or campaign.effective_stage not in _PILOT_STAGES:
        raise Conflict(
            f"campaign {campaign.campaign_id} has no pilot pending: {kind.requirement} uploads "
            "are for a planned pilot before it ends"
        )


def _window(kind: UploadKind, campaign: Campaign) -> Window:
    if kind is UploadKind.SAFE_LAUNCH_SCHEDULE:
        # Safe launch activates no later than DCC's automatic time (BR3.1, BR3.6).
        return Window(None, campaign.automatic_deployment_date)
    if kind is UploadKind.DEFAULT_PILOT_SCHEDULE:
        return Window(
            campaign.pilot_start, campaign.pilot_end or campaign.automatic_deployment_date
        )
    return Window(None, None)


def _message(kind: UploadKind, campaign: Campaign, part: CspUpload) -> a.AlertMessage:
    cid = campaign.campaign_id
    periods = tuple(a.SchedulePeriod(p.start, p.end, p.label, p.guids) for p in part.periods)
    if kind is UploadKind.DEFAULT_PILOT_LIST:
        return a.DefaultPilotList(cid, part.guids, preferred_list_due(campaign))
    if kind is UploadKind.DEFAULT_PILOT_SCHEDULE:
        return a.DefaultPilotSchedule(cid, periods, tuple(sorted(PUBLISHED_CONSTRAINTS)))
    return a.SafeLaunchSchedule(cid, periods)


def upload(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    campaign_id: str,
    kind: UploadKind,
    raw: RawUpload,
    source_format: str,
) -> UploadReceipt:
    """Validate a CSP's upload whole (X5), store it as the next version, set the default-list
    flags (A02), and alert each affected supplier with its own hubs only (X4)."""
    caller.require(PartyKind.CSP)
    now = clock.now()
    with uow:
        campaign = uow.campaigns.get(campaign_id, for_update=True)
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
        _open_for(kind, campaign)
        key = uow.gateway.campaign_key(campaign_id)
        checked = _checked(uow, caller, kind, raw, campaign, key, now)
        guids = checked.all_guids
        upload_id, version = uow.gateway.add_upload(
            csp_party_id=caller.party_id,
            campaign_key=key,
            kind=kind,
            source_format=source_format,
            hub_count=len(guids),
            content=checked.content(),
            now=now,
        )
        if kind is UploadKind.DEFAULT_PILOT_LIST:
            uow.gateway.set_default_list(key, sorted(_regions_of(caller)), guids)
        owed = _owed(uow, kind, campaign, checked)
        accepted = CspUploadAccepted(campaign_id=campaign_id, kind=kind, at=now, alerts=owed)
        uow.record(accepted)
        receipt = UploadReceipt(
            upload_id,
            campaign_id,
            kind,
            version,
            len(guids),
            len(checked.periods),
            len(owed),
            accepted.stored,  # filled when the event is handled, at the commit
        )
        uow.audit.append([_audited(receipt, caller, source_format, now)])
        uow.commit()
    return receipt


def _audited(
    receipt: UploadReceipt, caller: Caller, source_format: str, now: datetime
) -> AuditRecord:
    return AuditRecord(
        at=now,
        actor=caller.code,
        action=f"csp.{receipt.kind.value}",
        subject=f"campaign:{receipt.campaign_id}",
        reason=f"{receipt.kind.requirement} upload v{receipt.version} ({source_format})",
        after={
            "upload_id": receipt.upload_id,
            "version": receipt.version,
            "hubs": receipt.hubs,
            "periods": receipt.periods,
            "alerts": receipt.suppliers_alerted,
        },
    )


def _regions_of(caller: Caller) -> frozenset[str]:
    return frozenset(r.value for r in caller.regions)


def _checked(
    uow: UnitOfWork,
    caller: Caller,
    kind: UploadKind,
    raw: RawUpload,
    campaign: Campaign,
    key: int,
    now: datetime,
) -> CspUpload:
    """The upload checked whole against the inventory and the CSP's regions, or a 422 listing
    its problems (nothing stored)."""
    facts = uow.gateway.hub_facts(key, named_guids(raw))
    checked, problems = validate_upload(
        kind, raw, facts=facts, regions=_regions_of(caller), window=_window(kind, campaign), now=now
    )
    if checked is None:
        raise ValidationFailed(
            f"the {kind.requirement} upload has {len(problems)} problem(s); nothing was stored",
            problems[:MAX_LISTED_PROBLEMS],
            total=len(problems),
        )
    return checked


def _owed(
    uow: UnitOfWork, kind: UploadKind, campaign: Campaign, checked: CspUpload
) -> list[a.PendingAlert]:
    """One alert per supplier of the upload's hubs, carrying its own hubs only (X4)."""
    mine: dict[tuple[int, str], set[str]] = {}
    for guid, suppliers in uow.gateway.suppliers_of(checked.all_guids).items():
        for recipient in suppliers.recipients():
            mine.setdefault(recipient, set()).add(guid)
    owed = []
    for (party_id, user_id), hubs in sorted(mine.items(), key=lambda kv: kv[0][1]):
        part = for_supplier(checked, frozenset(hubs))
        if part is not None:
            owed.append(
                a.PendingAlert(
                    party_id, user_id, _message(kind, campaign, part), campaign.campaign_id
                )
            )
    return owed


def uploads(
    uow: UnitOfWork, *, caller: Caller, campaign_id: str, kind: UploadKind | None = None
) -> list[UploadRecord]:
    """Every version of every upload for a campaign: a CSP sees its own, DCC all."""
    caller.require(PartyKind.CSP, PartyKind.DCC)
    with uow:
        uow.gateway.campaign_key(campaign_id)
        own = caller.party_id if caller.kind is PartyKind.CSP else None
        return uow.gateway.uploads(campaign_id, csp_party_id=own, kind=kind)
