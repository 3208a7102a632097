"""Guardrail rules, pure: slices, thresholds, minimum samples, baselines after a lift."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain.guardrails import (
    OVERALL_VALUE,
    Dimension,
    Figures,
    FinishedGroup,
    GuardrailRule,
    SliceKey,
    effective_rules,
    evaluate,
    figures_by_slice,
    in_slice,
)
from chfw_api.domain.stages import DeploymentKind

PILOT, SAFE = DeploymentKind.PILOT, DeploymentKind.SAFE_LAUNCH


def rule(dim: Dimension, rate: float, n: int, stage: DeploymentKind = SAFE) -> GuardrailRule:
    return GuardrailRule(stage, dim, rate, n)


def test_each_group_counts_in_every_slice_it_belongs_to_and_a_split_hub_for_both_suppliers() -> (
    None
):
    groups = [
        FinishedGroup(False, "KC-200", "North", 1, 2, activated=6, failed=4),  # split
        FinishedGroup(False, "KC-200", "Central", 1, 1, activated=9, failed=1),  # IS = GS
        FinishedGroup(True, "KC-300", "Central", 2, None, activated=1, failed=1),
    ]
    f = figures_by_slice(groups)
    assert f[SliceKey(SAFE, Dimension.OVERALL, OVERALL_VALUE)] == Figures(20, 5)
    assert f[SliceKey(SAFE, Dimension.SUPPLIER, "1")] == Figures(20, 5)
    assert f[SliceKey(SAFE, Dimension.SUPPLIER, "2")] == Figures(10, 4)
    assert f[SliceKey(SAFE, Dimension.REGION, "Central")] == Figures(10, 1)
    assert f[SliceKey(PILOT, Dimension.MODEL, "KC-300")] == Figures(2, 1)
    assert SliceKey(SAFE, Dimension.MODEL, "KC-300") not in f


def test_a_slice_trips_over_its_threshold_and_another_below_its_minimum_sample_does_not() -> None:
    # covers: BR6.3
    figures = {
        SliceKey(SAFE, Dimension.REGION, "Central"): Figures(50, 10),  # 20% of 50
        SliceKey(SAFE, Dimension.REGION, "South"): Figures(19, 15),  # 79% but only 19
        SliceKey(SAFE, Dimension.REGION, "North"): Figures(100, 5),  # 5%: fine
    }
    trips = evaluate(figures, [rule(Dimension.REGION, 0.1, 20)])
    assert [t.key.value for t in trips] == ["Central"]
    assert "10 of 50 hubs failed (20.0%)" in trips[0].reason()
    assert "minimum sample 20" in trips[0].reason()


def test_exactly_at_the_threshold_does_not_trip_and_no_rule_means_no_trip() -> None:
    figures = {SliceKey(SAFE, Dimension.MODEL, "KC-200"): Figures(20, 2)}
    assert evaluate(figures, [rule(Dimension.MODEL, 0.1, 20)]) == []
    assert evaluate(figures, [rule(Dimension.REGION, 0.0, 1)]) == []
    assert evaluate(figures, [rule(Dimension.MODEL, 0.1, 20, stage=PILOT)]) == []


def test_a_paused_slice_is_not_tripped_again_and_after_a_lift_only_new_results_count() -> None:
    key = SliceKey(SAFE, Dimension.SUPPLIER, "7")
    rules = [rule(Dimension.SUPPLIER, 0.1, 10)]
    assert evaluate({key: Figures(30, 10)}, rules, paused=[key]) == []
    base = {key: Figures(30, 10)}
    assert evaluate({key: Figures(35, 11)}, rules, baselines=base) == []  # 5 new, below sample
    [trip] = evaluate({key: Figures(42, 14)}, rules, baselines=base)  # 12 new, 4 failed
    assert trip.figures == Figures(12, 4)


def test_a_label_replaces_the_supplier_in_the_reason() -> None:
    key = SliceKey(SAFE, Dimension.SUPPLIER, "7")
    [trip] = evaluate({key: Figures(10, 9)}, [rule(Dimension.SUPPLIER, 0.1, 10)])
    assert "slice of your hubs" in trip.reason(label="of your hubs")
    assert " 7 " not in trip.reason(label="of your hubs")


def test_campaign_rules_override_defaults_pair_by_pair() -> None:
    defaults = [rule(Dimension.OVERALL, 0.05, 200), rule(Dimension.REGION, 0.08, 200)]
    merged = effective_rules(defaults, [rule(Dimension.REGION, 0.5, 4)])
    assert {(r.dimension, r.max_failure_rate) for r in merged} == {
        (Dimension.OVERALL, 0.05),
        (Dimension.REGION, 0.5),
    }


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        rule(Dimension.OVERALL, 1.5, 10)
    with pytest.raises(ValueError):
        rule(Dimension.OVERALL, 0.1, 0)


def test_in_slice_matches_the_dimension_and_the_stage() -> None:
    hub = {
        "in_pilot": False,
        "model": "KC-200",
        "region": "North",
        "import_supplier_id": 1,
        "gas_supplier_id": 2,
    }
    assert in_slice(SliceKey(SAFE, Dimension.SUPPLIER, "2"), **hub)  # type: ignore[arg-type]
    assert in_slice(SliceKey(SAFE, Dimension.OVERALL, "*"), **hub)  # type: ignore[arg-type]
    assert not in_slice(SliceKey(PILOT, Dimension.OVERALL, "*"), **hub)  # type: ignore[arg-type]
    assert not in_slice(SliceKey(SAFE, Dimension.REGION, "South"), **hub)  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 50), st.integers(0, 50), st.sampled_from("ABC")),
        max_size=20,
    ),
    st.floats(0, 1),
    st.integers(1, 60),
)
def test_no_trip_ever_comes_below_its_minimum_sample_or_at_or_under_its_rate(
    rows: list[tuple[bool, int, int, str]], rate: float, n: int
) -> None:
    groups = [FinishedGroup(p, m, "North", 1, None, a, f) for p, a, f, m in rows]
    rules = [GuardrailRule(s, d, rate, n) for s in DeploymentKind for d in Dimension]
    for trip in evaluate(figures_by_slice(groups), rules):
        assert trip.figures.total >= n
        assert trip.figures.failed / trip.figures.total > rate
