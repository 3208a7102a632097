"""Pilot group composition (AD05, AD09, AD10, RA03, C3, BR2.2, BR4), as pure rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.pilot import (
    PILOT_BANDS,
    BandRanges,
    PilotCandidate,
    SelectionRules,
    _rank,
    choose_by_bands,
    choose_by_rules,
    compose,
    first_band,
    in_pool,
    pilot_band,
    shortfall,
    wanted,
)


def select_by_rules(hubs: list[PilotCandidate], rules: SelectionRules) -> list[str]:
    return sorted(c.guid for c in choose_by_rules(hubs, rules))


A, B = 1, 2


def cand(i: int, imp: int | None = A, gas: int | None = None, **flags: bool) -> PilotCandidate:
    region = ("North", "Central", "South")[i % 3]
    return PilotCandidate(guid_from_int(i), imp, gas, region, "KC-200" if i % 2 else "KC-300",
                          **flags)  # fmt: skip


def test_default_list_stands_until_a_supplier_sends_its_own() -> None:
    # covers: A02, A04
    hubs = [cand(i) for i in range(10)]
    default = frozenset(h.guid for h in hubs[:4])
    assert compose(hubs, default_list=default, preferred={}).members == tuple(sorted(default))
    mine = frozenset(h.guid for h in hubs[6:8])
    assert compose(hubs, default_list=default, preferred={A: mine}).members == tuple(sorted(mine))


def test_split_hub_needs_both_suppliers() -> None:
    # covers: BR4.1, BR3.3
    split = cand(1, imp=A, gas=B)
    only_a = compose([split], default_list=None, preferred={A: frozenset({split.guid})})
    assert only_a.members == () and only_a.awaiting_other_supplier == (split.guid,)
    both = compose(
        [split],
        default_list=None,
        preferred={A: frozenset({split.guid}), B: frozenset({split.guid})},
    )
    assert both.members == (split.guid,)
    # the CSP default speaks for a supplier that sent nothing; B's own list overrides it
    assert compose([split], default_list=frozenset({split.guid}), preferred={}).members == (
        split.guid,
    )
    vetoed = compose([split], default_list=frozenset({split.guid}), preferred={B: frozenset()})
    assert vetoed.members == ()


def test_production_proving_always_in_and_excluded_never() -> None:
    # covers: AD10, RA03
    pp = cand(1, production_proving=True)
    ex = cand(2, pilot_excluded=True)
    got = compose([pp, ex], default_list=frozenset({ex.guid}), preferred={A: frozenset({ex.guid})})
    assert got.members == (pp.guid,) and got.excluded == (ex.guid,)


@settings(max_examples=60)
@given(
    n=st.integers(0, 120),
    cap=st.integers(1, 50),
    seed=st.integers(0, 10),
    friendly=st.sets(st.integers(0, 119), max_size=30),
    proving=st.sets(st.integers(0, 119), max_size=5),
)
def test_cap_keeps_proving_then_friendly_and_is_repeatable(
    n: int, cap: int, seed: int, friendly: set[int], proving: set[int]
) -> None:
    # covers: C3, AD05, AD10
    hubs = [cand(i, friendly_customer=i in friendly, production_proving=i in proving)
            for i in range(n)]  # fmt: skip
    everyone = frozenset(h.guid for h in hubs)
    got = compose(hubs, default_list=everyone, preferred={}, max_size=cap, seed=seed)
    assert len(got.members) == min(cap, n)
    assert got == compose(hubs, default_list=everyone, preferred={}, max_size=cap, seed=seed)
    members = set(got.members)
    dropped = [h for h in hubs if h.guid in set(got.dropped_for_size)]
    kept = [h for h in hubs if h.guid in members]
    if dropped:  # nothing dropped outranks anything kept
        assert not any(d.production_proving for d in dropped) or all(
            k.production_proving for k in kept
        )
        if any(d.friendly_customer and not d.production_proving for d in dropped):
            assert all(k.friendly_customer or k.production_proving for k in kept)


@given(seed=st.integers(0, 1000), pct=st.floats(1, 100))
def test_selection_rules_sample_repeatably_within_filters(seed: int, pct: float) -> None:
    # covers: BR2.2
    hubs = [cand(i, friendly_customer=i % 17 == 0, pilot_excluded=i == 5) for i in range(200)]
    rules = SelectionRules(percentage=pct, regions=frozenset({"North", "South"}),
                           exclude=frozenset({guid_from_int(3)}), seed=seed)  # fmt: skip
    got = select_by_rules(hubs, rules)
    assert got == select_by_rules(hubs, rules)
    pool = [h for h in hubs if h.csp_region in rules.regions and not h.pilot_excluded
            and h.guid not in rules.exclude]  # fmt: skip
    assert len(got) == min(len(pool), -(-len(pool) * pct // 100))
    assert all(g in {h.guid for h in pool} for g in got)
    friendly_pool = [h.guid for h in pool if h.friendly_customer]
    if len(got) >= len(friendly_pool):
        assert set(friendly_pool) <= set(got)


def test_count_rule_and_shortfall() -> None:
    # covers: BR2.2, AD09
    hubs = [cand(i, imp=A if i < 30 else B) for i in range(40)]
    picked = select_by_rules([h for h in hubs if h.import_supplier_id == A],
                             SelectionRules(hub_count=4, seed=7))  # fmt: skip
    assert len(picked) == 4
    assert shortfall(picked, hubs, minimum=5) == {A: 1, B: 5}
    assert shortfall(picked, hubs, minimum=4) == {B: 4}


@given(
    seed=st.integers(0, 1000),
    count=st.one_of(st.none(), st.integers(0, 250)),
    pct=st.floats(0.5, 100),
)
def test_a_streamed_sample_is_the_sorted_pools_head(
    seed: int, count: int | None, pct: float
) -> None:
    # covers: BR2.2
    # The candidates stream through a bounded heap (a 5,000,000-hub supplier's sample holds
    # only the sample): the result must be what sorting the whole pool gives.
    hubs = [cand(i, friendly_customer=i % 11 == 0, pilot_excluded=i % 23 == 0) for i in range(220)]
    rules = SelectionRules(hub_count=count, percentage=None if count is not None else pct,
                           regions=frozenset({"North", "Central"}), seed=seed)  # fmt: skip
    pool = [h for h in hubs if in_pool(h, rules)]
    start = first_band(seed)
    reference = sorted(pool, key=lambda h: (not h.friendly_customer,
                                            (pilot_band(h.guid) - start) % PILOT_BANDS,
                                            _rank(seed, h.guid)))  # fmt: skip
    want = wanted(rules, len(pool))
    streamed = choose_by_rules(iter(hubs), rules, pool_size=len(pool))
    assert streamed == reference[:want]
    assert select_by_rules(hubs, rules) == sorted(h.guid for h in reference[:want])


@settings(max_examples=80)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 3_000),
    want=st.integers(0, 400),
    friendly_every=st.integers(1, 60),
    regions=st.sets(st.sampled_from(["North", "Central", "South"]), max_size=2),
)
def test_a_sample_read_band_by_band_is_the_defined_sample(
    seed: int, n: int, want: int, friendly_every: int, regions: set[str]
) -> None:
    # covers: BR2.2, AD05, AD09
    # issue #12.4: the sample reads its supplier's hubs a band at a time from the seed's first
    # band, only as far as it needs; what it picks must be exactly the defined sample.
    hubs = [cand(i, friendly_customer=i % friendly_every == 0, pilot_excluded=i % 97 == 0)
            for i in range(n)]  # fmt: skip
    rules = SelectionRules(hub_count=want, regions=frozenset(regions), seed=seed)
    reads: list[BandRanges] = []

    def read(friendly: bool, bands: BandRanges) -> list[PilotCandidate]:
        reads.append(bands)
        return [h for h in hubs if h.friendly_customer == friendly
                and any(lo <= pilot_band(h.guid) <= hi for lo, hi in bands)]  # fmt: skip

    assert choose_by_bands(read, rules, want) == choose_by_rules(hubs, rules)
    # each kind's arcs are consecutive from the seed's first band and never overlap
    read_bands = [b for arc in reads for lo, hi in arc for b in range(lo, hi + 1)]
    assert not read_bands or read_bands[0] == first_band(seed)


def test_a_small_sample_of_a_large_pool_reads_about_its_own_size() -> None:
    # covers: BR2.2
    # issue #12.4: 300 of 200,000 non-friendly hubs (about 12 a band) read consecutive bands
    # from the seed's first only until 300 are found: at most twice the sample, not the pool.
    hubs = [cand(i) for i in range(200_000)]
    by_band: dict[int, list[PilotCandidate]] = {}
    for h in hubs:
        by_band.setdefault(pilot_band(h.guid), []).append(h)
    read_bands: list[int] = []

    def read(friendly: bool, bands: BandRanges) -> list[PilotCandidate]:
        if friendly:
            return []
        wanted_bands = [b for lo, hi in bands for b in range(lo, hi + 1)]
        read_bands.extend(wanted_bands)
        return [h for b in wanted_bands for h in by_band.get(b, [])]

    got = choose_by_bands(read, SelectionRules(hub_count=300, seed=5), 300)
    rows_read = sum(len(by_band.get(b, [])) for b in read_bands)
    assert got == choose_by_rules(hubs, SelectionRules(hub_count=300, seed=5))
    assert 300 <= rows_read <= 2 * 300 + 50
    start = first_band(5)
    assert read_bands == [(start + k) % PILOT_BANDS for k in range(len(read_bands))]


def test_bands_are_spread_and_fixed() -> None:
    # covers: BR2.2
    counts = [0] * PILOT_BANDS
    for i in range(400_000):
        counts[pilot_band(guid_from_int(i))] += 1
    assert min(counts) > 3 and max(counts) < 60  # about 24 each
    assert pilot_band("00-DB-12-34-56-78-9A-BC") == 1401  # MD5, as PostgreSQL computes it
    assert len({first_band(s) for s in range(100)}) > 95
