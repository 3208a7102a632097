"""What each DCC Alert tells a Service User, independent of how it is encoded.

The service decides *that* an alert is due and fills one of these messages in the same
transaction as the change that causes it (X4); the `duis` adapter turns it into XML later, as
often as delivery needs. Keeping the content here, as plain frozen values, means the outbox can
store, replay and test alerts without an XML library.

Field order is the element order of the alert body in `schemas/chfw-alerts.xsd`; optional
fields are `None` (or an empty tuple) and then left out of the XML.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import datetime
from typing import ClassVar

from chfw_api.domain import incidents
from chfw_api.domain.alert_envelope import UPPER_EUI64, require_aware
from chfw_api.domain.alert_envelope import AlertEnvelope as AlertEnvelope
from chfw_api.domain.alert_envelope import PendingAlert as PendingAlert
from chfw_api.domain.alert_envelope import make_alert_id as make_alert_id
from chfw_api.domain.incidents import PendingEffect
from chfw_api.domain.planned_groups import PlannedGroup
from chfw_api.domain.releases import Priority, Severity
from chfw_api.domain.stages import DeploymentKind, Outcome

# The enums alerts carry are the ones the rules use; re-exported here for the alert's users.
Decision = incidents.RolloutDecision


class PilotPhase(enum.StrEnum):
    """Where a pilot is, for N74 (BR2.4): scheduled, started, in progress, ended."""

    SCHEDULED = "Scheduled"
    STARTED = "Started"
    PROGRESS = "Progress"
    ENDED = "Ended"


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """A firmware release as its Central/Certified Products List entry names it (BR1.1)."""

    manufacturer: str
    model: str
    version: str
    release_note_ref: str
    severity: Severity
    priority: Priority


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    """A time span and the hubs it covers: schedules are never per instant or per hub (C5)."""

    start: datetime
    end: datetime
    label: str | None
    guids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HubFailure:
    guid: str
    reason_code: str
    reason: str


@dataclass(frozen=True, slots=True)
class HubInstructionState:
    """One hub of an instruction. Says whether another supplier shares it, never who (BR3.3)."""

    guid: str
    second_supplier_exists: bool
    second_supplier_instructed: bool
    planned_activation_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """Base of every alert body. `code` is the default DCC Alert code for the message type."""

    code: ClassVar[str] = ""

    def __post_init__(self) -> None:
        _check_values(self)


@dataclass(frozen=True, slots=True)
class HubActivated(AlertMessage):
    """N63, DUIS `CommsHubFirmwareActivation` (AH, BR5.6). The code is configurable."""

    code: ClassVar[str] = "N63"
    guid: str
    firmware_version: str

    def __post_init__(self) -> None:
        # Built once per activated hub: a direct check, not the generic field walk.
        if not isinstance(self.guid, str) or UPPER_EUI64.fullmatch(self.guid) is None:
            raise ValueError(f"guid: {self.guid!r} is not an upper-case EUI-64 CH GUID")


@dataclass(frozen=True, slots=True)
class UpdateAvailable(AlertMessage):
    """N70 (A01, BR1.1-1.3): the counts are of the recipient's eligible hubs by role."""

    code: ClassVar[str] = "N70"
    campaign_id: str
    release: ReleaseInfo
    automatic_deployment_at: datetime
    eligible_as_import: int
    eligible_as_gas: int
    extract_reference: str


@dataclass(frozen=True, slots=True)
class NotificationRevoked(AlertMessage):
    """N71 (BR1.4)."""

    code: ClassVar[str] = "N71"
    campaign_id: str
    reason: str
    revoked_at: datetime


@dataclass(frozen=True, slots=True)
class DefaultPilotList(AlertMessage):
    """N72 (A02): only the recipient's hubs; DCC chooses for it after the due time (AD09)."""

    code: ClassVar[str] = "N72"
    campaign_id: str
    guids: tuple[str, ...]
    preferred_list_due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DefaultPilotSchedule(AlertMessage):
    """N73 (A03): the CSP's periods, and the constraints preferred schedules may use (AD07)."""

    code: ClassVar[str] = "N73"
    campaign_id: str
    periods: tuple[SchedulePeriod, ...]
    constraints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PilotStatus(AlertMessage):
    """N74 (BR2.4): pilot scheduled, started, in progress or ended, with per-hub failures."""

    code: ClassVar[str] = "N74"
    campaign_id: str
    phase: PilotPhase
    succeeded: int
    failed: int
    pending: int
    pilot_start_at: datetime | None = None
    pilot_end_at: datetime | None = None
    commentary: str | None = None
    failures: tuple[HubFailure, ...] = ()


