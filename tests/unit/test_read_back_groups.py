"""Planned groups and the two N80 copies (#11.6, #12.2): each planned date with its hub count,
the other supplier's copy without the first supplier's requested time, and an N80 that stays
under 1 MiB with every list at its cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain import alerts as a
from chfw_api.domain import instruction_alerts as n80
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.instructions import HubPlan
from chfw_api.domain.planned_groups import (
    ALERT_GROUP_LIMIT,
    ALERT_HUB_LIMIT,
    PlannedGroup,
    alert_detail,
    group_plans,
)
from chfw_api.domain.stages import DeploymentKind
from chfw_api.duis.alerts import format_datetime, render_alert

AT = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
AUTO = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
DCC = "90-B3-D5-1F-30-00-00-02"
RECIPIENT = "90-B3-D5-1F-30-02-00-00"
MIB = 1024 * 1024


def _envelope(message: a.InstructionStatus) -> a.AlertEnvelope:
    return a.AlertEnvelope.of(a.make_alert_id(DCC, RECIPIENT, 1), RECIPIENT, AT, message)


def _plans(n: int, *, instructed: bool = True, start: int = 0) -> list[HubPlan]:
    at = AT + timedelta(days=10) if instructed else AUTO
    return [HubPlan(guid_from_int(start + i), at, True, instructed) for i in range(n)]


def test_hubs_planned_differently_get_each_date_with_its_count() -> None:
    # covers: BR3.2, BR4.1, BR4.2
    split = _plans(2) + _plans(3, instructed=False, start=10)
    groups = group_plans(
        ((p.planned_at, p.waiting_for_second_supplier) for p in split), sole=(AT, 5)
    )
    assert groups == (
        PlannedGroup(AT, False, 5),
        PlannedGroup(AT + timedelta(days=10), False, 2),
        PlannedGroup(AUTO, True, 3),
    )


@given(
    st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=60),
    st.integers(0, 20),
)
def test_groups_count_every_hub_once_earliest_first(
    plans: list[tuple[int, bool]], sole: int
) -> None:
    groups = group_plans(((AT + timedelta(days=d), w) for d, w in plans), sole=(AT, sole))
    assert sum(g.hub_count for g in groups) == len(plans) + sole
    keys = [(g.planned_activation_at, g.awaiting_instruction) for g in groups]
    assert keys == sorted(set(keys))


def test_alert_lists_hubs_up_to_the_limit_and_none_beyond() -> None:
    # covers: BR5.1
    groups = (PlannedGroup(AT, False, 1),)
    assert alert_detail(groups, ALERT_HUB_LIMIT) == (groups, True, False)
    assert alert_detail(groups, ALERT_HUB_LIMIT + 1) == (groups, False, True)
    many = tuple(
        PlannedGroup(AT + timedelta(minutes=i), False, 1) for i in range(ALERT_GROUP_LIMIT + 5)
    )
    carried, listed, in_report = alert_detail(many, 3)
    assert carried == many[:ALERT_GROUP_LIMIT] and listed and in_report


def test_other_suppliers_copy_has_only_that_it_instructed_and_the_plan() -> None:
    # covers: BR3.3
    requested = AT + timedelta(days=3)  # the instructing supplier's own time
    shared = _plans(2) + _plans(1, instructed=False, start=10)
    mine = n80.for_instructing_supplier(
        campaign_id="CMP-000001", instruction_id="INS-000001", stage=DeploymentKind.SAFE_LAUNCH,
        requested_at=requested, accepted=9, rejected=1,
        groups=group_plans(((p.planned_at, p.waiting_for_second_supplier) for p in shared),
                           sole=(requested, 6)),
        split=shared,
    )  # fmt: skip
    theirs = n80.for_other_supplier(
        campaign_id="CMP-000001", instruction_id="INS-000001", stage=DeploymentKind.SAFE_LAUNCH,
        shared=shared,
    )  # fmt: skip
    assert mine.requested_activation_at == requested
    assert theirs.requested_activation_at is None
    assert (theirs.accepted, theirs.rejected) == (3, 0)  # its hubs, nothing of the rest
    assert theirs.planned == (
        PlannedGroup(AT + timedelta(days=10), False, 2),
        PlannedGroup(AUTO, True, 1),
    )
    assert all(h.second_supplier_instructed for h in theirs.hubs)
    xml = render_alert(_envelope(theirs))  # validated against our schema
    assert b"RequestedActivationDateTime" not in xml
    assert format_datetime(requested).encode() not in xml
    assert format_datetime(requested).encode() in render_alert(_envelope(mine))


def test_an_n80_with_every_list_at_its_cap_stays_under_one_mebibyte() -> None:
    # covers: BR5.1
    hubs = tuple(
        a.HubInstructionState(guid_from_int(i), True, False, AUTO) for i in range(ALERT_HUB_LIMIT)
    )
    groups = tuple(
        PlannedGroup(AT + timedelta(seconds=i), bool(i % 2), 10**9)
        for i in range(ALERT_GROUP_LIMIT)
    )
    message = a.InstructionStatus(
        campaign_id="C" * 64, instruction_id="I" * 64, stage=DeploymentKind.SAFE_LAUNCH,
        requested_activation_at=AT, planned_activation_at=AUTO, accepted=10**12,
        rejected=10**12, hubs=hubs, planned=groups, hubs_in_report=True,
    )  # fmt: skip
    size = len(render_alert(_envelope(message)))
    assert size < MIB - 64 * 1024, size  # room left for an enveloped signature


def test_a_large_instruction_n80_carries_groups_not_hubs() -> None:
    # covers: BR5.1, BR3.3
    split = _plans(50_000, instructed=False)
    message = n80.for_instructing_supplier(
        campaign_id="CMP-000001", instruction_id="INS-000001", stage=DeploymentKind.SAFE_LAUNCH,
        requested_at=AT, accepted=50_000, rejected=0,
        groups=group_plans((p.planned_at, p.waiting_for_second_supplier) for p in split),
        split=split,
    )  # fmt: skip
    assert message.hubs == () and message.hubs_in_report
    assert message.planned == (PlannedGroup(AUTO, True, 50_000),)
    assert len(render_alert(_envelope(message))) < 4096
