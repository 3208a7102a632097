"""The campaign aggregate: one CH firmware release on its way through pilot and safe launch.

Every stage change goes through `TRANSITIONS` (the one table of legal moves) plus a few guards
that depend on the campaign itself (an operational/security release never pilots, AD03); whatever
they refuse raises `IllegalTransition` naming the commands that *are* allowed (X5). Date rules
(six calendar months, BR1.2/AD03) raise `ValidationFailed`. Nothing changes unless all checks pass.

The rules read on their own elsewhere: the release, targeting and date rules in `terms`,
the dates a triage decision may set in `decisions`, the moves `tick` makes in
`timetable`, the guards in `guards`, supersession in `supersession`
and what deploys, and may be instructed, when in `deployment`.

Each command returns the events it caused; `campaign_events` says which DCC Alert each owes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from chfw_api.domain.calendar import add_months
from chfw_api.domain.campaign.decisions import DecisionRecord as DecisionRecord
from chfw_api.domain.campaign.decisions import dates_after, new_end_problems
from chfw_api.domain.campaign.deployment import DEPLOYING, accepts_instruction, automatic_time
from chfw_api.domain.campaign.events import (  # noqa: F401  (re-exported)
    AutomaticDateMoved,
    CampaignClosed,
    CampaignEvent,
    CampaignNotified,
    CampaignRevoked,
    CampaignSuperseded,
    PilotFailed,
    PilotScheduled,
    PilotStarted,
    PilotSucceeded,
    RolloutDecisionMade,
    SafeLaunchCompleted,
    SafeLaunchStarted,
    alert_code_for,
)
from chfw_api.domain.campaign.guards import refusal, refuse_unless_allowed
from chfw_api.domain.campaign.supersession import (
    campaigns_superseded_by as campaigns_superseded_by,
)
from chfw_api.domain.campaign.supersession import supersedes
from chfw_api.domain.campaign.terms import (  # noqa: F401  (re-exported)
    MAX_PILOT_MONTHS,
    NOTICE_MONTHS,
    automatic_date_problems,
    aware,
    early_start_problems,
    need,
    notice_problems,
    pilot_problems,
    said,
)
from chfw_api.domain.campaign.terms import CplEntry as CplEntry
from chfw_api.domain.campaign.terms import Targeting as Targeting
from chfw_api.domain.campaign.timetable import next_timed_move
from chfw_api.domain.errors import Problem
from chfw_api.domain.incidents import PENDING_EFFECT, RolloutDecision
from chfw_api.domain.stages import (  # noqa: F401  (re-exported)
    ABANDONED,
    HELD,
    MOVES,
    TERMINAL,
    TRANSITIONS,
    Command,
    DeploymentKind,
    Outcome,
    Stage,
)

SYSTEM_ACTOR = "system"


@dataclass(kw_only=True)
class Campaign:
    campaign_id: str
    release: CplEntry
    targeting: Targeting
    stage: Stage
    notified_at: datetime
    automatic_deployment_date: datetime
    stage_changed_at: datetime
    resume_stage: Stage | None = None
    pilot_planned: bool = False
    pilot_start: datetime | None = None
    pilot_end: datetime | None = None
    pilot_ended_at: datetime | None = None
    pilot_outcome: Outcome | None = None
    safe_launch_started_at: datetime | None = None
    safe_launch_ended_at: datetime | None = None
    safe_launch_outcome: Outcome | None = None
    ended_at: datetime | None = None
    superseded_by: str | None = None
    eligible_hubs: int | None = None
    last_decision: DecisionRecord | None = None
    _pending: list[CampaignEvent] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    # -- creation and persistence ------------------------------------------------------------

    @classmethod
    def notify(
        cls,
        *,
        campaign_id: str,
        release: CplEntry,
        now: datetime,
        actor: str,
        reason: str,
        targeting: Targeting | None = None,
        automatic_deployment_date: datetime | None = None,
        with_pilot: bool = False,
        pilot_start: datetime | None = None,
        pilot_end: datetime | None = None,
        eligible_hubs: int | None = None,
    ) -> Campaign:
        """A01/BR1.1. The automatic date defaults to six calendar months on (BR1.2)."""
        need(aware(now, "now") + said(actor, reason))
        auto = automatic_deployment_date or add_months(now, NOTICE_MONTHS)
        target = targeting or Targeting(device_models=(release.model,))
        need(notice_problems(release=release, targeting=target, now=now, auto=auto,
                             with_pilot=with_pilot, pilot_start=pilot_start,
                             pilot_end=pilot_end))  # fmt: skip
        scheduled = pilot_start is not None or pilot_end is not None
        campaign = cls(
            campaign_id=campaign_id, release=release, targeting=target, stage=Stage.NOTIFIED,
            notified_at=now, automatic_deployment_date=auto, stage_changed_at=now,
            pilot_planned=with_pilot or scheduled, pilot_start=pilot_start, pilot_end=pilot_end,
            eligible_hubs=eligible_hubs,
        )  # fmt: skip
        campaign._emit(CampaignNotified(
            campaign_id=campaign_id, at=now, actor=actor, reason=reason, before=None,
            after=Stage.NOTIFIED, automatic_deployment_date=auto,
            pilot_planned=campaign.pilot_planned,
        ))  # fmt: skip
        return campaign

    @classmethod
    def restore(cls, **values: Any) -> Campaign:
        """Rebuild from a stored row (enum fields may come as strings); refuses a row that breaks
        the aggregate's invariants rather than letting a corrupt campaign act."""
        for name in ("stage", "resume_stage"):
            if values.get(name) is not None:
                values[name] = Stage(values[name])
        for name in ("pilot_outcome", "safe_launch_outcome"):
            if values.get(name) is not None:
                values[name] = Outcome(values[name])
        campaign = cls(**values)
        held = campaign.stage in HELD
        if held != (campaign.resume_stage is not None) or campaign.resume_stage in HELD | TERMINAL:
            raise ValueError(f"campaign {campaign.campaign_id}: bad resume stage for its stage")
        if campaign.release.operational_or_security and campaign.pilot_planned:
            raise ValueError(f"campaign {campaign.campaign_id}: operational release with a pilot")
        return campaign

    def snapshot(self) -> dict[str, Any]:
        """Every persistent field by name; `Campaign.restore(**c.snapshot())` equals `c`."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    def pull_events(self) -> list[CampaignEvent]:
        """Events not yet collected, oldest first; each is handed out once (alerts, audit)."""
        events, self._pending = self._pending, []
        return events

    # -- questions callers ask -----------------------------------------------------------------

    @property
    def effective_stage(self) -> Stage:
        """The stage a held campaign will resume to; otherwise its stage."""
        return self.resume_stage if self.resume_stage is not None else self.stage

    @property
    def is_terminal(self) -> bool:
        return self.stage in TERMINAL

    @property
    def pilot_pending(self) -> bool:
        """A pilot is scheduled or running and has not ended."""
        pending = self.effective_stage in (Stage.NOTIFIED, Stage.PILOTING)
        return pending and self.pilot_end is not None

    @property
    def end_date(self) -> datetime:
        """What `delay_end` moves: a pending pilot's end, else the automatic date."""
        if self.pilot_pending and self.pilot_end is not None:
            return self.pilot_end
        return self.automatic_deployment_date

    @property
    def deploying_stage(self) -> DeploymentKind | None:
        """What firmware deploys in the current stage, if any (`deployment`)."""
        return DEPLOYING.get(self.stage)

    def may_deploy(self, kind: DeploymentKind) -> bool:
        """Whether firmware of that kind may be distributed or activated now. False whenever the
        campaign is held (BR6.3/6.4) or finished: nothing deploys after stop/revoke/supersede."""
        return self.deploying_stage is kind

    def may_instruct(self, kind: DeploymentKind) -> bool:
        """Whether a supplier's instruction (SR 11.7) of that kind may be accepted now; see
        `deployment.accepts_instruction`."""
        return accepts_instruction(self, kind)

    def automatic_activation_at(self, kind: DeploymentKind) -> datetime | None:
        """DCC's automatic time for that kind, which instructions must precede (BR3.1, BR3.4)."""
        return automatic_time(self, kind)

    def is_superseded_by(self, release: CplEntry) -> bool:
        """AD13: see `supersession.supersedes`."""
        return supersedes(release, self)

    def allowed_commands(self) -> list[Command]:
        return [command for command in MOVES[self.stage] if refusal(self, command) is None]

    # -- commands ------------------------------------------------------------------------------

    def schedule_pilot(
        self, *, start: datetime, end: datetime, now: datetime, actor: str, reason: str
    ) -> list[CampaignEvent]:
        """DCC sets the pilot period (AD03); `tick` starts the pilot at `start`."""
        self._require(Command.SCHEDULE_PILOT, now, actor, reason)
        need(pilot_problems(start, end, now, self.automatic_deployment_date))
        self.pilot_planned, self.pilot_start, self.pilot_end = True, start, end
        return self._move(Command.SCHEDULE_PILOT, PilotScheduled, now, actor, reason,
                          pilot_start=start, pilot_end=end)  # fmt: skip

    def start_pilot(self, *, now: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        """Start a scheduled pilot now, ahead of its start; the end stays, still within AD03."""
        self._require(Command.START_PILOT, now, actor, reason)
        assert self.pilot_end is not None
        need(early_start_problems(self.pilot_end, now))
        return self._start_pilot(now, actor, reason)

    def succeed_pilot(self, *, now: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        """A06 declared by DCC, possibly early; the next `tick` starts safe launch (AD12)."""
        self._require(Command.SUCCEED_PILOT, now, actor, reason)
        return self._succeed_pilot(now, actor, reason)

    def fail_pilot(self, *, now: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        """A07: safe launch will not follow; DCC then stops, revokes or supersedes."""
        self._require(Command.FAIL_PILOT, now, actor, reason)
        self.pilot_ended_at, self.pilot_outcome = now, Outcome.FAILED
        return self._move(Command.FAIL_PILOT, PilotFailed, now, actor, reason)

    def start_safe_launch(self, *, now: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        self._require(Command.START_SAFE_LAUNCH, now, actor, reason)
        return self._start_safe_launch(now, actor, reason)

    def complete_safe_launch(
        self, *, succeeded: bool, now: datetime, actor: str, reason: str
    ) -> list[CampaignEvent]:
        """Called once every safe-launch hub has a result; `succeeded` picks A09 or A10."""
        self._require(Command.COMPLETE_SAFE_LAUNCH, now, actor, reason)
        self.safe_launch_ended_at = now
        self.safe_launch_outcome = Outcome.SUCCEEDED if succeeded else Outcome.FAILED
        return self._move(Command.COMPLETE_SAFE_LAUNCH, SafeLaunchCompleted, now, actor, reason,
                          succeeded=succeeded)  # fmt: skip

    def close(self, *, now: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        """A11."""
        self._require(Command.CLOSE, now, actor, reason)
        self.ended_at = now
        return self._move(Command.CLOSE, CampaignClosed, now, actor, reason)

    def revoke(self, *, now: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        """BR1.4: allowed until deployment completes; afterwards nothing more deploys."""
        self._require(Command.REVOKE, now, actor, reason)
        self.ended_at = now
        return self._move(Command.REVOKE, CampaignRevoked, now, actor, reason)

    def supersede(
        self, *, superseded_by: str, now: datetime, actor: str, reason: str
    ) -> list[CampaignEvent]:
        """AD13/A12; `superseded_by` names the newer release or its campaign."""
        self._require(Command.SUPERSEDE, now, actor, reason)
        if not superseded_by.strip():
            need([Problem("must name the newer release", field="superseded_by")])
        self.ended_at, self.superseded_by = now, superseded_by
        return self._move(Command.SUPERSEDE, CampaignSuperseded, now, actor, reason,
                          superseded_by=superseded_by)  # fmt: skip

    def move_automatic_date(
        self, *, new_date: datetime, now: datetime, actor: str, reason: str
    ) -> list[CampaignEvent]:
        """BR1.2: earlier or later, but after `now` and not before a pending pilot's end."""
        self._require(Command.MOVE_AUTOMATIC_DATE, now, actor, reason)
        need(automatic_date_problems(
            new_date, now, current=self.automatic_deployment_date,
            pending_pilot_end=self.pilot_end if self.pilot_pending else None,
            resuming_to=self.effective_stage,
        ))  # fmt: skip
        previous, self.automatic_deployment_date = self.automatic_deployment_date, new_date
        return self._move(Command.MOVE_AUTOMATIC_DATE, AutomaticDateMoved, now, actor, reason,
                          previous_date=previous, new_date=new_date)  # fmt: skip

    def decide(
        self,
        decision: RolloutDecision,
        *,
        now: datetime,
        actor: str,
        reason: str,
        incident_id: str | None = None,
        new_end: datetime | None = None,
    ) -> list[CampaignEvent]:
        """BR6.3/6.4: proceed, pause, delay the end, stop, suspend; then resume or stop.

        `new_end` moves the end date (`decisions.new_end_problems` says when it is
        required, optional or refused)."""
        command = Command(decision.value)
        self._require(command, now, actor, reason)
        need(new_end_problems(self, decision, new_end, now))
        moved_from = self.automatic_deployment_date
        if new_end is not None:
            self.pilot_end, self.automatic_deployment_date = dates_after(self, new_end)
        if decision is RolloutDecision.STOP:
            self.ended_at = now
        self.last_decision = DecisionRecord(decision, actor, now, reason, incident_id)
        events = self._move(command, RolloutDecisionMade, now, actor, reason, decision=decision,
                            incident_id=incident_id, new_end=new_end,
                            pending_effect=PENDING_EFFECT[decision])  # fmt: skip
        if moved_from != self.automatic_deployment_date:
            events.append(self._emit(AutomaticDateMoved(
                campaign_id=self.campaign_id, at=now, actor=actor, reason=reason,
                before=self.stage, after=self.stage, previous_date=moved_from,
                new_date=self.automatic_deployment_date,
            )))  # fmt: skip
        return events

    def tick(self, now: datetime) -> list[CampaignEvent]:
        """Perform every automatic step due by `now`, each dated when it fell due (never before
        the last stage change). Idempotent: a second call with the same `now` finds nothing due."""
        need(aware(now, "now"))
        steps = {
            Command.START_PILOT: self._start_pilot,
            Command.SUCCEED_PILOT: self._succeed_pilot,
            Command.START_SAFE_LAUNCH: self._start_safe_launch,
        }
        events: list[CampaignEvent] = []
        while (move := next_timed_move(self)) is not None:
            at = max(move.due, self.stage_changed_at)
            if at > now:
                break
            events += steps[move.command](at, SYSTEM_ACTOR, move.why)
        return events

    # -- machinery -----------------------------------------------------------------------------

    def _require(self, command: Command, now: datetime, actor: str, reason: str) -> None:
        refuse_unless_allowed(self, command)
        need(aware(now, "now") + said(actor, reason))

    def _move(
        self,
        command: Command,
        kind: type[CampaignEvent],
        at: datetime,
        actor: str,
        reason: str,
        **details: Any,
    ) -> list[CampaignEvent]:
        before = self.stage
        target = TRANSITIONS[(before, command)]
        after = self.resume_stage if target is None else target
        assert after is not None
        self.resume_stage = self.effective_stage if after in HELD else None
        if after is not before:
            self.stage, self.stage_changed_at = after, at
        event = kind(campaign_id=self.campaign_id, at=at, actor=actor, reason=reason,
                     before=before, after=after, **details)  # fmt: skip
        return [self._emit(event)]

    def _emit(self, event: CampaignEvent) -> CampaignEvent:
        self._pending.append(event)
        return event

    def _start_pilot(self, at: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        self.pilot_start = at
        return self._move(Command.START_PILOT, PilotStarted, at, actor, reason,
                          pilot_end=self.pilot_end)  # fmt: skip

    def _succeed_pilot(self, at: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        early = self.pilot_end is not None and at < self.pilot_end
        self.pilot_ended_at, self.pilot_outcome = at, Outcome.SUCCEEDED
        return self._move(Command.SUCCEED_PILOT, PilotSucceeded, at, actor, reason, early=early)

    def _start_safe_launch(self, at: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        self.safe_launch_started_at = at
        return self._move(Command.START_SAFE_LAUNCH, SafeLaunchStarted, at, actor, reason,
                          automatic_deployment_date=self.automatic_deployment_date)  # fmt: skip
