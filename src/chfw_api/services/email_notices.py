"""Email notices owed by campaign events (issue #14): one more consequence of each event.

For each event that owes a process-level DCC Alert, each supplier with hubs in the campaign gets
an email at each of its contacts that wants that notice, carrying the alert's facts (built by the
same `alerts_for` the DCC Alerts use, so the two cannot drift) plus the release and that
supplier's own counts. Queued in the caller's transaction (outbox); the worker sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.campaign.events import CampaignEvent
from chfw_api.domain.campaign.views import SupplierShare
from chfw_api.domain.email_notices import (
    NOTICE_KINDS,
    CampaignFacts,
    EmailContact,
    EmailNotice,
    Recipient,
    notice_for,
    notice_key,
)
from chfw_api.domain.email_outbox import QueuedEmail
from chfw_api.domain.email_render import render_email
from chfw_api.domain.events import CampaignMoved, SliceDecisionMade
from chfw_api.domain.parties import PartyKind
from chfw_api.domain.releases import FirmwareRelease
from chfw_api.services.campaign_alerts import alerts_for
from chfw_api.services.unit_of_work import UnitOfWork


def email_campaign_notices(event: CampaignMoved | SliceDecisionMade, uow: UnitOfWork) -> None:
    """The email handler of a campaign move or a guardrail's slice decision (N81), listed in
    `services.consequences` after `store_alerts`: each email is named by the DCC Alert it
    mirrors, so a re-send is recognisable."""
    if not any(p.message.code in NOTICE_KINDS for p in event.alerts):
        return
    campaign = uow.campaigns.get(event.campaign_id)
    cpl = campaign.release if campaign is not None else None
    release = uow.releases.find(cpl.manufacturer, cpl.model, cpl.version) if cpl else None
    if campaign is None or release is None:
        raise LookupError(f"campaign {event.campaign_id} or its release is missing")
    ids = event.stored if len(event.stored) == len(event.alerts) else _ids(event.alerts, event.at)
    queue_emails(uow, event.alerts, ids, campaign=campaign, release=release, now=event.at)


def queue_emails_for(
    uow: UnitOfWork,
    events: Sequence[CampaignEvent],
    *,
    campaign: Campaign,
    release: FirmwareRelease,
    now: datetime,
    superseding_version: str | None = None,
) -> int:
    """The emails campaign `events` owe, queued in the caller's transaction (for a caller
    outside the handler table); returns how many."""
    owed = alerts_for(
        events,
        campaign=campaign,
        release=release,
        shares=uow.campaigns.supplier_shares(campaign.campaign_id),
        counts=lambda: uow.campaigns.hub_counts(campaign.campaign_id),
        superseding_version=superseding_version,
    )
    ids = _ids(owed, now, "-".join(e.name for e in events))
    return queue_emails(uow, owed, ids, campaign=campaign, release=release, now=now)


def _ids(owed: Sequence[a.PendingAlert], at: datetime, cause: str = "Moved") -> list[str]:
    """Stand-ins for alert IDs when the outbox gave none: stable for the same cause, alerts
    and time."""
    stamp = at.strftime("%Y%m%dT%H%M%S")
    return [f"{p.recipient}:{cause}.{stamp}:{i}" for i, p in enumerate(owed)]


def queue_emails(
    uow: UnitOfWork,
    owed: Sequence[a.PendingAlert],
    alert_ids: Sequence[str],
    *,
    campaign: Campaign,
    release: FirmwareRelease,
    now: datetime,
) -> int:
    """An email per process-level alert in `owed` to each of its supplier's contacts that wants
    that notice; returns how many were queued. Cheap when nobody has a contact."""
    owed_by_email = [
        (p, i) for p, i in zip(owed, alert_ids, strict=True) if p.message.code in NOTICE_KINDS
    ]
    if not owed_by_email:
        return 0
    cid = campaign.campaign_id
    contacts = _by_party(
        uow.emails.contacts(sorted({p.recipient_party_id for p, _ in owed_by_email}))
    )
    if not contacts:
        return 0
    shares = {s.party_id: s for s in uow.campaigns.supplier_shares(cid)}
    names = {p.id: p.name for p in uow.parties.list_all(PartyKind.SUPPLIER)}
    facts = CampaignFacts(
        campaign_id=cid,
        release=_release_info(release),
        automatic_deployment_at=campaign.automatic_deployment_date,
        notified_at=campaign.notified_at,
        pilot_planned=campaign.pilot_planned,
    )
    queued: list[QueuedEmail] = []
    for pending, alert_id in owed_by_email:
        party_id = pending.recipient_party_id
        if party_id not in contacts:
            continue
        share = shares.get(party_id, SupplierShare(party_id, pending.recipient, 0, 0))
        recipient = _recipient(share, names.get(party_id, pending.recipient))
        key = notice_key(pending.message.code, cid, alert_id)
        notice = notice_for(pending.message, facts, recipient, key=key)
        if notice is None:
            continue
        for contact in contacts[party_id]:
            if contact.wants(notice.code):
                queued.append(_queued(uow, notice, contact, cid, now))
    uow.emails.queue(queued, now)
    return len(queued)


def _queued(
    uow: UnitOfWork, notice: EmailNotice, contact: EmailContact, campaign_id: str, now: datetime
) -> QueuedEmail:
    message = render_email(notice, contact, uow.emails.sender, sent_at=now)
    return QueuedEmail(
        message_id=str(message["Message-ID"]),
        code=notice.code,
        campaign_id=campaign_id,
        party_id=contact.party_id,
        contact_id=contact.id,
        address=contact.address,
        body=message.as_bytes(),
    )


def _by_party(contacts: Sequence[EmailContact]) -> dict[int, list[EmailContact]]:
    out: dict[int, list[EmailContact]] = {}
    for c in contacts:
        out.setdefault(c.party_id, []).append(c)
    return out


def _recipient(share: SupplierShare, name: str) -> Recipient:
    return Recipient(
        party_id=share.party_id,
        user_id=share.user_id,
        name=name,
        eligible_as_import=share.eligible_as_import,
        eligible_as_gas=share.eligible_as_gas,
    )


def _release_info(release: FirmwareRelease) -> a.ReleaseInfo:
    return a.ReleaseInfo(
        manufacturer=release.manufacturer,
        model=release.model,
        version=release.version,
        release_note_ref=release.release_note_ref,
        severity=release.severity,
        priority=release.priority,
    )
