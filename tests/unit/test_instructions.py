"""Split-supplier consensus and instruction timing (BR3, BR4), as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from chfw_api.domain.hub_suppliers import HubSuppliers
from chfw_api.domain.instructions import (
    BATCH_TOO_SMALL,
    IN_THE_PAST,
    NOT_EARLIER,
    TOO_LATE,
    batch_problems,
    plan,
    timing_problems,
)

AUTO = datetime(2026, 7, 5, 9, 0, tzinfo=UTC)
A, B, C = 1, 2, 3
times = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 7, 4), timezones=st.just(UTC)
)


def test_one_supplier_alone_suffices() -> None:
    # covers: BR3.2, BR3.5
    t = AUTO - timedelta(days=40)
    for hub in (HubSuppliers(A, A), HubSuppliers(A, None), HubSuppliers(None, A)):
        p = plan(hub, guid="G", votes={A: t}, automatic_at=AUTO, asking=A)
        assert p.planned_at == t and not p.second_supplier_exists


def test_without_an_instruction_dcc_time_stands() -> None:
    # covers: BR3.6
    assert (
        plan(HubSuppliers(A, A), guid="G", votes={}, automatic_at=AUTO, asking=A).planned_at == AUTO
    )


@given(t1=times, t2=times)
def test_split_hub_needs_both_and_the_later_date_wins(t1: datetime, t2: datetime) -> None:
    # covers: BR3.3, BR4.1, BR4.2
    hub = HubSuppliers(A, B)
    only_a = plan(hub, guid="G", votes={A: t1}, automatic_at=AUTO, asking=A)
    assert only_a.planned_at == AUTO
    assert only_a.second_supplier_exists and not only_a.second_supplier_instructed
    assert only_a.waiting_for_second_supplier
    both = plan(hub, guid="G", votes={A: t1, B: t2}, automatic_at=AUTO, asking=B)
    assert both.planned_at == max(t1, t2)
    assert both.second_supplier_instructed and not both.waiting_for_second_supplier


@given(t1=times, t2=times)
def test_a_former_suppliers_instruction_no_longer_counts(t1: datetime, t2: datetime) -> None:
    # covers: RA04
    hub = HubSuppliers(A, C)  # B was the Gas Supplier and has been replaced by C
    p = plan(hub, guid="G", votes={A: t1, B: t2}, automatic_at=AUTO, asking=A)
    assert p.planned_at == AUTO and not p.second_supplier_instructed


# Times on both sides of DCC's automatic time, with the boundary itself and just past it drawn
# often: the cap below only does anything for a vote at or after AUTO.
either_side = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from([AUTO, AUTO + timedelta(microseconds=1), AUTO + timedelta(days=31)]),
)


@given(t1=either_side, t2=either_side)
@example(t1=AUTO - timedelta(days=40), t2=AUTO + timedelta(days=1))
@example(t1=AUTO + timedelta(days=3), t2=AUTO + timedelta(days=1))
def test_plan_never_later_than_dcc_time_and_symmetric(t1: datetime, t2: datetime) -> None:
    # covers: BR4.2
    hub = HubSuppliers(A, B)
    pa = plan(hub, guid="G", votes={A: t1, B: t2}, automatic_at=AUTO, asking=A)
    pb = plan(hub, guid="G", votes={A: t1, B: t2}, automatic_at=AUTO, asking=B)
    assert pa.planned_at == pb.planned_at == min(max(t1, t2), AUTO)
    assert pa.planned_at <= AUTO
    alone = plan(HubSuppliers(A, A), guid="G", votes={A: t1}, automatic_at=AUTO, asking=A)
    assert alone.planned_at == min(t1, AUTO) <= AUTO


def test_timing_rules_name_each_problem() -> None:
    # covers: BR3.4, BR3.1
    now = datetime(2026, 6, 10, tzinfo=UTC)  # less than a month before AUTO
    codes = {p.code for p in timing_problems(now=now, requested=AUTO, automatic_at=AUTO)}
    assert codes == {TOO_LATE, NOT_EARLIER}
    early = datetime(2026, 2, 1, tzinfo=UTC)
    ok = timing_problems(now=early, requested=early + timedelta(days=30), automatic_at=AUTO)
    assert ok == []
    past = timing_problems(now=early, requested=early - timedelta(days=1), automatic_at=AUTO)
    assert [p.code for p in past] == [IN_THE_PAST]
    # exactly one calendar month before is still in time
    edge = datetime(2026, 6, 5, 9, 0, tzinfo=UTC)
    assert timing_problems(now=edge, requested=edge + timedelta(days=1), automatic_at=AUTO) == []


def test_safe_launch_batches_hold_fifty_thousand_unless_it_is_everything_left() -> None:
    # covers: BR3.7, BR3.8, BR6.1
    assert batch_problems(explicit=True, kind_is_safe_launch=True, count=50_000,
                          remaining_for_supplier=900_000) == []  # fmt: skip
    small = batch_problems(
        explicit=True, kind_is_safe_launch=True, count=49_999, remaining_for_supplier=900_000
    )
    assert [p.code for p in small] == [BATCH_TOO_SMALL]
    assert batch_problems(explicit=True, kind_is_safe_launch=True, count=120,
                          remaining_for_supplier=120) == []  # fmt: skip
    assert batch_problems(explicit=True, kind_is_safe_launch=False, count=5,
                          remaining_for_supplier=9_000) == []  # fmt: skip


party = st.one_of(st.none(), st.integers(min_value=0, max_value=4))


@given(i=party, g=party, asking=st.integers(min_value=1, max_value=4))
def test_split_and_other_supplier_agree_with_the_supplier_set(
    i: int | None, g: int | None, asking: int
) -> None:
    # covers: BR3.3
    # The direct comparisons (a chunk asks them of tens of thousands of hubs) against their
    # definition over the set of the hub's suppliers (0 and None: no supplier).
    hub = HubSuppliers(i, g)
    suppliers = hub.suppliers
    assert hub.is_split == (len(suppliers) == 2)
    others = suppliers - {asking}
    if asking in suppliers or not others:
        assert hub.other_than(asking) == (next(iter(others)) if others else None)
    else:
        assert hub.other_than(asking) in others
