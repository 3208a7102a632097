"""What the use cases answer to Service Requests 11.5-11.10, independent of XML.

Each result is shaped to what the response types in `schemas/chfw-duis.xsd` carry, so the `duis`
adapter renders it field by field and nothing is computed twice. Reasons are domain values
(`GuidReason`, `Refusal`); the adapter's one table (`duis/codes.py`) turns them into DUIS
response codes, so the rules never spell a wire code.

Where a request names GUIDs, the valid ones are processed and every rejected one is listed with
its reason (BR5.2): hence `rejected: tuple[GuidRejection, ...]` on every result that takes GUIDs.
A result with nothing accepted means nothing changed; the adapter answers it with an E code but
still lists every rejected GUID, because a whole-request rejection body holds at most 100 items.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from chfw_api.domain.errors import DomainError, Problem
from chfw_api.domain.parties import SupplierRole
from chfw_api.domain.planned_groups import PlannedGroup
from chfw_api.domain.releases import Priority
from chfw_api.domain.reports import SecondSupplier
from chfw_api.domain.service_requests import ServiceReference
from chfw_api.domain.stages import Stage

_SR = ServiceReference


class GuidReason(enum.StrEnum):
    """Why one named hub was not taken (BR5.2). Each SR gives only some (`GUID_REASONS`)."""

    UNKNOWN = "unknown"  # not in the Smart Metering Inventory
    NOT_RESPONSIBLE = "not-responsible"  # the supplier is neither its IS nor its GS (X2)
    DEVICE_STATUS = "device-status"  # its SMI status rules it out (e.g. Decommissioned)
    DUPLICATE = "duplicate"  # named more than once in this request
    NOT_ELIGIBLE = "not-eligible"  # not targeted by the campaign, or already on its firmware
    PILOT_EXCLUDED = "pilot-excluded"  # on the pilot exclusion list (RA03)
    ALREADY_IN_PILOT = "already-in-pilot"  # DCC put it in the pilot already (AD10)
    NOT_IN_PILOT = "not-in-pilot"  # a pilot schedule or instruction names a non-pilot hub
    IN_PILOT = "in-pilot"  # safe launch is every eligible hub less the pilot group (C4)
    ALREADY_INSTRUCTED = "already-instructed"  # this supplier instructed it in this campaign
    # Where a request only reads or reports on the supplier's own hubs (11.8, 11.10), saying
    # "unknown" apart from "another supplier's" would tell it which GUIDs are live hubs (X2).
    NOT_YOURS = "unknown-or-not-yours"


_COMMON_REASONS = frozenset(
    {GuidReason.UNKNOWN, GuidReason.NOT_RESPONSIBLE, GuidReason.DEVICE_STATUS, GuidReason.DUPLICATE}
)
GUID_REASONS: Mapping[ServiceReference, frozenset[GuidReason]] = {
    _SR.SUBMIT_PREFERRED_PILOT_LIST: _COMMON_REASONS
    | {GuidReason.NOT_ELIGIBLE, GuidReason.PILOT_EXCLUDED, GuidReason.ALREADY_IN_PILOT},
    _SR.SUBMIT_PREFERRED_PILOT_SCHEDULE: _COMMON_REASONS | {GuidReason.NOT_IN_PILOT},
    _SR.INSTRUCT_DEPLOYMENT: _COMMON_REASONS
    | {
        GuidReason.NOT_ELIGIBLE,
        GuidReason.NOT_IN_PILOT,
        GuidReason.IN_PILOT,
        GuidReason.ALREADY_INSTRUCTED,
    },
    _SR.READ_FIRMWARE_STATUS: frozenset({GuidReason.NOT_YOURS}),
    _SR.RAISE_INCIDENT: frozenset({GuidReason.NOT_YOURS}),
}
"""The per-GUID reasons each SR can give; 11.8 and 11.10 only ever say "not yours"."""


class Refusal(enum.StrEnum):
    """Why a whole Service Request was refused with nothing changed (X5)."""

    # Any SR (DUIS general codes keep their DUIS meaning).
    UNKNOWN_USER = "unknown-user"  # E1
    ROLE_NOT_ALLOWED = "role-not-allowed"  # E2
    USER_NOT_ACTIVE = "user-not-active"  # E3
    NOT_AUTHORISED_FOR_DEVICE = "not-authorised-for-device"  # E4
    DEVICE_UNKNOWN = "device-unknown"  # E19
    REPLAYED = "replayed"  # X3: counter not above the last one accepted
    CAMPAIGN_UNKNOWN = "campaign-unknown"
    CAMPAIGN_ENDED = "campaign-ended"
    # 11.5
    PILOT_LIST_CLOSED = "pilot-list-closed"
    PILOT_TOO_LARGE = "pilot-too-large"  # C3
    # 11.6
    SCHEDULE_CLOSED = "schedule-closed"
    PERIOD_INVALID = "period-invalid"  # C5
    CONSTRAINT_NOT_PUBLISHED = "constraint-not-published"  # AD07
    # 11.7
    INSTRUCTION_TOO_LATE = "instruction-too-late"  # BR3.4
    NOT_BEFORE_AUTOMATIC = "not-before-automatic"  # BR3.1, BR3.4
    BATCH_TOO_SMALL = "batch-too-small"  # BR3.7
    ACTIVATION_IN_PAST = "activation-in-past"
    STAGE_NOT_INSTRUCTABLE = "stage-not-instructable"
    ROLLOUT_HELD = "rollout-held"  # BR6.4, BR6.5
    # 11.8
    REPORT_UNKNOWN = "report-unknown"
    REPORT_NOT_READY = "report-not-ready"
    STATUS_UNKNOWN = "status-unknown"
    # 11.10
    INCIDENT_DEVICES = "incident-devices"
    NOTHING_DEPLOYED = "nothing-deployed"


class ServiceRequestRefused(DomainError):
    """A use case's refusal of a whole Service Request, with its reason and every problem."""

    code = "service-request-refused"

    def __init__(
        self,
        refusal: Refusal,
        detail: str,
        problems: tuple[Problem, ...] = (),
        *,
        rejected: tuple[GuidRejection, ...] = (),
        **extra: Any,
    ) -> None:
        super().__init__(detail, refusal=refusal.value, **extra)
        self.refusal = refusal
        self.problems = problems
        self.rejected = rejected


