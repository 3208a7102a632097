"""Pure rules of the gateway: CSP upload validation and how activation results move hubs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain.activation import (
    HubResult,
    HubState,
    ResultOutcome,
    apply_results,
    normalised,
    result_problem,
)
from chfw_api.domain.csp_uploads import (
    CspUpload,
    NamedHub,
    Period,
    RawPeriod,
    RawUpload,
    UploadKind,
    Window,
    for_supplier,
    validate_upload,
)

NOW = datetime(2026, 2, 1, tzinfo=UTC)
G = [f"00-00-00-00-00-00-00-{i:02X}" for i in range(10)]
FACTS = {
    G[0]: NamedHub("North", True, False, False),
    G[1]: NamedHub("North", True, True, False),
    G[2]: NamedHub("North", True, False, True),
    G[3]: NamedHub("South", True, False, False),
    G[4]: NamedHub("North", False, False, False),
}
NORTH = frozenset({"North"})


def _list(*guids: str) -> RawUpload:
    return RawUpload(guids=tuple((f"#{i}", g) for i, g in enumerate(guids)))


def test_a_list_names_every_bad_guid_with_its_reason() -> None:
    # covers: A02, X2, X5, RA03
    raw = _list(G[0], "nonsense", G[0].lower(), G[9], G[3], G[4], G[2])
    upload, problems = validate_upload(
        UploadKind.DEFAULT_PILOT_LIST,
        raw,
        facts=FACTS,
        regions=NORTH,
        window=Window(None, None),
        now=NOW,
    )
    assert upload is None
    assert [(p.location, p.code) for p in problems] == [
        ("#1", None),
        ("#2", "duplicate"),
        ("#3", "unknown-hub"),
        ("#4", "not-your-network"),
        ("#5", "not-eligible"),
        ("#6", "excluded"),
    ]
    ok, none = validate_upload(
        UploadKind.DEFAULT_PILOT_LIST, _list(G[0].lower(), G[1]), facts=FACTS, regions=NORTH,
        window=Window(None, None), now=NOW,
    )  # fmt: skip
    assert none == [] and ok is not None and ok.guids == (G[0], G[1])


def test_schedule_periods_must_be_spans_inside_the_window_and_safe_launch_skips_pilot_hubs() -> (
    None
):
    # covers: A03, A08, C4, C5
    day = timedelta(days=1)
    raw = RawUpload(
        periods=(
            RawPeriod(NOW + 2 * day, NOW + day, None, (("a", G[0]),), "p1"),
            RawPeriod(NOW - 3 * day, NOW - day, None, (("b", G[1]),), "p2"),
            RawPeriod(NOW + day, NOW + 40 * day, "x" * 101, (), "p3"),
        )
    )
    _, problems = validate_upload(
        UploadKind.SAFE_LAUNCH_SCHEDULE, raw, facts=FACTS, regions=NORTH,
        window=Window(None, NOW + 30 * day), now=NOW,
    )  # fmt: skip
    found = {(p.location, p.field, p.code) for p in problems}
    assert ("p1", "end", None) in found  # start before end
    assert ("p2", "end", None) in found  # already over
    assert ("b", "guid", "in-pilot") in found  # C4
    assert ("p3", "end", None) in found  # after the automatic date
    assert ("p3", "label", None) in found
    assert ("p3", "guid", None) in found  # a period names its hubs (C5)


def test_a_supplier_sees_only_its_own_hubs_and_no_empty_periods() -> None:
    upload = CspUpload(
        UploadKind.DEFAULT_PILOT_SCHEDULE,
        periods=(Period(NOW, NOW, "a", (G[0], G[1])), Period(NOW, NOW, "b", (G[3],))),
    )
    mine = for_supplier(upload, frozenset({G[1]}))
    assert mine is not None and [p.guids for p in mine.periods] == [(G[1],)]
    assert for_supplier(upload, frozenset({G[9]})) is None


def r(outcome: str, minutes: int, **kw: str) -> HubResult:
    return HubResult(G[0], ResultOutcome(outcome), NOW + timedelta(minutes=minutes), **kw)


def test_results_move_a_hub_forward_only_and_a_later_retry_recovers_a_failure() -> None:
    # covers: BR2.4, BR5.6
    state, moves = apply_results(
        HubState("instructed", None),
        [r("activated", 20, firmware_version="1"), r("distributed", 10)],
    )
    assert [m.status for m in moves] == ["distributed", "activated"]
    assert state == HubState("activated", NOW + timedelta(minutes=20))
    assert apply_results(state, [r("failed", 30, reason="x"), r("distributed", 40)])[1] == []
    failed = HubState("failed", NOW + timedelta(minutes=30))
    assert apply_results(failed, [r("activated", 25, firmware_version="1")])[1] == []
    assert [m.status for m in apply_results(failed, [r("activated", 35)])[1]] == ["activated"]


def test_a_result_must_say_what_it_needs() -> None:
    skew = timedelta(minutes=5)
    early = NOW - timedelta(days=1)
    assert result_problem(r("activated", 0), now=NOW, earliest=early, skew=skew)
    assert result_problem(r("failed", 0), now=NOW, earliest=early, skew=skew)
    assert result_problem(r("distributed", 60), now=NOW, earliest=early, skew=skew)
    assert result_problem(r("distributed", -2000), now=NOW, earliest=early, skew=skew)
    assert (
        result_problem(
            r("activated", 0, firmware_version="0100a3"), now=NOW, earliest=early, skew=skew
        )
        is None
    )


outcomes = st.sampled_from(list(ResultOutcome))


@given(st.lists(st.tuples(outcomes, st.integers(0, 100)), max_size=8))
def test_replaying_the_same_results_changes_nothing(items: list[tuple[ResultOutcome, int]]) -> None:
    """Idempotency at the rule level: applying a batch, then the same batch again, moves no hub."""
    results = [HubResult(G[0], o, NOW + timedelta(minutes=m), "1", None, "x") for o, m in items]
    state, _ = apply_results(HubState("instructed", None), results)
    again, moves = apply_results(state, results)
    assert moves == [] and again == state


@given(
    guid=st.text("0123456789abcdefABCDEF", min_size=16, max_size=16).map(
        lambda h: "-".join(h[i : i + 2] for i in range(0, 16, 2))
    ),
    outcome=st.sampled_from(ResultOutcome),
    version=st.none() | st.text("0123456789abcdefABCDEF", min_size=1, max_size=8),
    reason=st.none() | st.text(max_size=20),
    reason_code=st.none() | st.text(max_size=5),
)
def test_normalised_is_canonical_and_idempotent(
    guid: str,
    outcome: ResultOutcome,
    version: str | None,
    reason: str | None,
    reason_code: str | None,
) -> None:
    r = normalised(HubResult(guid, outcome, NOW, version, reason_code, reason))
    assert r.guid == guid.upper()
    assert r.firmware_version == (version.upper() if version else None)
    assert r.reason == ((reason.strip() or None) if reason else None)
    assert r.reason_code is None or outcome is ResultOutcome.FAILED
    assert normalised(r) == r
