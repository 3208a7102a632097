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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chfw_api.domain import alerts as a
from chfw_api.domain.activation import (
    HubChange,
    HubFact,
    HubResult,
    HubState,
    MonitoredHub,
    Rejection,
    apply_results,
    normalised,
    result_problem,
)
from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import NotFound
from chfw_api.domain.events import ActivationResultsReceived, PilotProgressReported
from chfw_api.domain.guardrails import GuardrailRule, Trip
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.hub_suppliers import HubSuppliers
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
    with uow:
        campaign = uow.campaigns.get(campaign_id, for_update=True)  # one upload at a time
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist", campaign=campaign_id)
        key = uow.gateway.campaign_key(campaign_id)
        sorted_ = _sorted(uow, key, caller, _staged(results, campaign, policy, now))
        uow.activation.record(key, sorted_.accepted, csp_party_id=caller.party_id, now=now)
        moved = _moved(sorted_, campaign_id, policy)
        uow.activation.apply(key, moved.changes)
        alerts = len(moved.owed)
        uow.record(ActivationResultsReceived(campaign_id=campaign_id, at=now, alerts=moved.owed))
        if moved.pilot_news:  # counts read after the write above
            progress = _pilot_progress(
                uow, campaign_key=key, campaign=campaign, news=moved.pilot_news
            )
            alerts += len(progress)
            uow.record(PilotProgressReported(campaign_id=campaign_id, at=now, alerts=progress))
        trips: list[Trip] = []
        if moved.counts[HubStatus.ACTIVATED] or moved.counts[HubStatus.FAILED]:
            trips = guardrails.check(
                uow,
                campaign_id=campaign_id,
                campaign_key=key,
                defaults=policy.guardrail_defaults,
                now=now,
            )
        report = ResultsReport(
            received=len(results),
            accepted=len(sorted_.accepted),
            duplicates=sorted_.duplicates,
            rejected=sorted(sorted_.rejected, key=lambda x: x.index),
            distributed=moved.counts[HubStatus.DISTRIBUTED],
            activated=moved.counts[HubStatus.ACTIVATED],
            failed=moved.counts[HubStatus.FAILED],
            inventory_updated=sum(1 for c in moved.changes if c.new_version),
            alerts=alerts,
            paused_slices=[f"{t.key.stage}/{t.key.dimension}/{t.key.value}" for t in trips],
        )
        uow.audit.append([_audited(report, moved.counts, trips, caller, campaign_id, now)])
        uow.commit()
    return report


@dataclass
class _Staged:
    """Results that passed the checks needing no database, in upload order."""

    results: list[tuple[int, HubResult]] = field(default_factory=list)
    rejected: list[RejectedResult] = field(default_factory=list)
    duplicates: int = 0


@dataclass
class _Sorted:
    """Accepted results by hub, with each hub's facts; refusals; repeats."""

    accepted: list[HubResult]
    per_hub: dict[str, list[HubResult]]
    facts_of: Mapping[str, HubFact]
    rejected: list[RejectedResult]
    duplicates: int


@dataclass
class _Moved:
    """What the accepted results do: hub changes, alerts owed, counts, pilot news."""

    changes: list[HubChange] = field(default_factory=list)
    owed: list[a.PendingAlert] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {
            HubStatus.DISTRIBUTED: 0,
            HubStatus.ACTIVATED: 0,
            HubStatus.FAILED: 0,
        }
    )
    pilot_news: dict[tuple[int, str], list[a.HubFailure]] = field(default_factory=dict)


def _staged(
    results: Sequence[HubResult], campaign: Campaign, policy: ResultsPolicy, now: datetime
) -> _Staged:
    """Shape and timing checks, and repeats within this upload."""
    out = _Staged()
    seen: set[tuple[str, str, datetime]] = set()
    for i, raw in enumerate(results):
        if not is_eui64(raw.guid):
            out.rejected.append(RejectedResult(i, raw.guid, Rejection.INVALID, "not a CH GUID"))
            continue
        r = normalised(raw)
        problem = result_problem(r, now=now, earliest=campaign.notified_at, skew=policy.max_future)
        if problem is not None:
            out.rejected.append(RejectedResult(i, r.guid, Rejection.INVALID, problem))
            continue
        ident = (r.guid, r.outcome.value, r.at)
        if ident in seen:
            out.duplicates += 1
            continue
        seen.add(ident)
        out.results.append((i, r))
    return out


