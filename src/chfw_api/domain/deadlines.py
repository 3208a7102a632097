"""Who owes what next, and by when (BR5.4, BR5.5), derived from a campaign and its progress.

Outstanding actions of a supplier:
- submit a Preferred Pilot List, by two months after notification (AD09: afterwards DCC
  selects pilot hubs on the supplier's behalf), while a pilot is planned and none was sent;
- instruct pilot / safe-launch deployment of its still-uninstructed hubs, by one month before
  DCC's automatic time for that stage (BR3.4): optional, so shown as "may", but dated;
- confirm split-supplier hubs the other supplier has already instructed (BR3.3).
Next actions of the other actors: DCC (automatic activation, end of pilot), the CSP (default
pilot list and schedule before the pilot, safe-launch schedule before the safe launch) and, for
split hubs, "the other supplier" (never named).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chfw_api.domain.calendar import add_months
from chfw_api.domain.campaign import Campaign
from chfw_api.domain.instructions import MIN_NOTICE_MONTHS
from chfw_api.domain.stages import DeploymentKind, Stage

PREFERRED_LIST_MONTHS = 2  # AD09


@dataclass(frozen=True)
class SupplierProgress:
    """What one supplier has done in one campaign so far."""

    submitted_preferred_list: bool = False
    pilot_uninstructed: int = 0
    safe_launch_uninstructed: int = 0
    split_awaiting_me: int = 0  # split hubs the other supplier instructed and I have not
    split_awaiting_other: int = 0
    csp_default_list_received: bool = False
    csp_safe_launch_schedule_received: bool = False


@dataclass(frozen=True)
class Due:
    actor: str  # "Supplier", "DCC", "CSP", "OtherSupplier"
    action: str
    due_at: datetime


def preferred_list_due(campaign: Campaign) -> datetime:
    return add_months(campaign.notified_at, PREFERRED_LIST_MONTHS)


def supplier_actions(campaign: Campaign, progress: SupplierProgress, now: datetime) -> list[Due]:
    out: list[Due] = []
    stage = campaign.effective_stage
    if campaign.is_terminal or stage in (Stage.COMPLETED,):
        return out
    if (
        campaign.pilot_planned
        and stage in (Stage.NOTIFIED, Stage.PILOTING)
        and not progress.submitted_preferred_list
    ):
        out.append(Due("Supplier", "SubmitPreferredPilotList", preferred_list_due(campaign)))
    for kind, left, action in (
        (DeploymentKind.PILOT, progress.pilot_uninstructed, "MayInstructPilotDeployment"),
        (
            DeploymentKind.SAFE_LAUNCH,
            progress.safe_launch_uninstructed,
            "MayInstructSafeLaunchDeployment",
        ),
    ):
        auto = campaign.automatic_activation_at(kind)
        if left and auto is not None and campaign.may_instruct(kind):
            deadline = add_months(auto, -MIN_NOTICE_MONTHS)
            if deadline > now:
                out.append(Due("Supplier", action, deadline))
    if progress.split_awaiting_me:
        auto = campaign.automatic_activation_at(DeploymentKind.SAFE_LAUNCH)
        if auto is not None:
            out.append(
                Due(
                    "Supplier",
                    "ConfirmSplitSupplierInstruction",
                    add_months(auto, -MIN_NOTICE_MONTHS),
                )
            )
    return sorted(out, key=lambda d: d.due_at)


def others_next(campaign: Campaign, progress: SupplierProgress, now: datetime) -> list[Due]:
    out: list[Due] = []
    stage = campaign.effective_stage
    if campaign.is_terminal:
        return out
    if stage is Stage.COMPLETED:
        return [Due("DCC", "CloseCampaign", now)]
    if campaign.pilot_planned and stage is Stage.NOTIFIED and campaign.pilot_start:
        if not progress.csp_default_list_received:
            out.append(Due("CSP", "SendDefaultPilotListAndSchedule", campaign.pilot_start))
        out.append(Due("DCC", "StartPilot", campaign.pilot_start))
    if stage is Stage.PILOTING and campaign.pilot_end:
        out.append(Due("DCC", "DeclarePilotOutcome", campaign.pilot_end))
    if stage in (Stage.NOTIFIED, Stage.PILOTING, Stage.PILOT_SUCCEEDED):
        if not progress.csp_safe_launch_schedule_received:
            out.append(
                Due(
                    "CSP",
                    "SendSafeLaunchSchedule",
                    campaign.pilot_end or campaign.automatic_deployment_date,
                )
            )
        out.append(Due("DCC", "AutomaticSafeLaunchActivation", campaign.automatic_deployment_date))
    if stage is Stage.SAFE_LAUNCHING:
        out.append(Due("DCC", "AutomaticSafeLaunchActivation", campaign.automatic_deployment_date))
    if progress.split_awaiting_other:
        auto = campaign.automatic_activation_at(DeploymentKind.SAFE_LAUNCH)
        if auto is not None:
            out.append(Due("OtherSupplier", "ConfirmSplitSupplierInstruction",
                           add_months(auto, -MIN_NOTICE_MONTHS)))  # fmt: skip
    return sorted(out, key=lambda d: d.due_at)
