"""The campaign aggregate: one CH firmware release on its way through pilot and safe launch.

Every stage change goes through `TRANSITIONS` (the one table of legal moves) plus a few guards
that depend on the campaign itself (an operational/security release never pilots, AD03); whatever
they refuse raises `IllegalTransition` naming the commands that *are* allowed (X5). Date rules
(six calendar months, BR1.2/AD03) raise `ValidationFailed`. Nothing changes unless all checks pass.

Rules chosen where the paper is silent:
- The automatic deployment date is the safe-launch (mass) activation date. A pending pilot must end
  no later than it, so AD12's "safe launch at the end of the pilot" never comes after it.
- `tick` starts a scheduled pilot at its start; ends a pilot at its end as a success unless DCC
  declared it failed (AD12); starts safe launch from PilotSucceeded at once, and from Notified at
  the automatic date only when no pilot is planned. A campaign that must pilot but has no pilot
  scheduled waits in Notified whatever the date: the date never skips a pilot.
- Paused and Suspended stop the clock for stage moves but do not move dates. Resuming into a
  pilot whose end has passed needs a new end, so a pause never silently ends a pilot.
- "Delay the end date" moves the pilot end while a pilot is pending (pushing the automatic date if
  it would overtake it), otherwise the automatic date.
- Supersession (AD13) applies to campaigns that have not begun safe launch, a merely notified one
  included: deploying the older release to the estate would be wasted bandwidth.

Events and the DCC Alert each owes (`alert_code_for`):

| Event               | Alert | Why |
|---------------------|-------|-----|
| CampaignNotified    | N70   | A01, BR1.1 |
| AutomaticDateMoved  | N70   | BR1.2: the date in the availability notice changed; re-notify |
| PilotScheduled      | N74   | pilot status: scheduled period |
| PilotStarted        | N74   | BR2.4 start |
| PilotSucceeded      | N75   | A06 |
| PilotFailed         | N75   | A07 |
| SafeLaunchStarted   | none  | N76 is sent when the CSP uploads its schedule (A08, C2) |
| SafeLaunchCompleted | N77   | A09 / A10 |
| CampaignClosed      | N78   | A11 |
| CampaignSuperseded  | N79   | A12, AD13 |
| CampaignRevoked     | N71   | BR1.4 |
| RolloutDecisionMade | N81   | BR6.3-6.5 |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from chfw_api.domain.calendar import add_months
from chfw_api.domain.campaign_events import (  # noqa: F401  (re-exported)
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
from chfw_api.domain.errors import IllegalTransition, Problem, ValidationFailed
from chfw_api.domain.incidents import PENDING_EFFECT, RolloutDecision
from chfw_api.domain.stages import (  # noqa: F401  (re-exported)
    ABANDONED,
    BEFORE_SAFE_LAUNCH,
    HAS_END_DATE,
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
NOTICE_MONTHS = 6  # BR1.2
MAX_PILOT_MONTHS = 6  # AD03


@dataclass(frozen=True)
class CplEntry:
    """The release as listed on the Central/Certified Products List."""

    manufacturer: str
    model: str
    version: str
    operational_or_security: bool = False
    release_id: str | None = None


@dataclass(frozen=True)
class Targeting:
    """Which hubs the release is for; empty `from_versions`/`regions` mean any."""

    device_models: tuple[str, ...]
    from_versions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionRecord:
    decision: RolloutDecision
    actor: str
    at: datetime
    reason: str
    incident_id: str | None = None


def _need(problems: list[Problem]) -> None:
    if problems:
        raise ValidationFailed("the campaign was not changed", problems)


def _aware(when: datetime, name: str) -> list[Problem]:
    return [] if when.tzinfo is not None else [Problem("must be an aware date-time", field=name)]


def _said(actor: str, reason: str) -> list[Problem]:
    problems = [] if actor.strip() else [Problem("must not be blank", field="actor")]
    return problems + ([] if reason.strip() else [Problem("must not be blank", field="reason")])


def _pilot_problems(start: datetime, end: datetime, now: datetime, auto: datetime) -> list[Problem]:
    problems = _aware(start, "pilot_start") + _aware(end, "pilot_end")
    if problems:
        return problems
    if start < now:
        problems.append(Problem("must not be in the past", field="pilot_start"))
    if end <= start:
        problems.append(Problem("must be after the pilot start", field="pilot_end"))
    elif end > add_months(start, MAX_PILOT_MONTHS):
        problems.append(Problem("a pilot lasts at most six months (AD03)", field="pilot_end"))
    if end > auto:
        problems.append(
            Problem("must not be after the automatic deployment date", field="pilot_end")
        )
    return problems


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
        problems = _aware(now, "now") + _said(actor, reason)
        _need(problems)
        auto = automatic_deployment_date or add_months(now, NOTICE_MONTHS)
        problems += _aware(auto, "automatic_deployment_date")
        if not problems and auto <= now:
            problems.append(Problem("must be in the future", field="automatic_deployment_date"))
        target = targeting or Targeting(device_models=(release.model,))
        if not target.device_models:
            problems.append(Problem("name at least one device model", field="device_models"))
        scheduled = pilot_start is not None or pilot_end is not None
        if release.operational_or_security and (with_pilot or scheduled):
            problems.append(Problem("operational and security releases are never piloted (AD03)"))
        elif (pilot_start is None) != (pilot_end is None):
            problems.append(Problem("give both pilot_start and pilot_end, or neither"))
        elif pilot_start is not None and pilot_end is not None and not problems:
            problems += _pilot_problems(pilot_start, pilot_end, now, auto)
        _need(problems)
        campaign = cls(
            campaign_id=campaign_id, release=release, targeting=target, stage=Stage.NOTIFIED,
            notified_at=now, automatic_deployment_date=auto, stage_changed_at=now,
            pilot_planned=with_pilot or scheduled, pilot_start=pilot_start, pilot_end=pilot_end,
            eligible_hubs=eligible_hubs,
        )  # fmt: skip
        campaign._emit(
            CampaignNotified(
                campaign_id=campaign_id,
                at=now,
                actor=actor,
                reason=reason,
                before=None,
                after=Stage.NOTIFIED,
                automatic_deployment_date=auto,
                pilot_planned=campaign.pilot_planned,
            )
        )
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
        return self.pilot_end is not None and self.effective_stage in (
            Stage.NOTIFIED,
            Stage.PILOTING,
        )

    @property
    def end_date(self) -> datetime:
        """What `delay_end` moves: a pending pilot's end, else the automatic date."""
        if self.pilot_pending and self.pilot_end is not None:
            return self.pilot_end
        return self.automatic_deployment_date

    @property
    def deploying_stage(self) -> DeploymentKind | None:
        if self.stage is Stage.PILOTING:
            return DeploymentKind.PILOT
        if self.stage is Stage.SAFE_LAUNCHING:
            return DeploymentKind.SAFE_LAUNCH
        return None

    def may_deploy(self, kind: DeploymentKind) -> bool:
        """Whether firmware of that kind may be distributed or activated now. False whenever the
        campaign is held (BR6.3/6.4) or finished: nothing deploys after stop/revoke/supersede."""
        return self.deploying_stage is kind

    def may_instruct(self, kind: DeploymentKind) -> bool:
        """Whether a supplier's instruction (SR 11.7) of that kind may be accepted now.

        Instructions may come ahead of their stage (BR3.1, BR3.8). A safe-launch instruction
        accepted while Notified with no pilot should be followed by `start_safe_launch`, since
        BR3.5 distributes at once. Held or finished campaigns accept none."""
        if kind is DeploymentKind.PILOT:
            return self.stage is Stage.PILOTING or (
                self.stage is Stage.NOTIFIED and self.pilot_planned
            )
        return self.stage in (
            Stage.NOTIFIED,
            Stage.PILOTING,
            Stage.PILOT_SUCCEEDED,
            Stage.SAFE_LAUNCHING,
        )

    def automatic_activation_at(self, kind: DeploymentKind) -> datetime | None:
        """DCC's automatic time for that kind, which instructions must precede (BR3.1, BR3.4).

        A pilot hub with no instruction activates within the pilot as the CSP schedules it, by
        the pilot's end at the latest: that end is the pilot's automatic time."""
        if kind is DeploymentKind.PILOT:
            return self.pilot_end if self.pilot_planned else None
        return self.automatic_deployment_date

    def is_superseded_by(self, release: CplEntry) -> bool:
        """AD13: another release of the same manufacturer's model, approved while this campaign
        has not begun safe launch. "Newer" is the caller's (approval order), not version order."""
        mine = self.release
        return (
            release.manufacturer == mine.manufacturer
            and (release.model == mine.model or release.model in self.targeting.device_models)
            and release.version != mine.version
            and Command.SUPERSEDE in self.allowed_commands()
        )

    def allowed_commands(self) -> list[Command]:
        return [command for command in MOVES[self.stage] if self._refusal(command) is None]

    # -- commands ------------------------------------------------------------------------------

    def schedule_pilot(
        self, *, start: datetime, end: datetime, now: datetime, actor: str, reason: str
    ) -> list[CampaignEvent]:
        """DCC sets the pilot period (AD03); `tick` starts the pilot at `start`."""
        self._require(Command.SCHEDULE_PILOT, now, actor, reason)
        _need(_pilot_problems(start, end, now, self.automatic_deployment_date))
        self.pilot_planned, self.pilot_start, self.pilot_end = True, start, end
        return self._move(Command.SCHEDULE_PILOT, PilotScheduled, now, actor, reason,
                          pilot_start=start, pilot_end=end)  # fmt: skip

    def start_pilot(self, *, now: datetime, actor: str, reason: str) -> list[CampaignEvent]:
        """Start a scheduled pilot now, ahead of its start; the end stays, still within AD03."""
        self._require(Command.START_PILOT, now, actor, reason)
        assert self.pilot_end is not None
        if self.pilot_end <= now:
            _need([Problem("the scheduled pilot end has passed", field="pilot_end")])
        if self.pilot_end > add_months(now, MAX_PILOT_MONTHS):
            _need([Problem("a pilot lasts at most six months (AD03)", field="pilot_end")])
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
            _need([Problem("must name the newer release", field="superseded_by")])
        self.ended_at, self.superseded_by = now, superseded_by
        return self._move(Command.SUPERSEDE, CampaignSuperseded, now, actor, reason,
                          superseded_by=superseded_by)  # fmt: skip

    def move_automatic_date(
        self, *, new_date: datetime, now: datetime, actor: str, reason: str
    ) -> list[CampaignEvent]:
        """BR1.2: earlier or later, but after `now` and not before a pending pilot's end."""
        self._require(Command.MOVE_AUTOMATIC_DATE, now, actor, reason)
        _need(_aware(new_date, "new_date"))
        problems: list[Problem] = []
        if new_date <= now:
            problems.append(Problem("must be in the future", field="new_date"))
        if new_date == self.automatic_deployment_date:
            problems.append(Problem("is already the automatic deployment date", field="new_date"))
        if self.pilot_pending and self.pilot_end and new_date < self.pilot_end:
            problems.append(Problem("must not precede the pilot end (AD12)", field="new_date"))
        if self._automatic_date_spent(now):
            problems.append(Problem("has passed and was acted on", field="new_date"))
        _need(problems)
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

        `new_end` is required for delay_end (later than `end_date`) and for resuming into a pilot
        whose end passed while held; optional otherwise for resume, refused for the rest."""
        command = Command(decision.value)
        self._require(command, now, actor, reason)
        problems: list[Problem] = [] if new_end is None else _aware(new_end, "new_end")
        _need(problems)
        takes_end = decision in (RolloutDecision.DELAY_END, RolloutDecision.RESUME)
        if new_end is None:
            if decision is RolloutDecision.DELAY_END:
                problems.append(Problem("give the new end date", field="new_end"))
            elif takes_end and self.pilot_pending and self.end_date <= now:
                problems.append(Problem("the pilot end passed while held; give a new end",
                                        field="new_end"))  # fmt: skip
        elif not takes_end:
            problems.append(Problem(f"a {decision} decision takes no end date", field="new_end"))
        else:
            if new_end <= now:
                problems.append(Problem("must be in the future", field="new_end"))
            if decision is RolloutDecision.DELAY_END and new_end <= self.end_date:
                problems.append(Problem("must be later than the current end", field="new_end"))
            start = self.pilot_start
            if self.pilot_pending and start and new_end <= start:
                problems.append(Problem("must be after the pilot start", field="new_end"))
            if self.pilot_pending and start and new_end > add_months(start, MAX_PILOT_MONTHS):
                problems.append(Problem("a pilot lasts at most six months (AD03)", field="new_end"))
            if not self.pilot_pending and self._automatic_date_spent(now):
                problems.append(Problem("the automatic date has passed", field="new_end"))
        _need(problems)
        moved_from: datetime | None = None
        if new_end is not None:
            moved_from = self.automatic_deployment_date
            if self.pilot_pending:
                self.pilot_end = new_end
                self.automatic_deployment_date = max(new_end, self.automatic_deployment_date)
            else:
                self.automatic_deployment_date = new_end
        if decision is RolloutDecision.STOP:
            self.ended_at = now
        self.last_decision = DecisionRecord(decision, actor, now, reason, incident_id)
        events = self._move(command, RolloutDecisionMade, now, actor, reason, decision=decision,
                            incident_id=incident_id, new_end=new_end,
                            pending_effect=PENDING_EFFECT[decision])  # fmt: skip
        if moved_from is not None and moved_from != self.automatic_deployment_date:
            events.append(self._emit(AutomaticDateMoved(
                campaign_id=self.campaign_id, at=now, actor=actor, reason=reason,
                before=self.stage, after=self.stage, previous_date=moved_from,
                new_date=self.automatic_deployment_date,
            )))  # fmt: skip
        return events

    def tick(self, now: datetime) -> list[CampaignEvent]:
        """Perform every automatic step due by `now`, each dated when it fell due (never before
        the last stage change). Idempotent: a second call with the same `now` finds nothing due."""
        _need(_aware(now, "now"))
        events: list[CampaignEvent] = []
        while True:
            stage, start, end = self.stage, self.pilot_start, self.pilot_end
            if stage is Stage.NOTIFIED and self.pilot_planned and start is not None:
                step, due = self._start_pilot, start
                why = "the scheduled pilot period began (AD03)"
            elif stage is Stage.NOTIFIED and not self.pilot_planned:
                step, due = self._start_safe_launch, self.automatic_deployment_date
                why = "the automatic deployment date was reached (BR1.2, BR3.6)"
            elif stage is Stage.PILOTING and end is not None:
                step, due = self._succeed_pilot, end
                why = "the pilot period ended with no failure declared (AD12)"
            elif stage is Stage.PILOT_SUCCEEDED:
                step, due = self._start_safe_launch, self.stage_changed_at
                why = "safe launch follows a successful pilot (AD12)"
            else:
                return events
            at = max(due, self.stage_changed_at)
            if at > now:
                return events
            events += step(at, SYSTEM_ACTOR, why)

    # -- machinery -----------------------------------------------------------------------------

    def _refusal(self, command: Command) -> str | None:
        """Guards that depend on the campaign, beyond its stage."""
        if command is Command.SCHEDULE_PILOT and self.release.operational_or_security:
            return "operational and security releases are never piloted (AD03)"
        if command is Command.START_PILOT and self.pilot_start is None:
            return "no pilot is scheduled"
        if command is Command.START_SAFE_LAUNCH and self.stage is Stage.NOTIFIED:
            return "this campaign must pilot first" if self.pilot_planned else None
        if command is Command.SUPERSEDE and self.effective_stage not in BEFORE_SAFE_LAUNCH:
            return "safe launch has begun (AD13)"
        if command is Command.DELAY_END and self.effective_stage not in HAS_END_DATE:
            return f"a campaign resuming to {self.effective_stage} has no end date to delay"
        return None

    def _automatic_date_spent(self, now: datetime) -> bool:
        """Once safe launch is under way and the date has passed, DCC has activated the hubs
        nobody instructed (BR3.6); moving the date then would rewrite history."""
        return (
            self.effective_stage is Stage.SAFE_LAUNCHING and self.automatic_deployment_date <= now
        )

    def _require(self, command: Command, now: datetime, actor: str, reason: str) -> None:
        why = self._refusal(command)
        if command not in MOVES[self.stage] or why is not None:
            error = IllegalTransition(
                current=self.stage.value,
                attempted=command.value,
                allowed=[c.value for c in self.allowed_commands()],
            )
            if why is not None:
                error.detail = f"{error.detail} ({why})"
                error.args = (error.detail,)
                error.extra["why"] = why
            raise error
        _need(_aware(now, "now") + _said(actor, reason))

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
        if after in HELD:
            self.resume_stage = self.effective_stage
        else:
            self.resume_stage = None
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


def campaigns_superseded_by(release: CplEntry, campaigns: Iterable[Campaign]) -> list[Campaign]:
    """The campaigns that approving `release` supersedes (AD13, A12); the caller then calls
    `supersede` on each, in the same transaction as the new release's notification."""
    return [campaign for campaign in campaigns if campaign.is_superseded_by(release)]
