"""BR3.6: a hub nobody instructed activates at DCC's automatic time.

Suppliers may instruct earlier deployment (BR3.4, BR3.5); every hub they leave alone, and every
split hub whose second supplier never agreed (BR4.1: DCC's planned date stands), still has to
reach its CSP. Once a campaign is safe launching and its automatic deployment date has come,
this job forwards those hubs to their CSPs as deployment instructions planned at that date, in
batches of 50,000 (BR3.7), one transaction each, and marks them instructed so none is sent twice.

Hubs in a slice a guardrail paused stay behind (listed as held) and are offered again on later
runs; a paused or suspended campaign is not safe launching, so nothing is forwarded while it is
held. Hubs in a region no CSP serves cannot be forwarded and are counted as orphaned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.events import HubsInstructed
from chfw_api.domain.stages import DeploymentKind, Stage
from chfw_api.services.campaigns import SYSTEM
from chfw_api.services.sr_common import by_csp
from chfw_api.services.unit_of_work import UnitOfWork

BATCH = 50_000


@dataclass
class AutomaticDeploymentReport:
    forwarded: dict[str, int] = field(default_factory=dict)  # campaign ID -> hubs sent
    held: int = 0
    orphaned: int = 0


def instruction_id(campaign_id: str, after: str | None) -> str:
    """Stable per batch, so a CSP can tell DCC's automatic instructions from suppliers'."""
    return f"AUTO-{campaign_id}-{(after or '00').replace('-', '')[:16]}"


def deploy_at_automatic_time(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, batch: int = BATCH
) -> AutomaticDeploymentReport:
    now = clock.now()
    report = AutomaticDeploymentReport()
    with uow_factory() as uow:
        due = [
            c.campaign_id
            for c in uow.campaigns.list_all(active_only=True)
            if c.stage is Stage.SAFE_LAUNCHING and c.automatic_deployment_date <= now
        ]
    for campaign_id in due:
        after: str | None = None
        while True:
            with uow_factory() as uow:
                done = _next_batch(uow, campaign_id, after, batch, now, report)
            if done is None:
                break
            after = done
    return report


def _next_batch(
    uow: UnitOfWork,
    campaign_id: str,
    after: str | None,
    batch: int,
    now: datetime,
    report: AutomaticDeploymentReport,
) -> str | None:
    """One transaction: the next `batch` hubs nobody instructed go to their CSPs at the
    automatic date (hubs a paused slice holds stay unplanned); returns the last GUID, or None
    when there is nothing left."""
    campaign = uow.campaigns.get(campaign_id, for_update=True)
    if campaign is None or campaign.stage is not Stage.SAFE_LAUNCHING:
        return None
    key = uow.gateway.campaign_key(campaign_id)
    hubs = uow.instructions.unplanned_hubs(key, after=after, limit=batch)
    if not hubs:
        return None
    at = campaign.automatic_deployment_date
    grouped = by_csp(uow, [(region, (guid, at)) for guid, region in hubs])
    instructed = HubsInstructed(
        campaign_id=campaign_id,
        instruction_id=instruction_id(campaign_id, after),
        stage=DeploymentKind.SAFE_LAUNCH,
        window_start=at,
        window_end=at,
        hubs_by_csp=grouped,
        at=now,
    )
    uow.record(instructed)
    uow.dispatch()  # the files now: which hubs a paused slice held back
    (sent,) = instructed.forwarded
    held = set(sent.held)
    planned = [(g, t) for hubs_of in grouped.values() for g, t in hubs_of]
    uow.instructions.set_plans(key, [(g, t) for g, t in planned if g not in held])
    orphaned = len(hubs) - len(planned)
    if sent.hubs or orphaned:
        uow.audit.append(
            [
                AuditRecord(
                    at=now,
                    actor=SYSTEM,
                    action="automatic_deployment",
                    subject=f"campaign:{campaign_id}",
                    reason="BR3.6: no instruction, DCC's automatic time",
                    after={
                        "forwarded": sent.hubs,
                        "held": len(held),
                        "orphaned": orphaned,
                        "planned_activation_at": at.isoformat(),
                        "files": sent.files,
                    },
                )
            ]
        )
    uow.commit()
    report.forwarded[campaign_id] = report.forwarded.get(campaign_id, 0) + sent.hubs
    report.held += len(held)
    report.orphaned += orphaned
    return hubs[-1][0]
