"""Domain events: what happened, in the past tense, recorded by a use case on its unit of work.

A use case decides; it does not deliver. It records each event with `uow.record(event)`, and
the one handler table (`services/consequences.py`) says what each event causes: DCC Alerts into
the outbox, files to the CSPs through the gateway, audit rows. The handlers run inside the same
transaction, when the use case commits, so a consequence is kept exactly when its cause is.

An event that owes DCC Alerts carries them (`OwesAlerts.alerts`): who may read what is the
domain's rule (e.g. `domain/instruction_alerts.py`) and is settled where the facts are at hand.
The alert handler stores them in order and notes the IDs the outbox gave them in `stored`, the
one field a handler fills, for a use case that answers with alert IDs after it commits.
Campaign stage changes are `domain/campaign/events.py`'s; the aggregate appends them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chfw_api.domain.alerts import PendingAlert, SchedulePeriod
from chfw_api.domain.csp_uploads import UploadKind
from chfw_api.domain.guardrails import SliceKey
from chfw_api.domain.incidents import Incident, RolloutDecision
from chfw_api.domain.stages import DeploymentKind


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened; immutable, named in the past tense."""

    @property
    def name(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, kw_only=True)
class OwesAlerts(DomainEvent):
    """An event that owes DCC Alerts, composed when it happened, stored in this order."""

    at: datetime
    alerts: Sequence[PendingAlert] = ()
    stored: list[str] = field(default_factory=list, compare=False, repr=False)


# --- campaigns -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CampaignMoved(OwesAlerts):
    """A DCC command or the clock moved a campaign on: its stage events (already audited, one
    row each) and the alerts they owe (`campaign_alerts.alerts_for`)."""

    campaign_id: str
    actor: str
    action: str
    decisions: tuple[tuple[RolloutDecision, str], ...] = ()  # (decision, reason), for the CSPs


# --- pilot (SR 11.5, 11.6, AD09) -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PreferredPilotListAccepted(DomainEvent):
    """SR 11.5 accepted (A04): the list goes on to each CSP with the hubs on its network."""

    campaign_id: str
    supplier_code: str
    guids_by_csp: Mapping[str, Sequence[str]]
    at: datetime
    request_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class PilotScheduleAccepted(DomainEvent):
    """SR 11.6 accepted (A05): a request to each CSP, which keeps the final say (C1)."""

    campaign_id: str
    supplier_code: str
    periods_by_csp: Mapping[str, Sequence[SchedulePeriod]]
    at: datetime
    constraints: tuple[str, ...] = ()
    request_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class PilotListsChosenByDcc(OwesAlerts):
    """AD09: DCC chose the pilot hubs of suppliers silent for two months (N72 each)."""

    campaign_id: str


# --- instructions (SR 11.7, BR3.5, BR3.6) --------------------------------------------------


@dataclass(frozen=True)
class ForwardedHubs:
    """What the gateway queued for an instruction: file sequence numbers, hubs sent, and GUIDs
    held back because a guardrail paused their slice."""

    files: list[int]
    hubs: int
    held: list[str]


@dataclass(frozen=True, kw_only=True)
class HubsInstructed(DomainEvent):
    """Hubs have a settled plan (BR3.5): each CSP gets its own, in parts, then a manifest when
    `complete`. The handler notes what it queued in `forwarded`."""

    campaign_id: str
    instruction_id: str
    stage: DeploymentKind
    window_start: datetime
    window_end: datetime
    hubs_by_csp: Mapping[str, Sequence[tuple[str, datetime]]]
    at: datetime
    complete: bool = True
    forwarded: list[ForwardedHubs] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class InstructionRecorded(OwesAlerts):
    """SR 11.7 recorded: N80 to the instructing supplier and the other suppliers of its split
    hubs (BR5.1, BR3.3)."""

    campaign_id: str
    instruction_id: str


@dataclass(frozen=True, kw_only=True)
class InstructionChunkRecorded(OwesAlerts):
    """A chunk of a large instruction recorded by the worker: N80 to other suppliers."""

    campaign_id: str
    instruction_id: str


@dataclass(frozen=True, kw_only=True)
class InstructionJobFinished(OwesAlerts):
    """A large instruction's last chunk: N80 with its totals to the instructing supplier."""

    campaign_id: str
    instruction_id: str


# --- CSP gateway uploads, results, guardrails ----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CspUploadAccepted(OwesAlerts):
    """A CSP's upload (A02/A03/A08/A09...) stored: each supplier is told of its own hubs."""

    campaign_id: str
    kind: UploadKind


@dataclass(frozen=True, kw_only=True)
class ActivationResultsReceived(OwesAlerts):
    """A CSP's activation results applied: N63 / N82 per hub and supplier."""

    campaign_id: str


@dataclass(frozen=True, kw_only=True)
class PilotProgressReported(OwesAlerts):
    """BR2.4: the pilot counts after an upload, one N74 per supplier with pilot news."""

    campaign_id: str


@dataclass(frozen=True, kw_only=True)
class SliceDecisionMade(OwesAlerts):
    """A guardrail paused a slice, or DCC lifted a pause: N81 to the slice's suppliers and a
    slice file to each CSP with the slice's unfinished hubs (X2)."""

    campaign_id: str
    slice: SliceKey
    decision: RolloutDecision
    reason: str
    label: str
    hubs_by_csp: Mapping[str, Sequence[tuple[str, datetime | None]]]


# --- incidents -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IncidentRaised(DomainEvent):
    """SR 11.10: a supplier raised an incident on deployed firmware (BR6.2); DCC triages it."""

    incident: Incident
    at: datetime


# --- reports -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EstateReportReady(OwesAlerts):
    """An SR 11.8 report written in the background: N83 to the supplier that asked (#12)."""

    report_id: str
