"""The six SECMP0024 Service Requests (11.5-11.10) as typed commands, independent of XML.

The `duis` adapter reads a signed, schema-valid `sr:Request` into one of these; the use cases take
them as they are. Keeping the commands here, as frozen values of the standard library, means the
rules can be tested without an XML library and the XML cannot leak past the adapter.

Invariants every command holds, so a use case never re-checks them:

- GUIDs and User IDs are canonical upper-case EUI-64 (`identifiers.normalise_eui64`); order and
  repeats are kept as sent, because a repeated GUID is the supplier's mistake to be told about
  (BR5.2), not something to hide;
- date-times are aware (a time zone was given);
- the RequestID counter is 1 to 2^64-1 and the header names the command's Service Reference.

The results the use cases return live in `service_request_results`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, cast

from chfw_api.domain.errors import InvalidIdentifier
from chfw_api.domain.identifiers import (
    CANONICAL_EUI64_PATTERN,
    Guid,
    UserId,
    normalise_eui64,
    parse_guid,
    parse_user_id,
)
from chfw_api.domain.parties import CspRegion
from chfw_api.domain.releases import Severity
from chfw_api.domain.stages import DeploymentKind

MAX_COUNTER = 2**64 - 1
# Canonical GUIDs, each followed by a newline: one match checks a 50,000-GUID list in ~8 ms.
_CANONICAL_LIST = re.compile(f"(?:{CANONICAL_EUI64_PATTERN}\n)*")
_GUID_LENGTH = 23
_REQUEST_ID = re.compile(r"([^:]+):([^:]+):([0-9]{1,20})")


class ServiceReference(enum.StrEnum):
    """Our Service References; each is also its only Service Reference Variant."""

    SUBMIT_PREFERRED_PILOT_LIST = "11.5"
    SUBMIT_PREFERRED_PILOT_SCHEDULE = "11.6"
    INSTRUCT_DEPLOYMENT = "11.7"
    READ_FIRMWARE_STATUS = "11.8"
    READ_DASHBOARD = "11.9"
    RAISE_INCIDENT = "11.10"

    @property
    def minor(self) -> int:
        """5 for 11.5 ... 10 for 11.10: the NN of the request-specific codes E11NNxx."""
        return int(self.value.split(".")[1])


NON_DEVICE_COMMAND_VARIANT = 8
"""DUIS Command Variant 8: a Service Request answered by DCC itself (no device command), the
only variant that makes sense for 11.5-11.10; any other is refused with DUIS's E12."""


def normalise_guids(values: Iterable[str]) -> tuple[Guid, ...]:
    """Canonical upper-case GUIDs, in order, or `InvalidIdentifier` naming the first bad one.

    Checks the whole list with one regular-expression match (a 50,000-GUID 11.7 costs a few
    milliseconds); only when that fails does it look for the culprit one by one.
    """
    given = tuple(values)
    if _all_canonical(given):  # as sent, the usual case: no second copy of a long list
        return cast("tuple[Guid, ...]", given)
    upper = tuple(v.upper() for v in given)
    if _all_canonical(upper):
        return cast("tuple[Guid, ...]", upper)
    return tuple(parse_guid(v) for v in given)


def _all_canonical(guids: tuple[str, ...]) -> bool:
    """Every item canonical, checked 10,000 at a time: one match over a whole 300,000-GUID list
    grew the regular-expression engine's stack by some 50 MB."""
    return all(_canonical_slice(guids[i : i + 10_000]) for i in range(0, len(guids), 10_000))


def _canonical_slice(guids: tuple[str, ...]) -> bool:
    """The length check stops one item hiding a newline and a second."""
    joined = "\n".join(guids) + "\n"
    return (
        len(joined) == (_GUID_LENGTH + 1) * len(guids)
        and _CANONICAL_LIST.fullmatch(joined) is not None
    )


def _check_guids(guids: tuple[str, ...] | None, what: str) -> None:
    if guids and not _all_canonical(guids):
        bad = next(g for g in guids if not _all_canonical((g,)))
        raise InvalidIdentifier(f"{what}: {bad!r} is not a canonical upper-case CH GUID")