@dataclass(frozen=True, slots=True)
class PilotOutcome(AlertMessage):
    """N75 (A06 success, A07 failure)."""

    code: ClassVar[str] = "N75"
    campaign_id: str
    outcome: Outcome
    succeeded: int
    failed: int
    commentary: str
    safe_launch_starts_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SafeLaunchSchedule(AlertMessage):
    """N76 (A08): set by the CSP; Service Users cannot change it (C2)."""

    code: ClassVar[str] = "N76"
    campaign_id: str
    periods: tuple[SchedulePeriod, ...]


@dataclass(frozen=True, slots=True)
class SafeLaunchOutcome(AlertMessage):
    """N77 (A09 success, A10 failure)."""

    code: ClassVar[str] = "N77"
    campaign_id: str
    outcome: Outcome
    succeeded: int
    failed: int
    commentary: str


@dataclass(frozen=True, slots=True)
class CampaignClosed(AlertMessage):
    """N78 (A11)."""

    code: ClassVar[str] = "N78"
    campaign_id: str
    closed_at: datetime
    activated: int
    failed: int
    commentary: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignSuperseded(AlertMessage):
    """N79 (A12, AD13): a newer release was approved; a running pilot is invalidated."""

    code: ClassVar[str] = "N79"
    campaign_id: str
    superseded_by: str
    superseding_version: str
    pilot_invalidated: bool
    commentary: str | None = None


@dataclass(frozen=True, slots=True)
class InstructionStatus(AlertMessage):
    """N80 (BR3.3, BR5.1): an instruction was received; what DCC now plans.

    `planned` gives each planned time with its hub count; `planned_activation_at` is the
    latest of them. `hubs` lists split hubs one by one only for a small instruction
    (`planned_groups.for_alert`); `hubs_in_report` says the detail is in SR 11.8 instead.
    The copy sent to a split hub's other supplier has no `requested_activation_at`: it learns
    only that a second supplier has instructed and what is now planned (BR3.3).
    """

    code: ClassVar[str] = "N80"
    campaign_id: str
    instruction_id: str
    stage: DeploymentKind
    requested_activation_at: datetime | None
    planned_activation_at: datetime | None
    accepted: int
    rejected: int
    hubs: tuple[HubInstructionState, ...] = ()
    planned: tuple[PlannedGroup, ...] = ()
    hubs_in_report: bool = False


@dataclass(frozen=True, slots=True)
class RolloutDecision(AlertMessage):
    """N81 (BR6.3-6.5): DCC's decision and what it means for the recipient's pending requests."""

    code: ClassVar[str] = "N81"
    campaign_id: str
    decision: incidents.RolloutDecision
    reason: str
    incident_id: str | None
    effect_on_pending_instructions: PendingEffect
    decided_at: datetime
    new_end_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ActivationFailure(AlertMessage):
    """N82 (BR2.4): one hub failed, with the CSP's reason."""

    code: ClassVar[str] = "N82"
    campaign_id: str
    guid: str
    reason_code: str
    reason: str
    failed_at: datetime
    firmware_version: str | None = None


@dataclass(frozen=True, slots=True)
class ReportReady(AlertMessage):
    """N83 (BR5.3): an asynchronous estate report can now be read."""

    code: ClassVar[str] = "N83"
    report_id: str
    fetch_reference: str
    rows: int
    expires_at: datetime | None = None


ALERT_TYPES: tuple[type[AlertMessage], ...] = (
    HubActivated,
    UpdateAvailable,
    NotificationRevoked,
    DefaultPilotList,
    DefaultPilotSchedule,
    PilotStatus,
    PilotOutcome,
    SafeLaunchSchedule,
    SafeLaunchOutcome,
    CampaignClosed,
    CampaignSuperseded,
    InstructionStatus,
    RolloutDecision,
    ActivationFailure,
    ReportReady,
)
"""Every alert message type, in code order."""

TYPE_BY_CODE: dict[str, type[AlertMessage]] = {t.code: t for t in ALERT_TYPES}


def _check_values(obj: object) -> None:
    """Reject values no alert may carry, at construction rather than at delivery time.

    Conventions by field name keep this generic: `guid`/`guids` are canonical upper-case EUI-64,
    datetimes are timezone-aware, integers are counts (never negative).
    """
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if f.name == "guid" or f.name == "guids":
            for guid in value if isinstance(value, tuple) else (value,):
                if not isinstance(guid, str) or UPPER_EUI64.fullmatch(guid) is None:
                    raise ValueError(f"{f.name}: {guid!r} is not an upper-case EUI-64 CH GUID")
        elif isinstance(value, datetime):
            require_aware(f.name, value)
        elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise ValueError(f"{f.name} is a count and cannot be negative, got {value}")
        elif isinstance(value, tuple):
            for item in value:
                if hasattr(item, "__dataclass_fields__"):
                    _check_values(item)
        elif hasattr(value, "__dataclass_fields__"):
            _check_values(value)
