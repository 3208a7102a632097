"""SR 11.8 estate firmware status (BR5.3) and SR 11.9 dashboard (BR5.4, BR5.5).

Small estates are answered in the response; larger ones become a report produced by the
worker, streamed to a CSV file in constant memory, announced by N83 and fetched by its ID.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from chfw_api.domain import alerts as a
from chfw_api.domain.clock import Clock
from chfw_api.domain.deadlines import SupplierProgress, others_next, supplier_actions
from chfw_api.domain.events import EstateReportReady
from chfw_api.domain.hub_status import HUB_STATUSES
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.reports import SYNC_LIMIT
from chfw_api.domain.service_request_results import (
    Actor,
    CampaignDashboard,
    Dashboard,
    GuidReason,
    GuidRejection,
    OtherActorAction,
    OutstandingAction,
    Refusal,
    ReportPending,
    ServiceRequestRefused,
    StatusCount,
    StatusReport,
)
from chfw_api.domain.service_requests import ReadDashboard, ReadFirmwareStatus
from chfw_api.domain.stages import DeploymentKind
from chfw_api.services.estate_rows import automatic_times, hub_status
from chfw_api.services.report_file import write_report
from chfw_api.services.sr_common import NOT_YOURS, not_yours
from chfw_api.services.unit_of_work import UnitOfWork

STATUSES = HUB_STATUSES


def read_status(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, command: ReadFirmwareStatus
) -> StatusReport | ReportPending:
    caller.require(PartyKind.SUPPLIER)
    now = clock.now()
    if command.status is not None and command.status not in STATUSES:
        raise ServiceRequestRefused(
            Refusal.STATUS_UNKNOWN,
            f"{command.status!r} is not a firmware status ({', '.join(STATUSES)})",
        )
    with uow:
        if command.report_id is not None:
            report = uow.estate.report(command.report_id)
            if report is None or report.supplier_id != caller.party_id:
                raise ServiceRequestRefused(
                    Refusal.REPORT_UNKNOWN, f"no report {command.report_id} of yours"
                )
            if report.status != "ready":
                raise ServiceRequestRefused(
                    Refusal.REPORT_NOT_READY, f"report {command.report_id} is still being made"
                )
            p = report.params
            automatic = automatic_times(uow)
            hubs = [
                hub_status(r, automatic)
                for r in uow.estate.rows(caller.party_id, campaign=p.get("campaign"),
                                         status=p.get("status"), guids=p.get("guids"),
                                         limit=SYNC_LIMIT)
            ]  # fmt: skip
            return StatusReport(
                generated_at=report.ready_at or now,
                hubs=tuple(hubs),
                report_id=report.report_id,
                rejected=tuple(_refused(p)),
                total=max(report.rows or 0, len(hubs)),
            )
        if command.campaign_id is not None:
            _known_campaign(uow, caller, command.campaign_id)
        refused = not_yours(uow, caller.party_id, command.guids or ())
        params = {
            "campaign": command.campaign_id,
            "status": command.status,
            "guids": list(command.guids) if command.guids else None,
            "refused": [r.guid for r in refused],
        }
        total = uow.estate.count(
            caller.party_id, campaign=command.campaign_id, status=command.status,
            guids=command.guids, at_most=SYNC_LIMIT + 1,
        )  # fmt: skip
        if total <= SYNC_LIMIT:
            rows = uow.estate.rows(caller.party_id, campaign=command.campaign_id,
                                   status=command.status, guids=command.guids)  # fmt: skip
            automatic = automatic_times(uow)
            return StatusReport(
                generated_at=now,
                hubs=tuple(hub_status(r, automatic) for r in rows),
                rejected=refused,
            )
        report_id = f"RPT-{uow.estate.next_report_number():06d}"
        uow.estate.add_report(
            report_id=report_id,
            supplier_id=caller.party_id,
            request_id=command.header.request_id,
            now=now,
            params=params,
        )
        uow.commit()
    return ReportPending(report_id=report_id)


def _known_campaign(uow: UnitOfWork, caller: Caller, campaign_id: str) -> None:
    """A report filtered on a campaign names one the supplier has hubs in: any other reads as
    unknown (E110017), never as an empty report, and says nothing of whether it exists (X2).
    An ended campaign's hubs can still be read."""
    if uow.campaigns.get(campaign_id) is None or caller.party_id not in {
        s.party_id for s in uow.campaigns.supplier_shares(campaign_id)
    }:
        raise ServiceRequestRefused(
            Refusal.CAMPAIGN_UNKNOWN, f"no campaign {campaign_id} with hubs of yours"
        )


def _refused(params: dict[str, Any]) -> Iterator[GuidRejection]:
    """The named GUIDs a report left out as not the supplier's, as found when it was asked
    for (BR5.2): read by ReportID, they are listed again."""
    for guid in params.get("refused") or ():
        yield GuidRejection(guid, GuidReason.NOT_YOURS, NOT_YOURS)