def _check_aware(value: datetime | None, what: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{what} must carry a time zone")


@dataclass(frozen=True, slots=True)
class RequestHeader:
    """What `sr:Header` says: who sent it, to whom, its counter (X3), and which SR it is."""

    request_id: str
    originator: UserId
    target: UserId
    counter: int
    command_variant: int
    service_reference: ServiceReference
    service_reference_variant: ServiceReference

    def __post_init__(self) -> None:
        if not 1 <= self.counter <= MAX_COUNTER:
            raise InvalidIdentifier(f"RequestID counter {self.counter} is outside 1 to 2^64-1")
        for what, value in (("originator", self.originator), ("target", self.target)):
            if parse_user_id(value) != value:
                raise InvalidIdentifier(f"RequestID {what} {value!r} is not upper case")

    @classmethod
    def parse(
        cls,
        request_id: str,
        *,
        command_variant: int,
        service_reference: ServiceReference,
        service_reference_variant: ServiceReference,
    ) -> RequestHeader:
        """Split `originator:target:counter`; `InvalidIdentifier` says which part is wrong."""
        text = request_id.strip()
        match = _REQUEST_ID.fullmatch(text)
        if match is None:
            raise InvalidIdentifier(
                f"RequestID {text!r} is not originator:target:counter "
                "(two EUI-64 User IDs and a counter 1 to 2^64-1)"
            )
        return cls(
            request_id=text,
            originator=UserId(normalise_eui64(match.group(1), what="RequestID originator")),
            target=UserId(normalise_eui64(match.group(2), what="RequestID target")),
            counter=int(match.group(3)),
            command_variant=command_variant,
            service_reference=service_reference,
            service_reference_variant=service_reference_variant,
        )


@dataclass(frozen=True, slots=True)
class _Command:
    """Base of the six commands: the header, checked against the command's own reference."""

    SERVICE_REFERENCE: ClassVar[ServiceReference]
    header: RequestHeader

    def __post_init__(self) -> None:
        if self.header.service_reference is not self.SERVICE_REFERENCE:
            raise ValueError(
                f"{type(self).__name__} is SR {self.SERVICE_REFERENCE}, "
                f"not {self.header.service_reference}"
            )


@dataclass(frozen=True, slots=True)
class PilotSelectionRules:
    """BR2.2: pick the pilot from the supplier's eligible hubs by count or share, narrowed by
    region and model, less listed GUIDs; the same seed over the same hubs gives the same pick."""

    hub_count: int | None = None
    percentage: Decimal | None = None
    regions: tuple[CspRegion, ...] = ()
    models: tuple[str, ...] = ()
    exclude: tuple[Guid, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if (self.hub_count is None) == (self.percentage is None):
            raise ValueError("selection rules take a hub count or a percentage, not both")
        if self.hub_count is not None and self.hub_count < 1:
            raise ValueError("hub count must be at least 1")
        if self.percentage is not None and not Decimal(0) < self.percentage <= Decimal(100):
            raise ValueError("percentage must be more than 0 and at most 100")
        if self.seed is not None and not 0 <= self.seed <= MAX_COUNTER:
            raise ValueError("seed must fit in 64 bits")
        _check_guids(self.exclude, "excluded GUID")


@dataclass(frozen=True, slots=True)
class SubmitPreferredPilotList(_Command):
    """11.5 (A04, BR2.1-2.3): an explicit list or selection rules; replaces the previous list."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = ServiceReference.SUBMIT_PREFERRED_PILOT_LIST
    campaign_id: str
    guids: tuple[Guid, ...] | None = None
    rules: PilotSelectionRules | None = None

    def __post_init__(self) -> None:
        super(SubmitPreferredPilotList, self).__post_init__()
        if (self.guids is None) == (self.rules is None):
            raise ValueError("a preferred pilot list has GUIDs or selection rules, not both")
        _check_guids(self.guids, "pilot list GUID")


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One period and the group of hubs it covers (C5, DD01), with published constraints."""

    start: datetime
    end: datetime
    label: str | None
    guids: tuple[Guid, ...]
    constraints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_aware(self.start, "period start")
        _check_aware(self.end, "period end")
        _check_guids(self.guids, "schedule GUID")


@dataclass(frozen=True, slots=True)
class SubmitPreferredPilotSchedule(_Command):
    """11.6 (A05, AD07, DD01): the supplier's preferred periods; the CSP has the final say (C1)."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = ServiceReference.SUBMIT_PREFERRED_PILOT_SCHEDULE
    campaign_id: str
    entries: tuple[ScheduleEntry, ...]

    def __post_init__(self) -> None:
        super(SubmitPreferredPilotSchedule, self).__post_init__()
        if not self.entries:
            raise ValueError("a preferred pilot schedule has at least one entry")


@dataclass(frozen=True, slots=True)
class InstructDeployment(_Command):
    """11.7 (BR3, BR4): named hubs (50,000+ per batch, BR3.7) or all eligible ones (BR3.8).

    A dry run validates and reports what would happen, and changes nothing.
    """

    SERVICE_REFERENCE: ClassVar[ServiceReference] = ServiceReference.INSTRUCT_DEPLOYMENT
    campaign_id: str
    stage: DeploymentKind
    requested_activation_at: datetime
    guids: tuple[Guid, ...] | None = None
    all_eligible: bool = False
    dry_run: bool = False

    def __post_init__(self) -> None:
        super(InstructDeployment, self).__post_init__()
        if (self.guids is None) != self.all_eligible:
            raise ValueError("an instruction names GUIDs or all eligible hubs, not both")
        _check_aware(self.requested_activation_at, "requested activation time")
        _check_guids(self.guids, "instructed GUID")


@dataclass(frozen=True, slots=True)
class ReadFirmwareStatus(_Command):
    """11.8 (BR5.3): a report of the supplier's estate, filtered, or one prepared earlier."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = ServiceReference.READ_FIRMWARE_STATUS
    campaign_id: str | None = None
    status: str | None = None
    guids: tuple[Guid, ...] | None = None
    report_id: str | None = None

    def __post_init__(self) -> None:
        super(ReadFirmwareStatus, self).__post_init__()
        filtered = (self.campaign_id, self.status, self.guids) != (None, None, None)
        if self.report_id is not None and filtered:
            raise ValueError("a report is read by its ID or by filters, not both")
        _check_guids(self.guids, "status GUID")


@dataclass(frozen=True, slots=True)
class ReadDashboard(_Command):
    """11.9 (BR5.4, BR5.5): every campaign in flight for this supplier, or one."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = ServiceReference.READ_DASHBOARD
    campaign_id: str | None = None


@dataclass(frozen=True, slots=True)
class RaiseIncident(_Command):
    """11.10 (BR6.2): always high priority; may ask DCC for an emergency stop."""

    SERVICE_REFERENCE: ClassVar[ServiceReference] = ServiceReference.RAISE_INCIDENT
    campaign_id: str
    severity: Severity
    description: str
    guids: tuple[Guid, ...] = ()
    emergency_stop: bool = False

    def __post_init__(self) -> None:
        super(RaiseIncident, self).__post_init__()
        _check_guids(self.guids, "incident GUID")


ServiceRequest = (
    SubmitPreferredPilotList
    | SubmitPreferredPilotSchedule
    | InstructDeployment
    | ReadFirmwareStatus
    | ReadDashboard
    | RaiseIncident
)
"""Any one of the six commands; `match` on the type to dispatch."""

COMMAND_TYPES: dict[ServiceReference, type[ServiceRequest]] = {
    t.SERVICE_REFERENCE: t
    for t in (
        SubmitPreferredPilotList,
        SubmitPreferredPilotSchedule,
        InstructDeployment,
        ReadFirmwareStatus,
        ReadDashboard,
        RaiseIncident,
    )
}
