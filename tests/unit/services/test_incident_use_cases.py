"""Incidents against the in-memory unit of work: a supplier raises one (SR 11.10, BR6.2), DCC
triages it (BR6.3-6.5); every refusal records nothing (X5) and says the same of a campaign that
does not exist and one that is not the supplier's (X2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chfw_api.domain.clock import FakeClock
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.incidents import Incident, IncidentStatus, RolloutDecision
from chfw_api.domain.parties import Party
from chfw_api.domain.service_request_results import GuidReason, Refusal, ServiceRequestRefused
from chfw_api.domain.stages import Stage
from chfw_api.services import incidents
from tests.unit.services.estate import (
    ALPHA,
    ALPHA_HUBS,
    BETA_HUBS,
    DCC,
    GAMMA,
    T0,
    UNKNOWN,
    a_campaign,
    caller,
    world,
)
from tests.unit.services.fakes import FakeUnitOfWork


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(world())


@pytest.fixture
def cid(uow: FakeUnitOfWork, clock: FakeClock) -> str:
    """A campaign whose first hub the CSP has distributed to."""
    cid = a_campaign(uow, clock, with_pilot=False)
    uow.world.in_campaign(cid)[ALPHA_HUBS[2]].status = HubStatus.DISTRIBUTED
    clock.advance(timedelta(days=3))
    return cid


def _raise(uow: FakeUnitOfWork, clock: FakeClock, party: Party = ALPHA, **kw: Any) -> Incident:
    args = {
        "campaign_id": "CMP-000001",
        "severity": "High",
        "description": "hubs reboot after the update",
    }
    return incidents.raise_incident(uow, clock, caller=caller(party), **(args | kw))


def _refused(uow: FakeUnitOfWork, clock: FakeClock, **kw: Any) -> ServiceRequestRefused:
    before = (len(uow.world.incidents), len(uow.world.audit), len(uow.world.events))
    with pytest.raises(ServiceRequestRefused) as refused:
        _raise(uow, clock, **kw)
    assert (len(uow.world.incidents), len(uow.world.audit), len(uow.world.events)) == before
    return refused.value


# covers: BR6.2
def test_a_supplier_raises_an_incident_about_deployed_firmware(
    uow: FakeUnitOfWork, clock: FakeClock, cid: str
) -> None:
    incident = _raise(uow, clock, guids=[ALPHA_HUBS[2].lower()], emergency_stop_requested=True)
    assert incident.incident_id == "INC-000001"
    stored = uow.world.incidents[incident.incident_id]
    assert (stored.campaign_id, stored.raised_by, stored.status) == (
        cid,
        ALPHA.code,
        IncidentStatus.OPEN,
    )
    assert stored.guids == (ALPHA_HUBS[2],) and stored.needs_urgent_attention
    assert uow.world.audit[-1].action == "incident.raised"


def test_unknown_and_not_yours_are_one_answer(
    uow: FakeUnitOfWork, clock: FakeClock, cid: str
) -> None:
    unknown = _refused(uow, clock, campaign_id="CMP-000099")
    not_yours = _refused(uow, clock, party=GAMMA)
    assert unknown.refusal is not_yours.refusal is Refusal.CAMPAIGN_UNKNOWN


def test_nothing_deployed_yet_is_refused(uow: FakeUnitOfWork, clock: FakeClock, cid: str) -> None:
    uow.world.in_campaign(cid)[ALPHA_HUBS[2]].status = HubStatus.INSTRUCTED
    assert _refused(uow, clock).refusal is Refusal.NOTHING_DEPLOYED


def test_hubs_that_are_not_the_suppliers_are_each_named(
    uow: FakeUnitOfWork, clock: FakeClock, cid: str
) -> None:
    refused = _refused(uow, clock, guids=[ALPHA_HUBS[3], BETA_HUBS[0], UNKNOWN, BETA_HUBS[0]])
    assert refused.refusal is Refusal.INCIDENT_DEVICES
    assert [(r.guid, r.code) for r in refused.rejected] == [
        (BETA_HUBS[0], GuidReason.NOT_YOURS),
        (UNKNOWN, GuidReason.NOT_YOURS),
    ]


# covers: BR6.3
def test_dcc_triage_decides_the_campaign_and_closes_the_incident(
    uow: FakeUnitOfWork, clock: FakeClock, cid: str
) -> None:
    incident = _raise(uow, clock)
    events_before = len(uow.world.events)
    decided, view = incidents.triage_incident(
        uow,
        clock,
        caller=caller(DCC),
        incident_id=incident.incident_id,
        decision=RolloutDecision.SUSPEND,
        reason="confirmed in the lab",
    )
    assert view.campaign.stage is Stage.SUSPENDED
    assert uow.world.campaigns[cid].stage is Stage.SUSPENDED
    assert uow.world.incidents[incident.incident_id].status is decided.status
    assert decided.status is not IncidentStatus.OPEN
    assert decided.decision is RolloutDecision.SUSPEND
    assert [d.decision for d in uow.world.decisions] == [RolloutDecision.SUSPEND]
    (moved,) = uow.world.events[events_before:]
    assert {al.recipient for al in moved.alerts} >= {ALPHA.code}