def _private_file(path: Path) -> TextIO:
    """A new file only its owner can read (0600): a report lists one supplier's hubs (X2), and
    a world-readable file would show them to every account on the host. A leftover of a crash
    is removed first, so its old mode cannot carry over."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return open(fd, "w", newline="", encoding="utf-8")


def produce_reports(uow_factory: Callable[[], UnitOfWork], clock: Clock, *, directory: Path) -> int:
    """Worker job: write each pending report as CSV (temporary name, fsync, rename), mark it
    ready and tell the supplier (N83) in the same transaction."""
    with uow_factory() as uow:
        pending = uow.estate.pending_reports()
    done = 0
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for report in pending:
        with uow_factory() as uow:
            # Several workers may list the same pending report: one takes it, locked until it
            # commits; the others skip it (found during bench/soak.py with two workers).
            if not uow.estate.claim_report(report.report_id):
                continue
            path = directory / f"{report.report_id}.csv"
            tmp = path.with_suffix(".csv.tmp")  # one writer at a time: the report is claimed
            with _private_file(tmp) as f:
                rows = write_report(uow, report, f)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(path)
            now = clock.now()
            uow.estate.mark_ready(report.report_id, rows=rows, path=str(path), now=now)
            code = uow.parties.codes_of([report.supplier_id])[report.supplier_id]
            n83 = a.PendingAlert(
                recipient_party_id=report.supplier_id,
                recipient=code,
                request_id=report.request_id,
                message=a.ReportReady(
                    report_id=report.report_id,
                    fetch_reference=f"/api/v1/reports/{report.report_id}",
                    rows=rows,
                ),
            )
            uow.record(EstateReportReady(report_id=report.report_id, at=now, alerts=[n83]))
            uow.commit()
            done += 1
    return done


def report_file(uow: UnitOfWork, *, caller: Caller, report_id: str) -> Path:
    """The CSV of a ready report, for its own supplier only (X2)."""
    caller.require(PartyKind.SUPPLIER)
    with uow:
        report = uow.estate.report(report_id)
    if report is None or report.supplier_id != caller.party_id:
        raise ServiceRequestRefused(Refusal.REPORT_UNKNOWN, f"no report {report_id} of yours")
    if report.status != "ready" or report.path is None:
        raise ServiceRequestRefused(Refusal.REPORT_NOT_READY, f"report {report_id} is not ready")
    return Path(report.path)


def read_dashboard(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, command: ReadDashboard
) -> Dashboard:
    """BR5.4/5.5: per campaign in flight with hubs of the supplier: its counts, its outstanding
    actions with due times, and the other actors' next action dates."""
    caller.require(PartyKind.SUPPLIER)
    now = clock.now()
    out: list[CampaignDashboard] = []
    with uow:
        campaigns = uow.campaigns.list_all(active_only=True)
        for c in campaigns:
            if command.campaign_id is not None and c.campaign_id != command.campaign_id:
                continue
            shares = uow.campaigns.supplier_shares(c.campaign_id)
            if caller.party_id not in {s.party_id for s in shares}:
                continue
            row_id = uow.campaigns.internal_id(c.campaign_id)
            counts = uow.estate.campaign_counts(row_id, caller.party_id)
            awaiting_me, awaiting_other = uow.estate.split_waiting(
                row_id, c.campaign_id, caller.party_id
            )
            progress = SupplierProgress(
                submitted_preferred_list=caller.party_id
                in uow.pilot.suppliers_with_lists(c.campaign_id),
                pilot_uninstructed=_uninstructed(uow, row_id, c.campaign_id, caller, True),
                safe_launch_uninstructed=_uninstructed(uow, row_id, c.campaign_id, caller, False),
                split_awaiting_me=awaiting_me,
                split_awaiting_other=awaiting_other,
                csp_default_list_received=bool(uow.pilot.default_list(row_id)),
            )
            auto = c.automatic_activation_at(DeploymentKind.SAFE_LAUNCH)
            out.append(
                CampaignDashboard(
                    campaign_id=c.campaign_id,
                    stage=c.stage,
                    firmware_version=c.release.version,
                    automatic_activation_at=auto or c.automatic_deployment_date,
                    counts=tuple(StatusCount(s, n) for s, n in sorted(counts.items())),
                    outstanding=tuple(
                        OutstandingAction(d.action, d.due_at)
                        for d in supplier_actions(c, progress, now)
                    ),
                    others=tuple(
                        OtherActorAction(Actor(d.actor), d.action, d.due_at)
                        for d in others_next(c, progress, now)
                    ),
                )
            )
    return Dashboard(generated_at=now, campaigns=tuple(out))


def _uninstructed(
    uow: UnitOfWork, row_id: int, campaign_id: str, caller: Caller, pilot: bool
) -> int:
    kind = DeploymentKind.PILOT if pilot else DeploymentKind.SAFE_LAUNCH
    return uow.instructions.uninstructed_count(
        campaign_row_id=row_id,
        campaign_id=campaign_id,
        stage=kind.value,
        supplier_id=caller.party_id,
        pilot=pilot,
    )