@dataclass(frozen=True, slots=True)
class GuidRejection:
    """One named hub that was not taken, why (`code`), and a sentence for a person."""

    guid: str
    code: GuidReason
    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError(f"rejection of {self.guid} needs a reason a person can act on")


def _check(result: object, sr: ServiceReference, rejected: tuple[GuidRejection, ...]) -> None:
    allowed = GUID_REASONS[sr]
    wrong = {r.code for r in rejected} - allowed
    if wrong:
        names = ", ".join(sorted(wrong))
        raise ValueError(f"{type(result).__name__} (SR {sr}) cannot reject a GUID as {names}")


def _non_negative(**counts: int | None) -> None:
    for name, value in counts.items():
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True, slots=True)
class PilotListResult:
    """11.5: how many hubs are now the supplier's preferred pilot list, and who was left out."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = _SR.SUBMIT_PREFERRED_PILOT_LIST
    accepted: int
    rejected: tuple[GuidRejection, ...] = ()

    def __post_init__(self) -> None:
        _non_negative(accepted=self.accepted)
        _check(self, self.SERVICE_REFERENCE, self.rejected)


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    """11.6: entries and hubs taken into the preferred schedule, and the hubs left out."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = _SR.SUBMIT_PREFERRED_PILOT_SCHEDULE
    accepted_entries: int
    accepted_devices: int
    rejected: tuple[GuidRejection, ...] = ()

    def __post_init__(self) -> None:
        _non_negative(entries=self.accepted_entries, devices=self.accepted_devices)
        _check(self, self.SERVICE_REFERENCE, self.rejected)


