"""Per-hub activation results from CSPs (AH, BR2.4, BR5.6): what each one changes.

A hub's campaign status moves only as `hub_status.TRANSITIONS` allows: eligible or
instructed, then distributed, then activated or failed. A failed hub may be retried, so a later
result can move it on again; an activated hub is done, and later reports about it are kept as
history but change nothing.
Results arrive in batches, possibly several per hub, possibly out of order: they are applied in
time order per hub. The same result posted twice (hub, outcome, time) is a duplicate and
changes nothing, so CSPs can retry a batch safely.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from chfw_api.domain.hub_status import HubStatus, may_move
from chfw_api.domain.hub_suppliers import HubSuppliers

_VERSION = re.compile(r"[0-9A-Fa-f]{1,8}")
MAX_REASON = 200


class ResultOutcome(enum.StrEnum):
    DISTRIBUTED = "distributed"
    ACTIVATED = "activated"
    FAILED = "failed"


class Rejection(enum.StrEnum):
    """Why one hub's result was refused (listed per hub, BR5.2 style)."""

    UNKNOWN_HUB = "unknown-hub"  # DUIS E19: device not known
    NOT_YOUR_NETWORK = "not-your-network"  # DUIS E4: not authorised for this device
    NOT_IN_CAMPAIGN = "not-in-campaign"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class HubResult:
    guid: str
    outcome: ResultOutcome
    at: datetime
    firmware_version: str | None = None
    reason_code: str | None = None
    reason: str | None = None


class HubState(NamedTuple):
    """A hub's campaign status and when its last result came."""

    status: HubStatus
    result_at: datetime | None


class Change(NamedTuple):
    """A status change one result causes."""

    result: HubResult
    status: HubStatus

    @property
    def activated(self) -> bool:
        return self.status is HubStatus.ACTIVATED

    @property
    def failed(self) -> bool:
        return self.status is HubStatus.FAILED


def result_problem(
    result: HubResult, *, now: datetime, earliest: datetime, skew: timedelta
) -> str | None:
    """What is wrong with one result on its own, or None."""
    if result.at.tzinfo is None:
        return "the result time needs a UTC offset"
    if result.at > now + skew:
        return f"the result time {result.at.isoformat()} is in the future"
    if result.at < earliest:
        return "the result time is before the campaign was notified"
    if result.outcome is ResultOutcome.ACTIVATED and (
        result.firmware_version is None or _VERSION.fullmatch(result.firmware_version) is None
    ):
        return "an activation names the firmware version now running (1 to 8 hex characters)"
    if result.outcome is ResultOutcome.FAILED and not (result.reason or "").strip():
        return "a failure gives its reason"
    if result.reason is not None and len(result.reason) > MAX_REASON:
        return f"the reason is longer than {MAX_REASON} characters"
    return None


def _moves(state: HubState, result: HubResult) -> bool:
    if state.result_at is not None and result.at < state.result_at:
        return False  # older than what the hub already reported: history only
    if (state.status, result.outcome) not in _MOVING:
        return False  # e.g. a second distribution, or anything after activation
    if state.status == _FAILED:
        # A retry after a failure: only a result later than the failure moves the hub on.
        return state.result_at is None or result.at > state.result_at
    return True


_RANK = {ResultOutcome.DISTRIBUTED: 0, ResultOutcome.FAILED: 1, ResultOutcome.ACTIVATED: 1}
_STATUS = {
    ResultOutcome.DISTRIBUTED: HubStatus.DISTRIBUTED,
    ResultOutcome.ACTIVATED: HubStatus.ACTIVATED,
    ResultOutcome.FAILED: HubStatus.FAILED,
}
_MOVING = frozenset(
    (status, outcome) for status in HubStatus for outcome, to in _STATUS.items()
    if may_move(status, to)
)  # fmt: skip
"""`hub_status.TRANSITIONS` by result: (status, outcome) where the result moves the hub. One
set lookup per result (an upload applies 50,000), where enum attribute lookups cost more."""
_FAILED = HubStatus.FAILED


def apply_results(state: HubState, results: Sequence[HubResult]) -> tuple[HubState, list[Change]]:
    """Apply one hub's new results in time order; returns its final state and each change."""
    ordered = results if len(results) == 1 else sorted(results, key=_time_order)
    changes: list[Change] = []
    for r in ordered:
        if not _moves(state, r):
            continue
        status = _STATUS[r.outcome]
        state = HubState(status, r.at)
        changes.append(Change(r, status))
    return state, changes


def _time_order(r: HubResult) -> tuple[datetime, int]:
    return r.at, _RANK[r.outcome]


def normalised(result: HubResult) -> HubResult:
    """Canonical forms: upper-case GUID and firmware version, trimmed reason."""
    if (
        result.guid == result.guid.upper()
        and (
            result.firmware_version is None
            or result.firmware_version == result.firmware_version.upper()
        )
        and result.reason is None
        and result.reason_code is None
    ):
        return result  # the usual activation or distribution: already canonical
    return HubResult(
        guid=result.guid.upper(),
        outcome=result.outcome,
        at=result.at,
        firmware_version=result.firmware_version.upper() if result.firmware_version else None,
        reason_code=(result.reason_code or None)
        if result.outcome is ResultOutcome.FAILED
        else None,
        reason=(result.reason.strip() or None) if result.reason else None,
    )


class HubFact(NamedTuple):
    """What the rules need to know of one inventory hub named in an upload. `has_results`:
    this campaign already holds results for it, so a result may be a duplicate."""

    region: str
    in_campaign: bool
    status: HubStatus | None
    result_at: datetime | None
    in_pilot: bool
    hub_version: str | None
    suppliers: HubSuppliers
    has_results: bool


class HubChange(NamedTuple):
    """A hub's final campaign state after an upload; `new_version` set when the inventory's
    firmware version must change (BR5.6)."""

    guid: str
    status: HubStatus
    result_at: datetime
    failure_reason: str | None
    new_version: str | None


@dataclass(frozen=True, slots=True)
class MonitoredHub:
    guid: str
    model: str
    region: str
    status: HubStatus
    planned_activation_at: datetime | None
    result_at: datetime | None
    failure_reason: str | None
    split_supplier: bool
    results: tuple[tuple[str, datetime, str | None, str | None, str | None, datetime], ...]
