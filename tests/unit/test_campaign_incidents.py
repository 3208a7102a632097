"""Supplier incidents and DCC's triage of them (BR6.2-BR6.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain.campaign import Campaign, CplEntry, RolloutDecisionMade, Stage
from chfw_api.domain.errors import Conflict, IllegalTransition, ValidationFailed
from chfw_api.domain.incidents import (
    Incident,
    IncidentStatus,
    PendingEffect,
    RolloutDecision,
    triage,
)
from chfw_api.domain.releases import Priority, Severity

T0 = datetime(2025, 3, 1, tzinfo=UTC)
DCC = "90-B3-D5-1F-30-00-00-02"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"


def safe_launching() -> Campaign:
    campaign = Campaign.notify(
        campaign_id="C1", release=CplEntry("Toshiba", "CH-A", "0203"), now=T0, actor=DCC,
        reason="approved",
    )  # fmt: skip
    campaign.start_safe_launch(now=T0, actor=DCC, reason="go")
    campaign.pull_events()
    return campaign


def raised(**kw: bool) -> Incident:
    return Incident.raise_(
        incident_id="I1", campaign_id="C1", raised_by=SUPPLIER, now=T0 + timedelta(days=1),
        severity="Critical", description="  hubs drop off the WAN after activation ",
        guids=["00-db-12-34-56-78-90-a0", "00-DB-12-34-56-78-90-A0"],
        emergency_stop_requested=kw.get("emergency", False),
    )  # fmt: skip


def test_incident_is_high_priority_with_normalised_guids_and_emergency_stop() -> None:
    # covers: BR6.2
    incident = raised(emergency=True)
    assert incident.priority is Priority.HIGH
    assert incident.severity is Severity.CRITICAL
    assert incident.guids == ("00-DB-12-34-56-78-90-A0",)
    assert incident.description == "hubs drop off the WAN after activation"
    assert incident.emergency_stop_requested and incident.needs_urgent_attention
    assert incident.status is IncidentStatus.OPEN


@given(st.sampled_from(Severity), st.booleans())
def test_every_incident_is_high_priority(severity: Severity, emergency: bool) -> None:
    # covers: BR6.2
    incident = Incident.raise_(
        incident_id="I", campaign_id="C", raised_by=SUPPLIER, now=T0, severity=severity.value,
        description="d", emergency_stop_requested=emergency,
    )  # fmt: skip
    assert incident.priority is Priority.HIGH


def test_bad_incident_lists_every_problem() -> None:
    # covers: BR6.2, BR5.2, X5
    with pytest.raises(ValidationFailed) as failure:
        Incident.raise_(
            incident_id="I", campaign_id="C", raised_by=SUPPLIER, now=T0, severity="Dire",
            description=" ", guids=["nope", "00-DB-12-34-56-78-90-A0", "00-DB"],
        )  # fmt: skip
    problems = failure.value.problems
    assert [p.field for p in problems] == ["severity", "description", "guids", "guids"]
    assert [p.location for p in problems if p.field == "guids"] == ["guids[0]", "guids[2]"]


@pytest.mark.parametrize(
    ("decision", "stage", "effect"),
    [
        (RolloutDecision.PROCEED, Stage.SAFE_LAUNCHING, PendingEffect.UNAFFECTED),
        (RolloutDecision.PAUSE, Stage.PAUSED, PendingEffect.HELD),
        (RolloutDecision.STOP, Stage.STOPPED, PendingEffect.CANCELLED),
    ],
)
def test_triage_applies_the_decision_and_records_who_when_why(
    decision: RolloutDecision, stage: Stage, effect: PendingEffect
) -> None:
    # covers: BR6.3, BR6.5, X1
    campaign, incident = safe_launching(), raised()
    when = T0 + timedelta(days=2)
    [event] = triage(incident, campaign, decision, now=when, actor=DCC, reason="triaged")
    assert isinstance(event, RolloutDecisionMade)
    assert (event.incident_id, event.actor, event.at, event.reason) == ("I1", DCC, when, "triaged")
    assert event.pending_effect is effect and campaign.stage is stage
    assert (incident.status, incident.decision, incident.decided_by) == (
        IncidentStatus.DECIDED, decision, DCC,
    )  # fmt: skip
    assert incident.decided_at == when and incident.decision_reason == "triaged"


def test_triage_delay_end_moves_the_end_date() -> None:
    # covers: BR6.3
    campaign, incident = safe_launching(), raised()
    later = campaign.automatic_deployment_date + timedelta(days=30)
    triage(incident, campaign, RolloutDecision.DELAY_END, now=T0, actor=DCC, reason="r",
           new_end=later)  # fmt: skip
    assert campaign.automatic_deployment_date == later


def test_suspension_awaits_the_panel_then_resume_or_stop() -> None:
    # covers: BR6.4, BR6.5
    campaign, incident = safe_launching(), raised(emergency=True)
    triage(incident, campaign, RolloutDecision.SUSPEND, now=T0, actor=DCC, reason="critical")
    assert incident.status is IncidentStatus.AWAITING_PANEL
    assert campaign.stage is Stage.SUSPENDED
    with pytest.raises(Conflict):
        triage(incident, campaign, RolloutDecision.PROCEED, now=T0, actor=DCC, reason="r")
    [event] = triage(incident, campaign, RolloutDecision.RESUME, now=T0, actor=DCC, reason="Panel")
    assert isinstance(event, RolloutDecisionMade)
    assert event.pending_effect is PendingEffect.RELEASED
    assert incident.decisions_open() == frozenset()  # decided
    assert campaign.effective_stage is Stage.SAFE_LAUNCHING and campaign.resume_stage is None
    with pytest.raises(Conflict):
        triage(incident, campaign, RolloutDecision.STOP, now=T0, actor=DCC, reason="again")


def test_refused_triage_leaves_the_incident_open() -> None:
    # covers: BR6.3, X5
    campaign, incident = safe_launching(), raised()
    campaign.revoke(now=T0, actor=DCC, reason="withdrawn")
    with pytest.raises(IllegalTransition):
        triage(incident, campaign, RolloutDecision.PAUSE, now=T0, actor=DCC, reason="r")
    assert incident.status is IncidentStatus.OPEN and incident.decision is None
    other = raised()
    other.campaign_id = "C2"
    with pytest.raises(Conflict):
        triage(other, safe_launching(), RolloutDecision.PROCEED, now=T0, actor=DCC, reason="r")
