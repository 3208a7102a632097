"""A hub's campaign status: the one transition table, and the activation rules that follow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain.activation import HubResult, HubState, ResultOutcome, apply_results
from chfw_api.domain.hub_status import (
    BY_VALUE,
    HUB_STATUSES,
    INITIAL,
    TERMINAL,
    TRANSITIONS,
    HubStatus,
    may_move,
)
from chfw_api.persistence.tables import CampaignHubRow

T0 = datetime(2027, 3, 1, tzinfo=UTC)
STATUS_OF = {
    ResultOutcome.DISTRIBUTED: HubStatus.DISTRIBUTED,
    ResultOutcome.ACTIVATED: HubStatus.ACTIVATED,
    ResultOutcome.FAILED: HubStatus.FAILED,
}


def _result(outcome: ResultOutcome, minutes: int) -> HubResult:
    return HubResult(
        guid="00-DB-12-34-56-78-90-A0",
        outcome=outcome,
        at=T0 + timedelta(minutes=minutes),
        firmware_version="0102" if outcome is ResultOutcome.ACTIVATED else None,
        reason="no response" if outcome is ResultOutcome.FAILED else None,
    )


results = st.lists(
    st.builds(_result, st.sampled_from(list(ResultOutcome)), st.integers(0, 20)), max_size=8
)


def test_the_stored_values_are_unchanged_so_no_migration_is_needed() -> None:
    assert [s.value for s in HUB_STATUSES] == [
        "eligible",
        "instructed",
        "distributed",
        "activated",
        "failed",
    ]
    assert {BY_VALUE[s.value] for s in HubStatus} == set(HubStatus)
    assert CampaignHubRow.__table__.c.status.default.arg == INITIAL


def test_the_table_names_every_status_and_only_activated_is_terminal() -> None:
    assert set(TRANSITIONS) == set(HubStatus)
    assert all(nexts <= set(HubStatus) for nexts in TRANSITIONS.values())
    assert {HubStatus.ACTIVATED} == TERMINAL
    for status in TERMINAL:
        assert not any(may_move(status, to) for to in HubStatus)


def test_every_status_is_reachable_from_eligible_and_nothing_returns_to_it() -> None:
    reached, frontier = {INITIAL}, [INITIAL]
    while frontier:
        for to in TRANSITIONS[frontier.pop()]:
            if to not in reached:
                reached.add(to)
                frontier.append(to)
    assert reached == set(HubStatus)
    assert not any(INITIAL in nexts for nexts in TRANSITIONS.values())
    assert HubStatus.INSTRUCTED in TRANSITIONS[INITIAL]  # only an instruction makes it


@given(start=st.sampled_from(HUB_STATUSES), batch=results)
def test_every_change_a_csp_result_makes_is_a_move_the_table_allows(
    start: HubStatus, batch: list[HubResult]
) -> None:
    state, changes = apply_results(HubState(start, None), batch)
    status = start
    for change in changes:
        assert may_move(status, change.status), (status, change.status)
        status = change.status
    assert state.status is status
    if start in TERMINAL:
        assert changes == []


def test_every_move_the_table_allows_for_a_result_is_one_a_result_makes() -> None:
    """The table is not looser than the rules: each allowed move (other than an instruction's)
    happens for a result later than the hub's last one."""
    for start, nexts in TRANSITIONS.items():
        for to in nexts - {HubStatus.INSTRUCTED}:
            outcome = next(o for o, s in STATUS_OF.items() if s is to)
            state, changes = apply_results(HubState(start, T0), [_result(outcome, 5)])
            assert [c.status for c in changes] == [to], (start, to)
            assert state.status is to
        for to in set(HubStatus) - nexts - {HubStatus.ELIGIBLE, HubStatus.INSTRUCTED}:
            outcome = next(o for o, s in STATUS_OF.items() if s is to)
            assert apply_results(HubState(start, T0), [_result(outcome, 5)])[1] == []
