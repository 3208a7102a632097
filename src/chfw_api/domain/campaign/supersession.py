"""Supersession (AD13, A12): approving a newer release of a product ends its older campaigns.

Rule chosen where the paper is silent: supersession applies to campaigns that have not begun
safe launch, a merely notified one included: deploying the older release to the estate would be
wasted bandwidth. (The aggregate refuses `supersede` once safe launch has begun: see
`guards`.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chfw_api.domain.campaign.terms import CplEntry
from chfw_api.domain.stages import Command

if TYPE_CHECKING:
    from chfw_api.domain.campaign import Campaign


def supersedes(release: CplEntry, campaign: Campaign) -> bool:
    """AD13: another release of the same manufacturer's model, approved while the campaign has
    not begun safe launch. "Newer" is the caller's (approval order), not version order."""
    mine = campaign.release
    return (
        release.manufacturer == mine.manufacturer
        and (release.model == mine.model or release.model in campaign.targeting.device_models)
        and release.version != mine.version
        and Command.SUPERSEDE in campaign.allowed_commands()
    )


def campaigns_superseded_by(release: CplEntry, campaigns: Iterable[Campaign]) -> list[Campaign]:
    """The campaigns that approving `release` supersedes (AD13, A12); the caller then calls
    `supersede` on each, in the same transaction as the new release's notification."""
    return [campaign for campaign in campaigns if campaign.is_superseded_by(release)]
