"""Campaign use cases against the in-memory unit of work: create (A01, BR1.3, AD13), DCC's
commands and decisions (BR6.3, BR6.4), refusals that change nothing (X5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chfw_api.domain import alerts as a
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.errors import DomainError, Forbidden, NotFound
from chfw_api.domain.hub_status import HubStatus
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import Command, Stage
from chfw_api.services import campaign_tick, campaigns
from tests.unit.services.estate import (
    ALPHA,
    ALPHA_HUBS,
    BETA,
    BETA_HUBS,
    DCC,
    SPLIT_HUBS,
    T0,
    a_campaign,
    caller,
    world,
)
from tests.unit.services.fakes import FakeUnitOfWork


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(world())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def _alerts(uow: FakeUnitOfWork) -> list[a.PendingAlert]:
    """Every alert the committed events owe and any put straight into the outbox."""
    owed = [al for e in uow.world.events for al in getattr(e, "alerts", ())]
    return owed + uow.world.alerts


# covers: BR1.3
def test_create_takes_the_snapshot_and_tells_each_supplier_its_own_counts(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    view = campaigns.create_campaign(
        uow,
        clock,
        caller=caller(DCC),
        spec=campaigns.NewCampaign(release_id=1, with_pilot=True),
        reason="approved on the CPL",
    )
    cid = view.campaign.campaign_id
    assert view.campaign.stage is Stage.NOTIFIED
    assert view.campaign.eligible_hubs == len(ALPHA_HUBS + SPLIT_HUBS + BETA_HUBS)
    assert view.counts.by_status == {HubStatus.ELIGIBLE: 30}
    assert set(uow.world.in_campaign(cid)) == set(ALPHA_HUBS + SPLIT_HUBS + BETA_HUBS)
    notices = {al.recipient: al.message for al in _alerts(uow)}
    assert set(notices) == {ALPHA.code, BETA.code}  # Gamma has no hub of this model
    alpha, beta = notices[ALPHA.code], notices[BETA.code]
    assert isinstance(alpha, a.UpdateAvailable) and isinstance(beta, a.UpdateAvailable)
    assert (alpha.eligible_as_import, alpha.eligible_as_gas) == (24, 20)
    assert (beta.eligible_as_import, beta.eligible_as_gas) == (6, 10)
    assert uow.commits == 1


def test_a_new_release_supersedes_the_campaign_that_has_not_begun_safe_launch(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    old = a_campaign(uow, clock)
    clock.advance(timedelta(days=1))
    view = campaigns.create_campaign(
        uow,
        clock,
        caller=caller(DCC),
        spec=campaigns.NewCampaign(release_id=2),
        reason="a newer release",
    )
    assert view.superseded == [old]
    assert uow.world.campaigns[old].stage is Stage.SUPERSEDED
    superseded = [al for al in _alerts(uow) if al.campaign_id == old and al.message.code != "N61"]
    assert {al.recipient for al in superseded} == {ALPHA.code, BETA.code}


def test_a_refused_command_changes_nothing(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    cid = a_campaign(uow, clock, with_pilot=False)
    before = (uow.world.campaigns[cid].stage, len(uow.world.events), len(uow.world.audit))
    with pytest.raises(DomainError):
        campaigns.run_command(
            uow,
            clock,
            caller=caller(DCC),
            campaign_id=cid,
            command=Command.START_PILOT,
            reason="there is no pilot",
        )
    assert (uow.world.campaigns[cid].stage, len(uow.world.events), len(uow.world.audit)) == before


def test_only_dcc_steers_a_campaign_and_an_unknown_one_is_not_found(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    cid = a_campaign(uow, clock)
    with pytest.raises(Forbidden):
        campaigns.decide(
            uow,
            clock,
            caller=caller(ALPHA),
            campaign_id=cid,
            decision=RolloutDecision.PAUSE,
            reason="not mine to pause",
        )
    with pytest.raises(NotFound):
        campaigns.decide(
            uow,
            clock,
            caller=caller(DCC),
            campaign_id="CMP-999999",
            decision=RolloutDecision.PAUSE,
            reason="nothing to pause",
        )
    assert uow.world.decisions == []


# covers: BR6.4
def test_a_decision_moves_the_campaign_is_stored_and_owes_its_consequences(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    cid = a_campaign(uow, clock, with_pilot=False)
    events_before = len(uow.world.events)
    clock.advance(timedelta(days=2))
    view = campaigns.decide(
        uow,
        clock,
        caller=caller(DCC),
        campaign_id=cid,
        decision=RolloutDecision.SUSPEND,
        reason="a fault report from the field",
    )
    assert view.campaign.stage is Stage.SUSPENDED
    assert uow.world.campaigns[cid].stage is Stage.SUSPENDED
    assert [(d.campaign_id, d.decision) for d in uow.world.decisions] == [
        (cid, RolloutDecision.SUSPEND)
    ]
    moved = uow.world.events[events_before:]
    assert [(e.campaign_id, e.action) for e in moved] == [(cid, RolloutDecision.SUSPEND.value)]
    told = {al.recipient for al in moved[0].alerts}
    assert told == {ALPHA.code, BETA.code}
    assert Command.RESUME in view.allowed


def test_safe_launch_started_by_dcc_is_recorded_as_one_move(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    cid = a_campaign(uow, clock, with_pilot=False)
    events_before = len(uow.world.events)
    view = campaigns.run_command(
        uow,
        clock,
        caller=caller(DCC),
        campaign_id=cid,
        command=Command.START_SAFE_LAUNCH,
        reason="no pilot for this release",
    )
    assert view.campaign.stage is Stage.SAFE_LAUNCHING
    (moved,) = uow.world.events[events_before:]
    assert (moved.campaign_id, moved.action) == (cid, Command.START_SAFE_LAUNCH.value)
    assert view.counts.overall(HubStatus.ELIGIBLE) == len(uow.world.in_campaign(cid))
    assert BETA_HUBS[0] in uow.world.in_campaign(cid)


def test_tick_starts_a_scheduled_pilot_once(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    cid = a_campaign(uow, clock)
    campaigns.run_command(
        uow,
        clock,
        caller=caller(DCC),
        campaign_id=cid,
        command=Command.SCHEDULE_PILOT,
        reason="pilot window agreed with the CSPs",
        start=T0 + timedelta(days=10),
        end=T0 + timedelta(days=40),
    )
    assert campaign_tick.tick(uow, clock) == campaign_tick.TickReport(campaigns=0, events=0)
    clock.advance(timedelta(days=10))
    events_before = len(uow.world.events)
    assert campaign_tick.tick(uow, clock) == campaign_tick.TickReport(campaigns=1, events=1)
    assert uow.world.campaigns[cid].stage is Stage.PILOTING
    (moved,) = uow.world.events[events_before:]
    assert (moved.action, {al.recipient for al in moved.alerts}) == (
        "tick",
        {ALPHA.code, BETA.code},
    )
    assert campaign_tick.tick(uow, clock) == campaign_tick.TickReport(campaigns=0, events=0)
    assert len(uow.world.events) == events_before + 1
