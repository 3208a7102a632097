"""One test per campaign rule, each citing the requirement it proves."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

import pytest

from chfw_api.domain.calendar import add_months
from chfw_api.domain.campaign import (
    TRANSITIONS,
    AutomaticDateMoved,
    Campaign,
    CampaignEvent,
    CampaignNotified,
    CampaignRevoked,
    CampaignSuperseded,
    Command,
    CplEntry,
    DeploymentKind,
    Outcome,
    PilotFailed,
    PilotStarted,
    PilotSucceeded,
    RolloutDecisionMade,
    SafeLaunchCompleted,
    SafeLaunchStarted,
    Stage,
    Targeting,
    alert_code_for,
    campaigns_superseded_by,
)
from chfw_api.domain.errors import IllegalTransition, ValidationFailed
from chfw_api.domain.incidents import PendingEffect, RolloutDecision

T0 = datetime(2025, 8, 31, 9, 0, tzinfo=UTC)
DCC = "90-B3-D5-1F-30-00-00-02"
RELEASE = CplEntry("Toshiba", "CH-A", "0203", release_id="R1")
SECURITY_FIX = CplEntry("Toshiba", "CH-A", "0204", operational_or_security=True)
DAY = timedelta(days=1)


def notified(
    release: CplEntry = RELEASE,
    *,
    with_pilot: bool = False,
    pilot_start: datetime | None = None,
    pilot_end: datetime | None = None,
    automatic_deployment_date: datetime | None = None,
) -> Campaign:
    campaign = Campaign.notify(
        campaign_id="C1",
        release=release,
        now=T0,
        actor=DCC,
        reason="approved",
        with_pilot=with_pilot,
        pilot_start=pilot_start,
        pilot_end=pilot_end,
        automatic_deployment_date=automatic_deployment_date,
    )
    campaign.pull_events()
    return campaign


def piloting(start: datetime = T0 + DAY, end: datetime = T0 + 30 * DAY) -> Campaign:
    campaign = notified(pilot_start=start, pilot_end=end)
    campaign.tick(start)
    campaign.pull_events()
    assert campaign.stage is Stage.PILOTING
    return campaign


def safe_launching() -> Campaign:
    campaign = notified()
    campaign.start_safe_launch(now=T0 + DAY, actor=DCC, reason="go")
    campaign.pull_events()
    return campaign


class Said(TypedDict):
    now: datetime
    actor: str
    reason: str


def by(now: datetime = T0 + 2 * DAY) -> Said:
    return {"now": now, "actor": DCC, "reason": "because"}


# -- BR1.1 / BR1.2 automatic deployment date -------------------------------------------------


def test_notification_defaults_automatic_date_to_six_calendar_months() -> None:
    # covers: BR1.1, BR1.2
    campaign = Campaign.notify(campaign_id="C1", release=RELEASE, now=T0, actor=DCC, reason="ok")
    assert campaign.automatic_deployment_date == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert campaign.stage is Stage.NOTIFIED
    assert campaign.targeting == Targeting(device_models=("CH-A",))
    [event] = campaign.pull_events()
    assert isinstance(event, CampaignNotified)
    assert (event.before, event.after, alert_code_for(event)) == (None, Stage.NOTIFIED, "N70")


@pytest.mark.parametrize("shift", [-60 * DAY, 60 * DAY])
def test_dcc_moves_automatic_date_earlier_or_later(shift: timedelta) -> None:
    # covers: BR1.2
    campaign = notified()
    old = campaign.automatic_deployment_date
    [event] = campaign.move_automatic_date(new_date=old + shift, **by())
    assert campaign.automatic_deployment_date == old + shift
    assert isinstance(event, AutomaticDateMoved)
    assert (event.previous_date, event.new_date, alert_code_for(event)) == (old, old + shift, "N70")


def test_automatic_date_must_stay_after_now() -> None:
    # covers: BR1.2, X5
    campaign = notified()
    before = campaign.snapshot()
    with pytest.raises(ValidationFailed) as failure:
        campaign.move_automatic_date(new_date=T0, now=T0 + DAY, actor=DCC, reason="x")
    assert failure.value.problems[0].field == "new_date"
    assert campaign.snapshot() == before and campaign.pull_events() == []
    with pytest.raises(ValidationFailed):
        Campaign.notify(
            campaign_id="C", release=RELEASE, now=T0, actor=DCC, reason="r",
            automatic_deployment_date=T0 - DAY,
        )  # fmt: skip


def test_automatic_date_cannot_precede_a_pending_pilot_end() -> None:
    # covers: BR1.2, AD12
    campaign = notified(pilot_start=T0 + DAY, pilot_end=T0 + 40 * DAY)
    with pytest.raises(ValidationFailed):
        campaign.move_automatic_date(new_date=T0 + 39 * DAY, **by())
    campaign.move_automatic_date(new_date=T0 + 40 * DAY, **by())


def test_no_pilot_campaign_safe_launches_at_the_automatic_date() -> None:
    # covers: BR1.2, BR3.6, AD03
    campaign = notified()
    auto = campaign.automatic_deployment_date
    assert campaign.tick(auto - timedelta(minutes=1)) == []
    [event] = campaign.tick(auto + 3 * DAY)
    assert isinstance(event, SafeLaunchStarted) and event.at == auto
    assert campaign.stage is Stage.SAFE_LAUNCHING and campaign.safe_launch_started_at == auto
    assert alert_code_for(event) is None  # N76 comes from the CSP's schedule (A08)


# -- BR1.4 revoke ----------------------------------------------------------------------------


def test_revoke_allowed_until_deployment_completes() -> None:
    # covers: BR1.4
    for campaign in (notified(), piloting(), safe_launching()):
        [event] = campaign.revoke(**by())
        assert isinstance(event, CampaignRevoked) and alert_code_for(event) == "N71"
        assert campaign.stage is Stage.REVOKED and campaign.is_terminal
        assert not any(campaign.may_deploy(k) or campaign.may_instruct(k) for k in DeploymentKind)
        assert campaign.tick(T0 + 400 * DAY) == []
    done = safe_launching()
    done.complete_safe_launch(succeeded=True, **by())
    with pytest.raises(IllegalTransition) as refused:
        done.revoke(**by())
    assert refused.value.current == "Completed" and refused.value.allowed == ["close"]


# -- AD03 pilot rules ------------------------------------------------------------------------


def test_operational_or_security_release_is_never_piloted() -> None:
    # covers: AD03
    with pytest.raises(ValidationFailed):
        notified(SECURITY_FIX, with_pilot=True)
    campaign = notified(SECURITY_FIX)
    with pytest.raises(IllegalTransition) as refused:
        campaign.schedule_pilot(start=T0 + DAY, end=T0 + 9 * DAY, **by())
    assert "AD03" in refused.value.detail
    assert "schedule_pilot" not in refused.value.allowed
    assert "start_safe_launch" in refused.value.allowed


def test_operational_release_goes_straight_to_safe_launch() -> None:
    # covers: AD03
    campaign = notified(SECURITY_FIX)
    events = campaign.tick(campaign.automatic_deployment_date)
    assert [type(e) for e in events] == [SafeLaunchStarted]
    assert campaign.pilot_start is None and campaign.may_deploy(DeploymentKind.SAFE_LAUNCH)


def test_pilot_period_is_at_most_six_calendar_months() -> None:
    # covers: AD03
    start = T0 + DAY
    longest = add_months(start, 6)
    campaign = notified(automatic_deployment_date=add_months(T0, 9))
    campaign.schedule_pilot(start=start, end=longest, **by(T0))
    assert (campaign.pilot_start, campaign.pilot_end) == (start, longest)
    with pytest.raises(ValidationFailed) as failure:
        campaign.schedule_pilot(start=start, end=longest + timedelta(minutes=1), **by(T0))
    assert "AD03" in failure.value.problems[0].reason


def test_pilot_must_end_by_the_automatic_date_and_start_in_the_future() -> None:
    # covers: AD03, X5
    campaign = notified(automatic_deployment_date=T0 + 20 * DAY)
    with pytest.raises(ValidationFailed) as failure:
        campaign.schedule_pilot(start=T0 - DAY, end=T0 + 21 * DAY, **by(T0))
    assert {p.field for p in failure.value.problems} == {"pilot_start", "pilot_end"}
    assert campaign.pilot_planned is False


def test_a_campaign_that_must_pilot_never_skips_it() -> None:
    # covers: AD03, AD12
    campaign = notified(with_pilot=True)
    with pytest.raises(IllegalTransition):
        campaign.start_safe_launch(**by())
    assert campaign.tick(campaign.automatic_deployment_date + 90 * DAY) == []
    assert campaign.stage is Stage.NOTIFIED


def test_scheduled_pilot_starts_when_its_start_passes() -> None:
    # covers: AD03, BR2.4
    campaign = notified(pilot_start=T0 + 5 * DAY, pilot_end=T0 + 50 * DAY)
    assert campaign.tick(T0 + 4 * DAY) == []
    [event] = campaign.tick(T0 + 6 * DAY)
    assert isinstance(event, PilotStarted) and event.at == T0 + 5 * DAY
    assert alert_code_for(event) == "N74"
    assert campaign.may_deploy(DeploymentKind.PILOT)
    assert not campaign.may_deploy(DeploymentKind.SAFE_LAUNCH)


# -- AD12 / A06 / A07 pilot outcome ----------------------------------------------------------


def test_safe_launch_starts_automatically_when_the_pilot_ends() -> None:
    # covers: AD12, A06
    campaign = piloting(end=T0 + 30 * DAY)
    events = campaign.tick(T0 + 31 * DAY)
    assert [type(e) for e in events] == [PilotSucceeded, SafeLaunchStarted]
    assert [(e.before, e.after) for e in events] == [
        (Stage.PILOTING, Stage.PILOT_SUCCEEDED),
        (Stage.PILOT_SUCCEEDED, Stage.SAFE_LAUNCHING),
    ]
    assert all(e.at == T0 + 30 * DAY for e in events)
    assert campaign.pilot_outcome is Outcome.SUCCEEDED
    assert [alert_code_for(e) for e in events] == ["N75", None]


def test_whole_life_in_one_clock_jump() -> None:
    # covers: AD03, AD12
    campaign = notified(pilot_start=T0 + DAY, pilot_end=T0 + 30 * DAY)
    events = campaign.tick(T0 + 365 * DAY)
    assert [e.after for e in events] == [
        Stage.PILOTING, Stage.PILOT_SUCCEEDED, Stage.SAFE_LAUNCHING,
    ]  # fmt: skip


def test_dcc_declares_pilot_succeeded_early() -> None:
    # covers: A06, AD12
    campaign = piloting()
    [event] = campaign.succeed_pilot(**by())
    assert isinstance(event, PilotSucceeded) and event.early
    assert campaign.stage is Stage.PILOT_SUCCEEDED
    [started] = campaign.tick(T0 + 2 * DAY)
    assert isinstance(started, SafeLaunchStarted)


def test_dcc_declares_pilot_failed_and_safe_launch_never_follows() -> None:
    # covers: A07, AD12
    campaign = piloting()
    [event] = campaign.fail_pilot(**by())
    assert isinstance(event, PilotFailed) and alert_code_for(event) == "N75"
    assert campaign.pilot_outcome is Outcome.FAILED
    assert campaign.tick(T0 + 365 * DAY) == []
    assert sorted(campaign.allowed_commands()) == ["revoke", "stop", "supersede"]


def test_revoked_pilot_does_not_safe_launch() -> None:
    # covers: AD12, BR1.4
    campaign = piloting()
    campaign.revoke(**by())
    assert campaign.tick(T0 + 365 * DAY) == []


# -- AD13 / A12 supersession -----------------------------------------------------------------


def test_newer_release_supersedes_campaigns_not_yet_safe_launching() -> None:
    # covers: AD13, A12
    pilot, launched, other_model = piloting(), safe_launching(), notified(CplEntry("T", "X", "1"))
    failed = piloting()
    failed.fail_pilot(**by())
    newer = CplEntry("Toshiba", "CH-A", "0300")
    chosen = campaigns_superseded_by(newer, [pilot, launched, other_model, failed])
    assert chosen == [pilot, failed]
    assert campaigns_superseded_by(RELEASE, [pilot]) == []  # same version: not newer
    assert campaigns_superseded_by(CplEntry("Other", "CH-A", "0300"), [pilot]) == []
    [event] = pilot.supersede(superseded_by="R2", **by())
    assert isinstance(event, CampaignSuperseded) and alert_code_for(event) == "N79"
    assert pilot.superseded_by == "R2" and pilot.tick(T0 + 365 * DAY) == []


def test_paused_pilot_is_still_superseded() -> None:
    # covers: AD13
    campaign = piloting()
    campaign.decide(RolloutDecision.PAUSE, **by())
    assert campaigns_superseded_by(CplEntry("Toshiba", "CH-A", "0300"), [campaign]) == [campaign]


# -- A09-A11 safe launch outcome and closure -------------------------------------------------


@pytest.mark.parametrize("succeeded", [True, False])
def test_safe_launch_completes_then_dcc_closes(succeeded: bool) -> None:
    # covers: A09, A10, A11
    campaign = safe_launching()
    [done] = campaign.complete_safe_launch(succeeded=succeeded, **by())
    assert isinstance(done, SafeLaunchCompleted) and done.succeeded is succeeded
    assert alert_code_for(done) == "N77"
    assert campaign.safe_launch_outcome is (Outcome.SUCCEEDED if succeeded else Outcome.FAILED)
    assert not campaign.may_deploy(DeploymentKind.SAFE_LAUNCH)
    [closed] = campaign.close(**by())
    assert alert_code_for(closed) == "N78" and campaign.stage is Stage.CLOSED
    assert campaign.allowed_commands() == []


def test_close_only_after_completion() -> None:
    # covers: A11, X5
    campaign = safe_launching()
    with pytest.raises(IllegalTransition):
        campaign.close(**by())


# -- BR6.3 / BR6.4 / BR6.5 rollout decisions -------------------------------------------------


def test_proceed_records_the_decision_without_changing_stage() -> None:
    # covers: BR6.3, BR6.5
    campaign = safe_launching()
    [event] = campaign.decide(RolloutDecision.PROCEED, incident_id="I1", **by())
    assert isinstance(event, RolloutDecisionMade)
    assert (event.before, event.after) == (Stage.SAFE_LAUNCHING, Stage.SAFE_LAUNCHING)
    assert (event.incident_id, event.pending_effect, alert_code_for(event)) == (
        "I1", PendingEffect.UNAFFECTED, "N81",
    )  # fmt: skip
    assert campaign.last_decision is not None and campaign.last_decision.actor == DCC


def test_pause_holds_deployment_and_resume_returns_to_the_same_stage() -> None:
    # covers: BR6.3, BR6.5
    campaign = safe_launching()
    [paused] = campaign.decide(RolloutDecision.PAUSE, **by())
    assert isinstance(paused, RolloutDecisionMade) and paused.pending_effect is PendingEffect.HELD
    assert (campaign.stage, campaign.resume_stage) == (Stage.PAUSED, Stage.SAFE_LAUNCHING)
    assert not campaign.may_deploy(DeploymentKind.SAFE_LAUNCH)
    assert not campaign.may_instruct(DeploymentKind.SAFE_LAUNCH)
    [resumed] = campaign.decide(RolloutDecision.RESUME, **by(T0 + 9 * DAY))
    assert isinstance(resumed, RolloutDecisionMade)
    assert resumed.pending_effect is PendingEffect.RELEASED
    assert (campaign.stage, campaign.resume_stage) == (Stage.SAFE_LAUNCHING, None)


def test_paused_pilot_does_not_end_and_needs_a_new_end_to_resume() -> None:
    # covers: BR6.3, AD03
    campaign = piloting(end=T0 + 10 * DAY)
    campaign.decide(RolloutDecision.PAUSE, **by())
    assert campaign.tick(T0 + 20 * DAY) == []
    with pytest.raises(ValidationFailed):
        campaign.decide(RolloutDecision.RESUME, **by(T0 + 20 * DAY))
    campaign.decide(RolloutDecision.RESUME, new_end=T0 + 40 * DAY, **by(T0 + 20 * DAY))
    assert campaign.stage is Stage.PILOTING and campaign.pilot_end == T0 + 40 * DAY


def test_resuming_a_held_scheduled_pilot_keeps_a_valid_period() -> None:
    # covers: BR6.3, AD03
    campaign = notified(pilot_start=T0 + 10 * DAY, pilot_end=T0 + 20 * DAY)
    campaign.decide(RolloutDecision.PAUSE, **by())
    with pytest.raises(ValidationFailed):  # an end before the pilot even starts
        campaign.decide(RolloutDecision.RESUME, new_end=T0 + 5 * DAY, **by())
    campaign.decide(RolloutDecision.RESUME, **by(T0 + 15 * DAY))
    [started] = campaign.tick(T0 + 15 * DAY)
    assert isinstance(started, PilotStarted) and campaign.pilot_start == T0 + 15 * DAY


def test_delay_end_moves_the_pilot_end_and_pushes_the_automatic_date() -> None:
    # covers: BR6.3, AD03
    campaign = notified(automatic_deployment_date=T0 + 40 * DAY)
    campaign.schedule_pilot(start=T0 + DAY, end=T0 + 30 * DAY, **by(T0))
    campaign.tick(T0 + DAY)
    events = campaign.decide(RolloutDecision.DELAY_END, new_end=T0 + 60 * DAY, **by())
    assert [type(e) for e in events] == [RolloutDecisionMade, AutomaticDateMoved]
    assert campaign.pilot_end == campaign.automatic_deployment_date == T0 + 60 * DAY
    with pytest.raises(ValidationFailed):  # earlier is not a delay
        campaign.decide(RolloutDecision.DELAY_END, new_end=T0 + 50 * DAY, **by())
    with pytest.raises(ValidationFailed):  # AD03 still caps the pilot
        campaign.decide(RolloutDecision.DELAY_END, new_end=T0 + 200 * DAY, **by())


def test_delay_end_without_pilot_moves_the_automatic_date() -> None:
    # covers: BR6.3, BR1.2
    campaign = notified()
    old = campaign.automatic_deployment_date
    campaign.decide(RolloutDecision.DELAY_END, new_end=old + 30 * DAY, **by())
    assert campaign.automatic_deployment_date == old + 30 * DAY


def test_stop_is_final_and_nothing_deploys_after() -> None:
    # covers: BR6.3, BR6.5
    campaign = piloting()
    [event] = campaign.decide(RolloutDecision.STOP, incident_id="I9", **by())
    assert isinstance(event, RolloutDecisionMade)
    assert event.pending_effect is PendingEffect.CANCELLED
    assert campaign.stage is Stage.STOPPED and campaign.allowed_commands() == []
    assert not campaign.may_deploy(DeploymentKind.PILOT)
    assert campaign.tick(T0 + 365 * DAY) == []


def test_suspend_pending_panel_then_resume_or_stop() -> None:
    # covers: BR6.4, BR6.5
    verdicts = {RolloutDecision.RESUME: Stage.PILOTING, RolloutDecision.STOP: Stage.STOPPED}
    for verdict, final in verdicts.items():
        campaign = piloting()
        [event] = campaign.decide(RolloutDecision.SUSPEND, **by())
        assert isinstance(event, RolloutDecisionMade)
        assert event.pending_effect is PendingEffect.HELD
        assert (campaign.stage, campaign.resume_stage) == (Stage.SUSPENDED, Stage.PILOTING)
        assert sorted(campaign.allowed_commands()) == [
            "delay_end", "move_automatic_date", "resume", "revoke", "stop", "supersede",
        ]  # fmt: skip
        campaign.decide(verdict, **by())
        assert campaign.stage is final


def test_pause_escalates_to_suspension_keeping_the_resume_stage() -> None:
    # covers: BR6.4
    campaign = safe_launching()
    campaign.decide(RolloutDecision.PAUSE, **by())
    campaign.decide(RolloutDecision.SUSPEND, **by())
    assert campaign.resume_stage is Stage.SAFE_LAUNCHING
    campaign.decide(RolloutDecision.RESUME, **by())
    assert campaign.stage is Stage.SAFE_LAUNCHING


def test_every_decision_states_its_effect_on_pending_requests() -> None:
    # covers: BR6.5
    effects = {}
    for decision in (RolloutDecision.PROCEED, RolloutDecision.PAUSE, RolloutDecision.STOP,
                     RolloutDecision.SUSPEND):  # fmt: skip
        campaign = safe_launching()
        [event] = campaign.decide(decision, **by())
        assert isinstance(event, RolloutDecisionMade) and event.decision is decision
        effects[decision] = event.pending_effect
    assert effects == {
        RolloutDecision.PROCEED: PendingEffect.UNAFFECTED,
        RolloutDecision.PAUSE: PendingEffect.HELD,
        RolloutDecision.STOP: PendingEffect.CANCELLED,
        RolloutDecision.SUSPEND: PendingEffect.HELD,
    }


# -- X5 illegal moves and bad input ----------------------------------------------------------


def test_illegal_command_names_current_stage_and_allowed_moves_and_changes_nothing() -> None:
    # covers: X5
    campaign = notified()
    before = campaign.snapshot()
    with pytest.raises(IllegalTransition) as refused:
        campaign.fail_pilot(**by())
    error = refused.value
    assert (error.current, error.attempted) == ("Notified", "fail_pilot")
    assert error.allowed == sorted(c.value for c in campaign.allowed_commands())
    assert "start_pilot" not in error.allowed  # guarded: no pilot scheduled
    assert "Notified" in error.detail and "fail_pilot" in error.detail
    assert campaign.snapshot() == before and campaign.pull_events() == []


def test_blank_reason_or_naive_time_is_refused() -> None:
    # covers: X5, X1
    campaign = piloting()
    with pytest.raises(ValidationFailed):
        campaign.fail_pilot(now=T0, actor=DCC, reason="  ")
    with pytest.raises(ValidationFailed):
        campaign.fail_pilot(now=datetime(2025, 9, 1), actor=DCC, reason="r")
    with pytest.raises(ValidationFailed):
        campaign.decide(RolloutDecision.PAUSE, new_end=T0 + 90 * DAY, **by())
    assert campaign.stage is Stage.PILOTING


def test_transition_table_targets_are_stages_and_terminal_stages_have_no_moves() -> None:
    # covers: X5
    sources = {stage for stage, _ in TRANSITIONS}
    assert sources <= set(Stage)
    for (stage, command), target in TRANSITIONS.items():
        assert target is None or isinstance(target, Stage)
        assert isinstance(command, Command)
        if target is None:
            assert stage in (Stage.PAUSED, Stage.SUSPENDED)
    for stage in (Stage.CLOSED, Stage.STOPPED, Stage.REVOKED, Stage.SUPERSEDED):
        assert not any(s is stage for s, _ in TRANSITIONS)


# -- persistence and alerts ------------------------------------------------------------------


def test_restore_round_trips_every_field_and_refuses_corrupt_rows() -> None:
    # covers: X1
    campaign = piloting()
    campaign.decide(RolloutDecision.SUSPEND, incident_id="I1", **by())
    row = {k: (v.value if isinstance(v, Stage | Outcome) else v)
           for k, v in campaign.snapshot().items()}  # fmt: skip
    assert row["stage"] == "Suspended" and row["resume_stage"] == "Piloting"
    restored = Campaign.restore(**row)
    assert restored == campaign and restored.pull_events() == []
    with pytest.raises(ValueError):
        Campaign.restore(**{**row, "resume_stage": None})
    with pytest.raises(ValueError):
        Campaign.restore(**{**row, "stage": "Launching"})


def test_every_event_type_has_a_documented_alert() -> None:
    # covers: X4, BR1.1, BR1.4, BR2.4, A06, A07, A09-A12, BR6.5
    def leaves(cls: type[CampaignEvent]) -> set[type[CampaignEvent]]:
        subs = set(cls.__subclasses__())
        return subs.union(*(leaves(s) for s in subs)) if subs else set()

    expected = {
        "CampaignNotified": "N70", "AutomaticDateMoved": "N70", "PilotScheduled": "N74",
        "PilotStarted": "N74", "PilotSucceeded": "N75", "PilotFailed": "N75",
        "SafeLaunchStarted": None, "SafeLaunchCompleted": "N77", "CampaignClosed": "N78",
        "CampaignSuperseded": "N79", "CampaignRevoked": "N71", "RolloutDecisionMade": "N81",
    }  # fmt: skip
    assert {cls.__name__ for cls in leaves(CampaignEvent)} == set(expected)
    for cls in leaves(CampaignEvent):
        values: dict[str, Any] = {f.name: None for f in dataclasses.fields(cls)}
        assert alert_code_for(cls(**values)) == expected[cls.__name__]


def test_instructions_are_accepted_ahead_of_their_stage_but_not_when_held() -> None:
    # covers: BR3.1, BR3.8, BR6.3
    campaign = notified(pilot_start=T0 + DAY, pilot_end=T0 + 30 * DAY)
    assert campaign.may_instruct(DeploymentKind.PILOT)
    assert campaign.may_instruct(DeploymentKind.SAFE_LAUNCH)
    assert campaign.deploying_stage is None
    assert campaign.automatic_activation_at(DeploymentKind.PILOT) == T0 + 30 * DAY
    no_pilot = notified()
    assert not no_pilot.may_instruct(DeploymentKind.PILOT)
    assert no_pilot.automatic_activation_at(DeploymentKind.PILOT) is None
