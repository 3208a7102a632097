"""The moves the clock makes on a campaign, with nobody asking: what `Campaign.tick` performs.

Kept apart from the aggregate so the timed rules read as one list. Rules chosen where the paper
is silent:
- A scheduled pilot starts at its start; a pilot ends at its end as a success unless DCC declared
  it failed (AD12); safe launch starts from PilotSucceeded at once, and from Notified at the
  automatic date only when no pilot is planned. A campaign that must pilot but has no pilot
  scheduled waits in Notified whatever the date: the date never skips a pilot.
- Paused and Suspended stop the clock for stage moves but do not move dates. Resuming into a
  pilot whose end has passed needs a new end, so a pause never silently ends a pilot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chfw_api.domain.stages import Command, Stage

if TYPE_CHECKING:
    from chfw_api.domain.campaign import Campaign


@dataclass(frozen=True)
class TimedMove:
    """`command` falls due at `due` (or at the last stage change, if later), for `why`."""

    command: Command
    due: datetime
    why: str


def next_timed_move(campaign: Campaign) -> TimedMove | None:
    """The move the clock makes next from the campaign's current stage, if any (none while
    held or finished)."""
    stage, start, end = campaign.stage, campaign.pilot_start, campaign.pilot_end
    if stage is Stage.NOTIFIED and campaign.pilot_planned and start is not None:
        return TimedMove(Command.START_PILOT, start, "the scheduled pilot period began (AD03)")
    if stage is Stage.NOTIFIED and not campaign.pilot_planned:
        return TimedMove(
            Command.START_SAFE_LAUNCH,
            campaign.automatic_deployment_date,
            "the automatic deployment date was reached (BR1.2, BR3.6)",
        )
    if stage is Stage.PILOTING and end is not None:
        return TimedMove(
            Command.SUCCEED_PILOT, end, "the pilot period ended with no failure declared (AD12)"
        )
    if stage is Stage.PILOT_SUCCEEDED:
        return TimedMove(
            Command.START_SAFE_LAUNCH,
            campaign.stage_changed_at,
            "safe launch follows a successful pilot (AD12)",
        )
    return None
