"""Per-hub activation results from CSPs (AH, BR2.4, BR5.6), in batches of 50,000 and more.

One upload is one transaction: valid results move their hubs on and are alerted; every refused
result is listed with its GUID and reason (BR5.2 style); a result posted again changes and
alerts nothing. On activation the inventory's firmware version is updated if it changed (BR5.6)
and the hub's current Import and Gas Supplier each get one `CommsHubFirmwareActivation` alert
(N63 by default; one alert when both roles are the same supplier). A failure sends N82 with the
CSP's reason. Pilot hubs also feed one N74 progress alert per supplier per upload (BR2.4) and
the enhanced monitoring view (AD11). Then the guardrails look at the new figures.

Set-based throughout (one query for the facts of every hub named, bulk writes): see
`persistence.repositories.activation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chfw_api.domain import alerts as a
from chfw_api.domain.activation import (
    HubChange,
    HubResult,
    HubState,
    HubSuppliers,
    MonitoredHub,
    Rejection,
    apply_results,
    normalised,
    result_problem,
)
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.campaign_views import ACTIVATED, FAILED
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import NotFound
from chfw_api.domain.guardrails import GuardrailRule
from chfw_api.domain.identifiers import is_eui64
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.services import guardrails
from chfw_api.services.unit_of_work import UnitOfWork

UNSPECIFIED = "Unspecified"


@dataclass(frozen=True)
class RejectedResult:
    index: int
    guid: str
    code: Rejection
    reason: str


@dataclass(frozen=True)
class ResultsReport:
    received: int
    accepted: int
    duplicates: int
    rejected: list[RejectedResult]
    distributed: int
    activated: int
    failed: int
    inventory_updated: int
    alerts: int
    paused_slices: list[str]


@dataclass(frozen=True)
class ResultsPolicy:
    """What the upload needs from settings."""

    activation_alert_code: str = "N63"
    max_future: timedelta = timedelta(minutes=5)
    guardrail_defaults: tuple[GuardrailRule, ...] = ()


_REFUSED = {
    Rejection.UNKNOWN_HUB: "not in the Smart Metering Inventory (E19)",
    Rejection.NOT_YOUR_NETWORK: "not on this CSP's network (E4)",
    Rejection.NOT_IN_CAMPAIGN: "not a hub of this campaign",
}


def post_results(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    campaign_id: str,
    results: Sequence[HubResult],
    policy: ResultsPolicy,
) -> ResultsReport:
    caller.require(PartyKind.CSP)
    now = clock.now()
    regions = frozenset(r.value for r in caller.regions)
    rejected: list[RejectedResult] = []
    with uow:
        campaign = uow.campaigns.get(campaign_id, for_update=True)  # one upload at a time
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
        key = uow.gateway.campaign_key(campaign_id)
        staged: list[tuple[int, HubResult]] = []
        seen: set[tuple[str, str, datetime]] = set()
        duplicates = 0
        for i, raw in enumerate(results):
            if not is_eui64(raw.guid):
                rejected.append(RejectedResult(i, raw.guid, Rejection.INVALID, "not a CH GUID"))
                continue
            r = normalised(raw)
            problem = result_problem(
                r, now=now, earliest=campaign.notified_at, skew=policy.max_future
            )
            if problem is not None:
                rejected.append(RejectedResult(i, r.guid, Rejection.INVALID, problem))
                continue
            ident = (r.guid, r.outcome.value, r.at)
            if ident in seen:
                duplicates += 1
                continue
            seen.add(ident)
            staged.append((i, r))
        facts_of = uow.activation.hub_facts(key, list({r.guid: None for _, r in staged}))
        seen_before = uow.activation.seen_results(
            key, [g for g, f in facts_of.items() if f.has_results]
        )
        accepted: list[HubResult] = []
        per_hub: dict[str, list[HubResult]] = {}
        for i, r in staged:
            f = facts_of.get(r.guid)
            refusal = (
                Rejection.UNKNOWN_HUB
                if f is None
                else Rejection.NOT_YOUR_NETWORK
                if f.region not in regions
                else Rejection.NOT_IN_CAMPAIGN
                if not f.in_campaign
                else None
            )
            if refusal is not None:
                rejected.append(
                    RejectedResult(i, r.guid, refusal, f"{r.guid} is {_REFUSED[refusal]}")
                )
            elif (r.guid, r.outcome.value, r.at) in seen_before:
                duplicates += 1
            else:
                accepted.append(r)
                per_hub.setdefault(r.guid, []).append(r)
        uow.activation.record(key, accepted, csp_party_id=caller.party_id, now=now)
        changes: list[HubChange] = []
        owed: list[a.PendingAlert] = []
        counts = {"distributed": 0, "activated": 0, "failed": 0}
        pilot_news: dict[tuple[int, str], list[a.HubFailure]] = {}
        recipients_of: dict[HubSuppliers, list[tuple[int, str]]] = {}  # shared by many hubs
        for guid, hub_results in per_hub.items():
            f = facts_of[guid]
            state, moves = apply_results(HubState(f.status or "eligible", f.result_at), hub_results)
            if not moves:
                continue
            recipients = recipients_of.get(f.suppliers)
            if recipients is None:
                recipients = recipients_of[f.suppliers] = f.suppliers.recipients()
            version = f.hub_version
            new_version = None
            for m in moves:
                counts[m.status] = counts.get(m.status, 0) + 1
                r = m.result
                if m.activated and r.firmware_version:
                    if r.firmware_version != version:
                        new_version = version = r.firmware_version
                    msg: a.AlertMessage = a.HubActivated(
                        guid=guid, firmware_version=r.firmware_version
                    )
                    code: str | None = policy.activation_alert_code
                elif m.failed:
                    msg = a.ActivationFailure(
                        campaign_id=campaign_id,
                        guid=guid,
                        reason_code=r.reason_code or UNSPECIFIED,
                        reason=r.reason or UNSPECIFIED,
                        failed_at=r.at,
                    )
                    code = None
                else:
                    continue
                owed += [
                    a.PendingAlert(pid, uid, msg, campaign_id, code=code) for pid, uid in recipients
                ]
                if f.in_pilot:
                    for recipient in recipients:
                        news = pilot_news.setdefault(recipient, [])
                        if m.failed:
                            news.append(
                                a.HubFailure(
                                    guid, r.reason_code or UNSPECIFIED, r.reason or UNSPECIFIED
                                )
                            )
            last = moves[-1].result
            changes.append(
                HubChange(
                    guid,
                    state.status,
                    last.at,
                    (last.reason or UNSPECIFIED)[:200] if state.status == FAILED else None,
                    new_version,
                )
            )
        uow.activation.apply(key, changes)
        alert_ids = uow.outbox.add(owed, now=now)
        if pilot_news:  # counts read after the write above
            progress = _pilot_progress(uow, campaign_key=key, campaign=campaign, news=pilot_news)
            alert_ids += uow.outbox.add(progress, now=now)
        trips = []
        if counts["activated"] or counts["failed"]:
            trips = guardrails.check(
                uow,
                campaign_id=campaign_id,
                campaign_key=key,
                defaults=policy.guardrail_defaults,
                now=now,
            )
        updated = sum(1 for c in changes if c.new_version)
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=caller.code,
                    action="csp.activation_results",
                    subject=f"campaign:{campaign_id}",
                    reason=f"{len(results)} results received",
                    after={
                        "accepted": len(accepted),
                        "duplicates": duplicates,
                        "rejected": len(rejected),
                        **counts,
                        "inventory_updated": updated,
                        "alerts": len(alert_ids),
                        "paused": [t.reason() for t in trips],
                    },
                )
            ]
        )
        uow.commit()
    return ResultsReport(
        received=len(results),
        accepted=len(accepted),
        duplicates=duplicates,
        rejected=sorted(rejected, key=lambda x: x.index),
        distributed=counts["distributed"],
        activated=counts["activated"],
        failed=counts["failed"],
        inventory_updated=updated,
        alerts=len(alert_ids),
        paused_slices=[f"{t.key.stage}/{t.key.dimension}/{t.key.value}" for t in trips],
    )


def _pilot_progress(
    uow: UnitOfWork,
    *,
    campaign_key: int,
    campaign: Campaign,
    news: dict[tuple[int, str], list[a.HubFailure]],
) -> list[a.PendingAlert]:
    """BR2.4: at most one N74 (Progress) per supplier per upload, with its pilot counts and this
    upload's failures among its pilot hubs."""
    by_supplier = uow.activation.pilot_status_by_supplier(campaign_key)
    out = []
    for (pid, uid), failures in sorted(news.items(), key=lambda kv: kv[0][1]):
        counts = by_supplier.get(pid, {})
        done, failed = counts.get(ACTIVATED, 0), counts.get(FAILED, 0)
        out.append(
            a.PendingAlert(
                pid,
                uid,
                a.PilotStatus(
                    campaign_id=campaign.campaign_id,
                    phase=a.PilotPhase.PROGRESS,
                    succeeded=done,
                    failed=failed,
                    pending=max(0, sum(counts.values()) - done - failed),
                    pilot_start_at=campaign.pilot_start,
                    pilot_end_at=campaign.pilot_end,
                    commentary=f"{len(failures)} of your pilot hubs failed in this update",
                    failures=tuple(failures),
                ),
                campaign.campaign_id,
            )
        )
    return out


def monitoring(
    uow: UnitOfWork, *, caller: Caller, campaign_id: str, after: str | None, limit: int
) -> list[MonitoredHub]:
    """AD11: pilot hubs with every result and its timing; DCC sees all, a supplier its own."""
    caller.require(PartyKind.DCC, PartyKind.SUPPLIER)
    with uow:
        key = uow.gateway.campaign_key(campaign_id)
        supplier = caller.party_id if caller.kind is PartyKind.SUPPLIER else None
        return uow.activation.monitoring(key, supplier_id=supplier, after=after, limit=limit)