@dataclass(frozen=True, slots=True)
class InstructionResult:
    """11.7: what was instructed (or, in a dry run, would be), when it activates, and the hubs
    waiting for a second supplier (BR3.3: how many, never who). A dry run records nothing, so
    it has no instruction ID. Hubs planned differently are told apart in `planned` (each time
    with its hub count); `planned_activation_at` is the latest of those times."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = _SR.INSTRUCT_DEPLOYMENT
    dry_run: bool
    accepted: int
    rejected: tuple[GuidRejection, ...] = ()
    instruction_id: str | None = None
    planned_activation_at: datetime | None = None
    awaiting_second_supplier: int | None = None
    planned: tuple[PlannedGroup, ...] = ()
    # A large instruction (AllEligible, or a list naming more GUIDs than a chunk): recorded
    # and answered now (I99, a named list with its rejected GUIDs and accepted count), completed
    # by the worker in chunks; its N80 gives the totals when done (issue #12).
    deferred: bool = False

    def __post_init__(self) -> None:
        _non_negative(accepted=self.accepted, awaiting=self.awaiting_second_supplier)
        _check(self, self.SERVICE_REFERENCE, self.rejected)
        if self.dry_run and self.instruction_id is not None:
            raise ValueError("a dry run records nothing, so it has no instruction ID")
        if self.deferred and (self.dry_run or self.instruction_id is None):
            raise ValueError("a deferred instruction is recorded: it has an instruction ID")
        if self.planned_activation_at is not None and self.planned_activation_at.tzinfo is None:
            raise ValueError("planned activation time must carry a time zone")


@dataclass(frozen=True, slots=True)
class HubStatus:
    """One hub of a status report (BR5.3); `roles` is the supplier's own role(s) for it.
    `planned_at` is when it is planned to activate; `second_supplier` whether a split hub's
    other supplier has instructed, never who (BR3.3)."""

    guid: str
    roles: frozenset[SupplierRole]
    firmware_version: str
    campaign_id: str | None = None
    status: str | None = None
    status_at: datetime | None = None
    planned_at: datetime | None = None
    second_supplier: SecondSupplier | None = None

    def __post_init__(self) -> None:
        if not self.roles:
            raise ValueError(f"hub {self.guid} is reported to a supplier with no role for it")


@dataclass(frozen=True, slots=True)
class StatusReport:
    """11.8 answered at once. `rejected` lists each named GUID left out as unknown or not the
    supplier's, never saying which of the two (X2). Read by ReportID, `total` is the report's
    size and `hubs` only its first rows: the whole report is its CSV file."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = _SR.READ_FIRMWARE_STATUS
    generated_at: datetime
    hubs: tuple[HubStatus, ...] = ()
    report_id: str | None = None
    rejected: tuple[GuidRejection, ...] = ()
    total: int | None = None

    def __post_init__(self) -> None:
        _check(self, self.SERVICE_REFERENCE, self.rejected)
        if self.total is not None and self.total < len(self.hubs):
            raise ValueError(f"a report of {self.total} hubs cannot list {len(self.hubs)}")

    @property
    def hub_count(self) -> int:
        return len(self.hubs) if self.total is None else self.total


@dataclass(frozen=True, slots=True)
class ReportPending:
    """11.8 answered later (I99): alert N83 says when the report can be read by this ID."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = _SR.READ_FIRMWARE_STATUS
    report_id: str


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: str
    count: int

    def __post_init__(self) -> None:
        _non_negative(count=self.count)


@dataclass(frozen=True, slots=True)
class OutstandingAction:
    """Something this supplier still has to do, and by when (BR5.4)."""

    action: str
    due_at: datetime

    def time_left(self, at: datetime) -> timedelta:
        """Negative once overdue: the dashboard says by how much."""
        return self.due_at - at


class Actor(enum.StrEnum):
    DCC = "DCC"
    CSP = "CSP"
    OTHER_SUPPLIER = "OtherSupplier"  # of a split hub; never named (BR3.3)


@dataclass(frozen=True, slots=True)
class OtherActorAction:
    """The next thing another actor will do, and when (BR5.5)."""

    actor: Actor
    action: str
    next_action_at: datetime


@dataclass(frozen=True, slots=True)
class CampaignDashboard:
    """One campaign in flight as this supplier sees it (BR5.4, BR5.5)."""

    campaign_id: str
    stage: Stage
    firmware_version: str
    automatic_activation_at: datetime
    counts: tuple[StatusCount, ...] = ()
    outstanding: tuple[OutstandingAction, ...] = ()
    others: tuple[OtherActorAction, ...] = ()


@dataclass(frozen=True, slots=True)
class Dashboard:
    """11.9. Time left on each outstanding action is counted from `generated_at`."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = _SR.READ_DASHBOARD
    generated_at: datetime
    campaigns: tuple[CampaignDashboard, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentRaised:
    """11.10: the incident's ID; its priority is always high (BR6.2)."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = _SR.RAISE_INCIDENT
    incident_id: str
    priority: Priority = Priority.HIGH
    emergency_stop_requested: bool = False


@dataclass(frozen=True, slots=True)
class RejectionProblem:
    text: str
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A whole request refused: the response code, one sentence, each problem found, and each
    GUID that caused it (BR5.2: every one, where problems stop at 100)."""

    code: str
    reason: str
    problems: tuple[RejectionProblem, ...] = ()
    rejected: tuple[GuidRejection, ...] = ()


ServiceResult = (
    PilotListResult
    | ScheduleResult
    | InstructionResult
    | StatusReport
    | ReportPending
    | Dashboard
    | IncidentRaised
    | Rejection
)
"""Anything a Service Request is answered with."""
