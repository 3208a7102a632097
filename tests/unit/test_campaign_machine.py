"""Random command sequences and clock jumps against the campaign state machine.

Whatever DCC, suppliers and the clock do, in any order: the stage is always a defined one; a
campaign that must pilot never reaches safe launch without piloting (AD03, AD12); nothing deploys
after a stop, revocation or supersession; `tick` is idempotent; a refused command changes nothing
(X5); and every stage change emits exactly one event of the right type with matching before/after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from chfw_api.domain.calendar import add_months
from chfw_api.domain.campaign import (
    ABANDONED,
    HELD,
    AutomaticDateMoved,
    Campaign,
    CampaignClosed,
    CampaignEvent,
    CampaignNotified,
    CampaignRevoked,
    CampaignSuperseded,
    CplEntry,
    DeploymentKind,
    PilotFailed,
    PilotScheduled,
    PilotStarted,
    PilotSucceeded,
    RolloutDecisionMade,
    SafeLaunchCompleted,
    SafeLaunchStarted,
    Stage,
    alert_code_for,
)
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.errors import DomainError
from chfw_api.domain.incidents import RolloutDecision

T0 = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
DCC = "90-B3-D5-1F-30-00-00-02"

jumps = st.builds(
    lambda unit, n: unit * n,
    st.sampled_from(
        [timedelta(minutes=1), timedelta(hours=1), timedelta(days=1), timedelta(days=30)]
    ),
    st.integers(min_value=1, max_value=7),
)
offsets = st.integers(min_value=-30, max_value=400).map(lambda d: timedelta(days=d))
near = st.integers(min_value=-3, max_value=45).map(lambda d: timedelta(days=d))

_DECISION_TARGET = {
    RolloutDecision.PAUSE: Stage.PAUSED,
    RolloutDecision.SUSPEND: Stage.SUSPENDED,
    RolloutDecision.STOP: Stage.STOPPED,
}


def expected_event(before: Stage | None, after: Stage) -> set[type[CampaignEvent]]:
    """Which event type may record a move from `before` to `after`."""
    if before is None:
        return {CampaignNotified}
    if before is after:
        return {PilotScheduled, AutomaticDateMoved, RolloutDecisionMade}
    if after in HELD | {Stage.STOPPED}:
        return {RolloutDecisionMade}
    by_target: dict[Stage, type[CampaignEvent]] = {
        Stage.REVOKED: CampaignRevoked,
        Stage.SUPERSEDED: CampaignSuperseded,
    }
    if before in HELD:  # resume, unless the held campaign is ended for good
        return {by_target.get(after, RolloutDecisionMade)}
    by_target |= {
        Stage.PILOTING: PilotStarted,
        Stage.PILOT_SUCCEEDED: PilotSucceeded,
        Stage.PILOT_FAILED: PilotFailed,
        Stage.SAFE_LAUNCHING: SafeLaunchStarted,
        Stage.COMPLETED: SafeLaunchCompleted,
        Stage.CLOSED: CampaignClosed,
    }
    return {by_target[after]}


class CampaignMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(T0)
        self.campaign: Campaign
        self.model: Stage | None = None
        self.visited: list[Stage] = []

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def record(self, events: list[CampaignEvent]) -> None:
        for event in events:
            assert event.campaign_id == "C1" and event.actor.strip() and event.reason.strip()
            assert event.at <= self.now
            assert type(event) in expected_event(event.before, event.after), event
            assert event.before == self.model, (event, self.model)
            if isinstance(event, RolloutDecisionMade) and event.decision in _DECISION_TARGET:
                assert event.after is _DECISION_TARGET[event.decision]
            if event.after is not event.before:
                self.visited.append(event.after)
            self.model = event.after
            code = alert_code_for(event)
            assert code is None or code.startswith("N")
        assert self.model is self.campaign.stage

    def attempt(self, command: Callable[[], list[CampaignEvent]]) -> None:
        before = self.campaign.snapshot()
        try:
            events = command()
        except DomainError:
            assert self.campaign.snapshot() == before  # X5: refused means unchanged
            assert self.campaign.pull_events() == []
            return
        assert self.campaign.pull_events() == events  # returned and pulled are the same
        self.record(events)

    @initialize(
        operational=st.sampled_from([False, False, False, True]),
        pilot=st.sampled_from(["none", "planned", "scheduled", "scheduled"]),
        start_days=st.integers(min_value=0, max_value=60),
        length_days=st.integers(min_value=1, max_value=200),
    )
    def notify(self, operational: bool, pilot: str, start_days: int, length_days: int) -> None:
        release = CplEntry("Toshiba", "CH-A", "0203", operational_or_security=operational)
        start = T0 + timedelta(days=start_days)
        end = start + timedelta(days=min(length_days, 100))
        scheduled = pilot == "scheduled" and not operational
        self.campaign = Campaign.notify(
            campaign_id="C1",
            release=release,
            now=T0,
            actor=DCC,
            reason="release approved",
            with_pilot=pilot == "planned" and not operational,
            pilot_start=start if scheduled else None,
            pilot_end=end if scheduled else None,
        )
        self.record(self.campaign.pull_events())

    @rule(delta=jumps)
    def clock_jumps(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    @rule(delta=jumps)
    def clock_jumps_then_tick(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.tick()

    @rule()
    def tick(self) -> None:
        events = self.campaign.tick(self.now)
        assert self.campaign.pull_events() == events
        self.record(events)
        assert self.campaign.tick(self.now) == []  # idempotent
        assert self.campaign.pull_events() == []

    @rule(start=st.integers(min_value=-2, max_value=90), length=st.integers(1, 200))
    def schedule_pilot(self, start: int, length: int) -> None:
        begin = self.now + timedelta(days=start)
        self.attempt(
            lambda: self.campaign.schedule_pilot(
                start=begin, end=begin + timedelta(days=length), now=self.now, actor=DCC, reason="r"
            )
        )

    @rule(
        name=st.sampled_from(
            [
                "start_pilot",
                "succeed_pilot",
                "fail_pilot",
                "start_safe_launch",
                "close",
            ]
        )
    )
    def simple_command(self, name: str) -> None:
        method = getattr(self.campaign, name)
        self.attempt(lambda: method(now=self.now, actor=DCC, reason="r"))

    @rule(succeeded=st.booleans())
    def complete_safe_launch(self, succeeded: bool) -> None:
        self.attempt(
            lambda: self.campaign.complete_safe_launch(
                succeeded=succeeded, now=self.now, actor=DCC, reason="every hub reported"
            )
        )

    @rule(
        name=st.sampled_from(["revoke", "supersede", "stop"]),
        dice=st.integers(min_value=0, max_value=5),
    )
    def end_for_good(self, name: str, dice: int) -> None:
        """Rarely: ending commands are always allowed early, so they would crowd out the rest."""
        if dice:
            return
        c = self.campaign
        if name == "supersede":
            self.attempt(
                lambda: c.supersede(superseded_by="R2", now=self.now, actor=DCC, reason="r")
            )
        elif name == "revoke":
            self.attempt(lambda: c.revoke(now=self.now, actor=DCC, reason="r"))
        else:
            self.attempt(
                lambda: c.decide(RolloutDecision.STOP, now=self.now, actor=DCC, reason="r")
            )

    @rule(offset=near | offsets)
    def move_automatic_date(self, offset: timedelta) -> None:
        self.attempt(
            lambda: self.campaign.move_automatic_date(
                new_date=self.now + offset, now=self.now, actor=DCC, reason="r"
            )
        )

    @rule(
        decision=st.sampled_from([d for d in RolloutDecision if d is not RolloutDecision.STOP]),
        end=st.none() | near | offsets,
    )
    def decide(self, decision: RolloutDecision, end: timedelta | None) -> None:
        new_end = None if end is None else self.now + end
        self.attempt(
            lambda: self.campaign.decide(
                decision, now=self.now, actor=DCC, reason="r", incident_id="I1", new_end=new_end
            )
        )

    def teardown(self) -> None:
        for stage in sorted(set(self.visited)):  # `pytest --hypothesis-show-statistics`
            note(f"reached {stage}")
        if Stage.SAFE_LAUNCHING in self.visited and Stage.PILOTING in self.visited:
            note("safe launched after a pilot")

    @invariant()
    def stage_is_defined(self) -> None:
        assert isinstance(self.campaign.stage, Stage)
        assert (self.campaign.stage in HELD) == (self.campaign.resume_stage is not None)

    @invariant()
    def never_skips_a_required_pilot(self) -> None:
        if Stage.SAFE_LAUNCHING in self.visited:
            before_launch = self.visited[: self.visited.index(Stage.SAFE_LAUNCHING)]
            assert (Stage.PILOTING in before_launch) == self.campaign.pilot_planned
        if self.campaign.release.operational_or_security:
            assert Stage.PILOTING not in self.visited

    @invariant()
    def nothing_deploys_after_an_abandoned_stage(self) -> None:
        ends = [i for i, stage in enumerate(self.visited) if stage in ABANDONED | {Stage.CLOSED}]
        if ends:
            assert self.visited[ends[0] :] == [self.visited[ends[0]]]
            assert not any(self.campaign.may_deploy(kind) for kind in DeploymentKind)
            assert not any(self.campaign.may_instruct(kind) for kind in DeploymentKind)

    @invariant()
    def deployment_matches_stage(self) -> None:
        stage = self.campaign.stage
        assert self.campaign.may_deploy(DeploymentKind.PILOT) == (stage is Stage.PILOTING)
        assert self.campaign.may_deploy(DeploymentKind.SAFE_LAUNCH) == (
            stage is Stage.SAFE_LAUNCHING
        )

    @invariant()
    def pending_pilot_ends_by_the_automatic_date(self) -> None:
        c = self.campaign
        if c.pilot_pending and c.pilot_end is not None:
            assert c.pilot_end <= c.automatic_deployment_date
        if c.pilot_start is not None and c.pilot_end is not None:  # AD03
            assert c.pilot_start < c.pilot_end <= add_months(c.pilot_start, 6)

    @invariant()
    def survives_a_round_trip_through_storage(self) -> None:
        assert Campaign.restore(**self.campaign.snapshot()) == self.campaign

    @invariant()
    def allowed_commands_are_in_the_table(self) -> None:
        assert all(isinstance(c.value, str) for c in self.campaign.allowed_commands())


CampaignMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCampaignMachine = CampaignMachine.TestCase