def _sorted(uow: UnitOfWork, key: int, caller: Caller, staged: _Staged) -> _Sorted:
    """Against the inventory and the campaign (one query): unknown hubs, other networks'
    hubs and hubs outside the campaign are refused; results posted before are repeats."""
    regions = frozenset(r.value for r in caller.regions)
    facts_of = uow.activation.hub_facts(key, list({r.guid: None for _, r in staged.results}))
    seen_before = uow.activation.seen_results(
        key, [g for g, f in facts_of.items() if f.has_results]
    )
    out = _Sorted([], {}, facts_of, staged.rejected, staged.duplicates)
    for i, r in staged.results:
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
            out.rejected.append(
                RejectedResult(i, r.guid, refusal, f"{r.guid} is {_REFUSED[refusal]}")
            )
        elif (r.guid, r.outcome.value, r.at) in seen_before:
            out.duplicates += 1
        else:
            out.accepted.append(r)
            out.per_hub.setdefault(r.guid, []).append(r)
    return out


def _moved(sorted_: _Sorted, campaign_id: str, policy: ResultsPolicy) -> _Moved:
    """Each hub's results applied in order: its new state, and the alerts each move owes."""
    out = _Moved()
    recipients_of: dict[HubSuppliers, list[tuple[int, str]]] = {}  # shared by many hubs
    for guid, hub_results in sorted_.per_hub.items():
        f = sorted_.facts_of[guid]
        state, moves = apply_results(
            HubState(f.status or HubStatus.ELIGIBLE, f.result_at), hub_results
        )
        if not moves:
            continue
        recipients = recipients_of.get(f.suppliers)
        if recipients is None:
            recipients = recipients_of[f.suppliers] = f.suppliers.recipients()
        version = f.hub_version
        new_version = None
        for m in moves:
            out.counts[m.status] = out.counts.get(m.status, 0) + 1
            r = m.result
            if m.activated and r.firmware_version:
                if r.firmware_version != version:
                    new_version = version = r.firmware_version
                msg: a.AlertMessage = a.HubActivated(guid=guid, firmware_version=r.firmware_version)
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
            out.owed += [
                a.PendingAlert(pid, uid, msg, campaign_id, code=code) for pid, uid in recipients
            ]
            if f.in_pilot:
                _pilot_news(out.pilot_news, recipients, m.failed, r)
        last = moves[-1].result
        failed = state.status is HubStatus.FAILED
        reason = (last.reason or UNSPECIFIED)[:200] if failed else None
        out.changes.append(HubChange(guid, state.status, last.at, reason, new_version))
    return out


def _pilot_news(
    news: dict[tuple[int, str], list[a.HubFailure]],
    recipients: Sequence[tuple[int, str]],
    failed: bool,
    r: HubResult,
) -> None:
    """A pilot hub moved: each of its suppliers gets a progress alert, listing it if it failed."""
    for recipient in recipients:
        mine = news.setdefault(recipient, [])
        if failed:
            mine.append(a.HubFailure(r.guid, r.reason_code or UNSPECIFIED, r.reason or UNSPECIFIED))


def _audited(
    report: ResultsReport,
    counts: dict[str, int],
    trips: Sequence[Trip],
    caller: Caller,
    campaign_id: str,
    now: datetime,
) -> AuditRecord:
    return AuditRecord(
        at=now,
        actor=caller.code,
        action="csp.activation_results",
        subject=f"campaign:{campaign_id}",
        reason=f"{report.received} results received",
        after={
            "accepted": report.accepted,
            "duplicates": report.duplicates,
            "rejected": len(report.rejected),
            **counts,
            "inventory_updated": report.inventory_updated,
            "alerts": report.alerts,
            "paused": [t.reason() for t in trips],
        },
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
        done, failed = counts.get(HubStatus.ACTIVATED, 0), counts.get(HubStatus.FAILED, 0)
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
