"""A hub's status within a campaign and the one table of moves between them.

Every hub enters a campaign `eligible` (the snapshot at notification). A supplier's instruction,
or DCC's at the automatic date (BR3.6), makes it `instructed`. The CSP's results then move it:
`distributed`, then `activated` or `failed` (AH, BR2.4, BR5.6). A CSP may report any of them for
a hub nobody instructed (it activates uninstructed hubs as it schedules them), a failed hub may
be retried (so it may move again, even to a later failure), and an activated hub is done.

The values are the strings stored in `campaign_hubs.status` and kept by the tally triggers
(migration 0006), so the enum and the database agree without a migration. Kept apart from the
activation rules so that persistence and the read models can use it without them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class HubStatus(enum.StrEnum):
    ELIGIBLE = "eligible"
    INSTRUCTED = "instructed"
    DISTRIBUTED = "distributed"
    ACTIVATED = "activated"
    FAILED = "failed"


_H = HubStatus
TRANSITIONS: Mapping[HubStatus, frozenset[HubStatus]] = {
    _H.ELIGIBLE: frozenset({_H.INSTRUCTED, _H.DISTRIBUTED, _H.ACTIVATED, _H.FAILED}),
    _H.INSTRUCTED: frozenset({_H.DISTRIBUTED, _H.ACTIVATED, _H.FAILED}),
    _H.DISTRIBUTED: frozenset({_H.ACTIVATED, _H.FAILED}),
    _H.FAILED: frozenset({_H.DISTRIBUTED, _H.ACTIVATED, _H.FAILED}),
    _H.ACTIVATED: frozenset(),
}
"""status -> the statuses it may move to; nothing else ever changes a hub's status."""

HUB_STATUSES = tuple(HubStatus)
"""In the order a hub goes through them (tables, charts, SR 11.8's filter)."""
INITIAL = HubStatus.ELIGIBLE
TERMINAL = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)
UNPLANNED = HubStatus.ELIGIBLE
"""Nobody has planned this hub yet: DCC's automatic time stands for it (BR3.6, BR4.1)."""
DEPLOYED = (_H.DISTRIBUTED, _H.ACTIVATED, _H.FAILED)
"""The CSP has sent the firmware to it: an incident can be about it (BR6.2)."""
UNFINISHED = (_H.ELIGIBLE, _H.INSTRUCTED, _H.DISTRIBUTED)
"""Still to have an outcome (neither activated nor failed)."""

BY_VALUE: Mapping[str, HubStatus] = {s.value: s for s in HubStatus}
"""A stored value to its status: a dict lookup, cheaper than `HubStatus(value)` per row."""


def may_move(current: HubStatus, to: HubStatus) -> bool:
    return to in TRANSITIONS[current]
