"""Why a campaign refuses a command that its stage allows.

`TRANSITIONS` (in `stages`) says which commands each stage allows at all; these guards depend on
the campaign itself: its release, its pilot plan, the stage a held campaign will resume to. Kept
apart so the business reasons for a refusal, which the 409 answer quotes, read as one list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chfw_api.domain.errors import IllegalTransition
from chfw_api.domain.stages import BEFORE_SAFE_LAUNCH, HAS_END_DATE, MOVES, Command, Stage

if TYPE_CHECKING:
    from chfw_api.domain.campaign import Campaign


def refusal(campaign: Campaign, command: Command) -> str | None:
    """Why `campaign` refuses `command` beyond its stage, or None when nothing stands in the way."""
    if command is Command.SCHEDULE_PILOT and campaign.release.operational_or_security:
        return "operational and security releases are never piloted (AD03)"
    if command is Command.START_PILOT and campaign.pilot_start is None:
        return "no pilot is scheduled"
    if command is Command.START_SAFE_LAUNCH and campaign.stage is Stage.NOTIFIED:
        return "this campaign must pilot first" if campaign.pilot_planned else None
    if command is Command.SUPERSEDE and campaign.effective_stage not in BEFORE_SAFE_LAUNCH:
        return "safe launch has begun (AD13)"
    if command is Command.DELAY_END and campaign.effective_stage not in HAS_END_DATE:
        return f"a campaign resuming to {campaign.effective_stage} has no end date to delay"
    return None


def refuse_unless_allowed(campaign: Campaign, command: Command) -> None:
    """Raise `IllegalTransition` naming the commands that *are* allowed (X5), with the guard's
    reason when a guard rather than the table refused."""
    why = refusal(campaign, command)
    if command not in MOVES[campaign.stage] or why is not None:
        error = IllegalTransition(
            current=campaign.stage.value,
            attempted=command.value,
            allowed=[c.value for c in campaign.allowed_commands()],
        )
        if why is not None:
            error.detail = f"{error.detail} ({why})"
            error.args = (error.detail,)
            error.extra["why"] = why
        raise error
