"""SR 11.5 (A04, BR2.1-2.3, BR5.2) against the in-memory unit of work: every named GUID is taken
or rejected with its reason, the pilot is composed again, and each CSP is sent its own hubs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chfw_api.domain.clock import FakeClock
from chfw_api.domain.events import PreferredPilotListAccepted
from chfw_api.domain.identifiers import Guid
from chfw_api.domain.parties import Party
from chfw_api.domain.service_request_results import (
    GuidReason,
    PilotListResult,
    Refusal,
    ServiceRequestRefused,
)
from chfw_api.domain.service_requests import (
    PilotSelectionRules,
    ServiceReference,
    SubmitPreferredPilotList,
)
from chfw_api.services.pilot_lists import PilotSettings, submit_preferred_pilot_list
from tests.unit.services.estate import (
    ALPHA,
    ALPHA_HUBS,
    BETA_HUBS,
    CSPS,
    GAMMA,
    GAMMA_HUB,
    SPLIT_HUBS,
    T0,
    UNKNOWN,
    a_campaign,
    caller,
    header,
    world,
)
from tests.unit.services.fakes import FakeUnitOfWork

EXCLUDED, PROVING = ALPHA_HUBS[0], ALPHA_HUBS[1]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def uow(clock: FakeClock) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(world())
    a_campaign(uow, clock, with_pilot=True)
    return uow


def _submit(
    uow: FakeUnitOfWork,
    clock: FakeClock,
    guids: list[str],
    party: Party = ALPHA,
    max_size: int = 300,
) -> PilotListResult:
    command = SubmitPreferredPilotList(
        header=header(party, ServiceReference.SUBMIT_PREFERRED_PILOT_LIST, 1),
        campaign_id="CMP-000001",
        guids=tuple(Guid(g) for g in guids),
    )
    return submit_preferred_pilot_list(
        uow, clock, caller=caller(party), command=command, settings=PilotSettings(max_size, 5)
    )


# covers: BR5.2
def test_each_named_guid_is_taken_or_rejected_with_its_reason(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    chosen = [ALPHA_HUBS[4], SPLIT_HUBS[0], ALPHA_HUBS[5]]
    named = [*chosen, ALPHA_HUBS[4], UNKNOWN, BETA_HUBS[0], EXCLUDED, PROVING]
    result = _submit(uow, clock, named)
    assert result.accepted == 3
    assert [(r.guid, r.code) for r in result.rejected] == [
        (ALPHA_HUBS[4], GuidReason.DUPLICATE),
        (UNKNOWN, GuidReason.UNKNOWN),
        (BETA_HUBS[0], GuidReason.NOT_RESPONSIBLE),
        (EXCLUDED, GuidReason.PILOT_EXCLUDED),
        (PROVING, GuidReason.ALREADY_IN_PILOT),
    ]
    assert uow.world.preferred["CMP-000001"] == {ALPHA.id: chosen}
    pilot = {g for g, ch in uow.world.in_campaign("CMP-000001").items() if ch.in_pilot}
    assert {ALPHA_HUBS[4], ALPHA_HUBS[5], PROVING} <= pilot  # proving hubs are always in (AD10)
    assert EXCLUDED not in pilot  # RA03


def test_each_csp_is_sent_only_the_hubs_on_its_network(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    chosen = ALPHA_HUBS[2:8]
    _submit(uow, clock, chosen)
    (sent,) = [e for e in uow.world.events if isinstance(e, PreferredPilotListAccepted)]
    assert sent.supplier_code == ALPHA.code
    region = {g: uow.world.hubs[g].region for g in chosen}
    assert {csp: sorted(gs) for csp, gs in sent.guids_by_csp.items()} == {
        csp: sorted(g for g in chosen if region[g] == r) for r, csp in CSPS.items()
    }


def test_a_list_with_nothing_to_take_leaves_the_previous_one(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    _submit(uow, clock, ALPHA_HUBS[2:4])
    before = (dict(uow.world.preferred), len(uow.world.events), len(uow.world.audit))
    result = _submit(uow, clock, [UNKNOWN, BETA_HUBS[1]])
    assert result.accepted == 0 and len(result.rejected) == 2
    assert (dict(uow.world.preferred), len(uow.world.events), len(uow.world.audit)) == before


def test_too_large_a_list_is_refused_whole(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    with pytest.raises(ServiceRequestRefused) as refused:
        _submit(uow, clock, ALPHA_HUBS[2:8], max_size=5)
    assert refused.value.refusal is Refusal.PILOT_TOO_LARGE
    assert uow.world.preferred == {}
    assert not any(ch.in_pilot for ch in uow.world.in_campaign("CMP-000001").values())


@pytest.mark.parametrize(
    "rules",
    [PilotSelectionRules(hub_count=6), PilotSelectionRules(percentage=Decimal("100"))],
)
def test_rules_choosing_more_than_the_cap_are_refused_before_any_hub_is_read(
    uow: FakeUnitOfWork, clock: FakeClock, rules: PilotSelectionRules
) -> None:
    # covers: C3, BR2.2
    reads: list[object] = []
    sample = uow.pilot.supplier_candidates_in_bands
    uow.pilot.supplier_candidates_in_bands = lambda *a, **k: reads.append(a) or sample(*a, **k)  # type: ignore[method-assign]
    command = SubmitPreferredPilotList(
        header=header(ALPHA, ServiceReference.SUBMIT_PREFERRED_PILOT_LIST, 1),
        campaign_id="CMP-000001",
        rules=rules,
    )
    with pytest.raises(ServiceRequestRefused) as refused:
        submit_preferred_pilot_list(uow, clock, caller=caller(ALPHA), command=command,
                                    settings=PilotSettings(2, 5))  # fmt: skip
    assert refused.value.refusal is Refusal.PILOT_TOO_LARGE and reads == []
    assert uow.world.preferred == {}
    # a count within the cap is sampled
    small = SubmitPreferredPilotList(
        header=header(ALPHA, ServiceReference.SUBMIT_PREFERRED_PILOT_LIST, 2),
        campaign_id="CMP-000001",
        rules=PilotSelectionRules(hub_count=2),
    )
    assert submit_preferred_pilot_list(uow, clock, caller=caller(ALPHA), command=small,
                                       settings=PilotSettings(2, 5)).accepted == 2  # fmt: skip
    assert reads


def test_a_supplier_without_hubs_in_the_campaign_learns_nothing_of_it(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    with pytest.raises(ServiceRequestRefused) as refused:
        _submit(uow, clock, [GAMMA_HUB], party=GAMMA)
    assert refused.value.refusal is Refusal.CAMPAIGN_UNKNOWN
