"""What a campaign lets deploy, what it lets suppliers instruct (SR 11.7), and when DCC activates
the hubs nobody instructed (BR3.1, BR3.4, BR3.6).

Kept apart from the aggregate so the rules the CSP gateway and the instruction services rely on
read as one set; the aggregate answers through `Campaign.deploying_stage`, `may_instruct` and
`automatic_activation_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from chfw_api.domain.stages import DeploymentKind, Stage

if TYPE_CHECKING:
    from chfw_api.domain.campaign import Campaign

# Firmware deploys only while piloting or safe launching: never while held or finished.
DEPLOYING: Mapping[Stage, DeploymentKind] = {
    Stage.PILOTING: DeploymentKind.PILOT,
    Stage.SAFE_LAUNCHING: DeploymentKind.SAFE_LAUNCH,
}

# Safe-launch instructions may come ahead of safe launch, from notification on (BR3.1, BR3.8).
SAFE_LAUNCH_INSTRUCTABLE = frozenset(
    {Stage.NOTIFIED, Stage.PILOTING, Stage.PILOT_SUCCEEDED, Stage.SAFE_LAUNCHING}
)


def accepts_instruction(campaign: Campaign, kind: DeploymentKind) -> bool:
    """Instructions may come ahead of their stage (BR3.1, BR3.8). A safe-launch instruction
    accepted while Notified with no pilot should be followed by `start_safe_launch`, since BR3.5
    distributes at once. Held or finished campaigns accept none."""
    if kind is DeploymentKind.PILOT:
        return campaign.stage is Stage.PILOTING or (
            campaign.stage is Stage.NOTIFIED and campaign.pilot_planned
        )
    return campaign.stage in SAFE_LAUNCH_INSTRUCTABLE


def automatic_time(campaign: Campaign, kind: DeploymentKind) -> datetime | None:
    """A pilot hub with no instruction activates within the pilot as the CSP schedules it, by the
    pilot's end at the latest: that end is the pilot's automatic time. A safe-launch hub with none
    activates at the automatic deployment date (BR3.6)."""
    if kind is DeploymentKind.PILOT:
        return campaign.pilot_end if campaign.pilot_planned else None
    return campaign.automatic_deployment_date
