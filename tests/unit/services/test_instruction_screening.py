"""SR 11.7 screens its named GUIDs without a record per accepted hub (issue #12.5): the screened
answer must be the one the per-hub sort gives, GUID for GUID and in the same order, whatever is
named (repeats, unknown GUIDs, other suppliers' hubs, split hubs, hubs in no campaign)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chfw_api.domain.clock import FakeClock
from chfw_api.domain.gateway_files import DescribedHubs, InstructedHub
from chfw_api.domain.stages import DeploymentKind
from chfw_api.services import instruction_steps as steps
from chfw_api.services.instructions import stage_checks
from chfw_api.services.sr_common import by_csp, sort_guids
from tests.unit.services.estate import (
    ALPHA,
    ALPHA_HUBS,
    BETA,
    BETA_HUBS,
    GAMMA_HUB,
    SPLIT_HUBS,
    T0,
    UNKNOWN,
    a_campaign,
    world,
)
from tests.unit.services.fakes import FakeUnitOfWork

NAMEABLE = [*ALPHA_HUBS, *SPLIT_HUBS, *BETA_HUBS, GAMMA_HUB, UNKNOWN]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    named=st.lists(st.sampled_from(NAMEABLE), max_size=60),
    supplier=st.sampled_from([ALPHA, BETA]),
    kind=st.sampled_from(list(DeploymentKind)),
)
def test_screening_answers_as_the_per_hub_sort(named, supplier, kind) -> None:  # type: ignore[no-untyped-def]
    uow = FakeUnitOfWork(world())
    campaign_id = a_campaign(uow, FakeClock(T0), with_pilot=True)
    row = uow.campaigns.internal_id(campaign_id)
    args = dict(campaign_row_id=row, guids=named, supplier_id=supplier.id,
                checks=stage_checks(kind))  # fmt: skip
    per_hub = sort_guids(uow, **args)  # type: ignore[arg-type]
    screened = steps.screen(uow, **args)  # type: ignore[arg-type]

    assert screened.rejected == per_hub.rejected
    assert screened.accepted.count == len(per_hub.accepted)
    assert screened.accepted.split == [f for f in per_hub.accepted if steps.is_split(f)]
    expected = by_csp(uow, ((f.csp_region or "", f) for f in per_hub.accepted))
    got = {c: h for c, h in screened.accepted.by_csp.items() if c is not None}
    assert {c: h.guids for c, h in got.items()} == {
        c: [f.guid for f in facts] for c, facts in expected.items()
    }
    # Each hub's file carries its own model and region, read with the checks.
    assert {c: list(zip(h.models, h.regions, strict=True)) for c, h in got.items()} == {
        c: [(f.model, f.csp_region) for f in facts] for c, facts in expected.items()
    }


def test_planned_hubs_read_as_the_pairs_they_stand_for() -> None:
    sole, split_at = T0, T0 + timedelta(days=3)
    guids = ALPHA_HUBS[:3] + SPLIT_HUBS[:1]
    csp_hubs = steps.CspHubs()
    for i, g in enumerate(guids):
        csp_hubs.add(g, f"MODEL-{i}", "A" if i % 2 else "B")
    hubs = steps.PlannedHubs(csp_hubs, {SPLIT_HUBS[0]: split_at}, sole)
    pairs = [(g, sole) for g in ALPHA_HUBS[:3]] + [(SPLIT_HUBS[0], split_at)]
    assert len(hubs) == 4
    assert list(hubs) == pairs
    assert hubs[1:] == pairs[1:]
    assert hubs[-1] == pairs[-1]
    assert hubs == pairs
    assert isinstance(hubs, DescribedHubs)
    assert hubs.described(1, 3) == [
        InstructedHub(ALPHA_HUBS[1], sole, "MODEL-1", "A"),
        InstructedHub(ALPHA_HUBS[2], sole, "MODEL-2", "B"),
    ]
    assert hubs.described(3, 50_000) == [InstructedHub(SPLIT_HUBS[0], split_at, "MODEL-3", "A")]


def test_hubs_left_out_of_a_csp_keep_the_others_described() -> None:
    csp_hubs = steps.CspHubs()
    for i, g in enumerate(ALPHA_HUBS[:4]):
        csp_hubs.add(g, f"M{i}", f"R{i}")
    kept = csp_hubs.without({ALPHA_HUBS[1], ALPHA_HUBS[3]})
    assert (kept.guids, kept.models, kept.regions) == (
        [ALPHA_HUBS[0], ALPHA_HUBS[2]],
        ["M0", "M2"],
        ["R0", "R2"],
    )
    assert csp_hubs.without(set()) is csp_hubs
