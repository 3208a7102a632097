"""The one table of DUIS response codes, and how errors and results map onto it (house rule 6).

DUIS general codes keep their DUIS meaning (E1 unknown User, E2 role not allowed for the SR, E3
User not active, E4 not authorised for the device, E5 device status incompatible, E12 invalid
Command Variant, E19 device not known). Our own codes follow DUIS's request-specific pattern
`E11NNxx` / `W11NNxx`, NN being the SR's minor number (05 to 10); NN = 00 marks codes common to
all of 11.5-11.10 (reading, header, signature and campaign checks). Within an SR, xx 01-09 are
whole-request codes and xx 11-19 per-GUID reasons (BR5.2).

`docs/response-codes.md` lists every code here; a test keeps the two identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chfw_api.domain.errors import (
    DomainError,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from chfw_api.domain.service_request_results import (
    Dashboard,
    GuidReason,
    IncidentRaised,
    InstructionResult,
    PilotListResult,
    Refusal,
    Rejection,
    RejectionProblem,
    ReportPending,
    ScheduleResult,
    ServiceRequestRefused,
    ServiceResult,
    StatusReport,
)
from chfw_api.domain.service_requests import ServiceReference
from chfw_api.duis import errors as xml

ALL = "all"
MAX_PROBLEMS = 100
"""`RequestRejection` carries at most 100 `Problem` elements (schema)."""


@dataclass(frozen=True, slots=True)
class ResponseCode:
    """One code: its meaning, the SRs that use it, and the HTTP status of a response carrying
    it (None: only ever a per-GUID `ReasonCode`, inside a response with its own code)."""

    code: str
    meaning: str
    service_references: str
    http_status: int | None
    per_device: bool = False


def _c(
    code: str, sr: str, status: int | None, meaning: str, *, device: bool = False
) -> tuple[str, ResponseCode]:
    return code, ResponseCode(code, meaning, sr, status, device)


def _table(*rows: tuple[str, ResponseCode]) -> dict[str, ResponseCode]:
    table: dict[str, ResponseCode] = {}
    for code, info in rows:
        if code in table:
            raise ValueError(f"response code {code} is defined twice")
        table[code] = info
    return table


CODES: Mapping[str, ResponseCode] = _table(
        _c("I0", ALL, 200, "processed"),
        _c("I99", "11.7, 11.8", 202, "accepted for asynchronous processing; alert N83 (11.8) "
           "or N80 (11.7) follows"),
        # DUIS general codes, DUIS meanings.
        _c("E1", ALL, 403, "unknown User: the RequestID originator is not a registered "
           "Service User, or not the party whose API key sent the request"),
        _c("E2", ALL, 403, "User role not allowed for this Service Request (only "
           "Suppliers send 11.5-11.10)"),
        _c("E3", ALL, 403, "User not active (suspended)"),
        _c("E4", ALL, 403, "not authorised for this device: the User is neither its Import "
           "nor its Gas Supplier", device=True),
        _c("E5", "11.5, 11.6, 11.7", None, "device status (SMI) incompatible with this "
           "Service Request", device=True),
        _c("E12", ALL, 400, "invalid Command Variant: 11.5-11.10 take Command Variant 8"),
        _c("E19", ALL, 404, "device not known: the GUID is not in the Smart Metering "
           "Inventory", device=True),
        # Common to 11.5-11.10: reading the body (raised by the hardened parser).
        _c(xml.NOT_WELL_FORMED, ALL, 400, xml.CODES[xml.NOT_WELL_FORMED]),
        _c(xml.FORBIDDEN_DTD, ALL, 400, xml.CODES[xml.FORBIDDEN_DTD]),
        _c(xml.TOO_LARGE, ALL, 413, xml.CODES[xml.TOO_LARGE]),
        _c(xml.TOO_MANY_GUIDS, ALL, 413, xml.CODES[xml.TOO_MANY_GUIDS]),
        _c(xml.TOO_DEEP, ALL, 400, xml.CODES[xml.TOO_DEEP]),
        _c(xml.SCHEMA_INVALID, ALL, 400, xml.CODES[xml.SCHEMA_INVALID]),
        _c(xml.WRONG_ROOT, ALL, 400, xml.CODES[xml.WRONG_ROOT]),
        # Common: the header.
        _c("E110007", ALL, 400, "ServiceReference, ServiceReferenceVariant and the body "
           "element do not name the same Service Request"),
        _c("E110008", ALL, 400, "FirstInSequence / PrecedingServiceRequestID: sequenced "
           "requests are not supported for 11.5-11.10"),
        _c("E110009", ALL, 400, "a date-time without a time zone, or outside years 1-9999"),
        _c("E110010", ALL, 400, "the RequestID target is not the DCC User ID"),
        _c("E110011", ALL, 409, "RequestID counter not above the last one accepted from "
           "this originator: a duplicate or replay, not acted on (X3)"),
        # Common: the XML Signature.
        _c("E110012", ALL, 403, "signature missing: this User has a registered signing "
           "certificate, so its requests must be signed"),
        _c("E110013", ALL, 400, "signature not in the required scheme (one enveloped "
           "signature, Reference URI \"\", exclusive C14N, SHA-256, ECDSA-SHA256, "
           "KeyInfo/X509Data/X509IssuerSerial)"),
        _c("E110014", ALL, 403, "X509IssuerSerial does not name the originator's registered "
           "certificate"),
        _c("E110015", ALL, 403, "signature does not verify: the content changed after "
           "signing (digest mismatch) or another key signed it"),
        _c("E110016", ALL, 403, "the originator's registered certificate cannot be used "
           "(expired, not yet valid, or not an ECDSA P-256 key)"),
        # Common: the campaign and the rules.
        _c("E110017", ALL, 404, "the campaign (or other item) named is not known to this User"),
        _c("E110018", ALL, 409, "the campaign has ended (closed, stopped, revoked or "
           "superseded) and takes no more requests"),
        _c("E110019", ALL, 422, "the request breaks a rule; the problems say which"),
        # 11.5 Submit Preferred Pilot List.
        _c("E110501", "11.5", 409, "the campaign takes no preferred pilot list now (no pilot "
           "for this release, AD03, or the pilot has started)"),
        _c("E110502", "11.5", 422, "the pilot list is larger than the campaign's maximum "
           "pilot size (C3)"),
        _c("E110503", "11.5", 422, "no hub accepted (every GUID rejected, or the rules "
           "matched none); the previous list stands"),
        _c("W110501", "11.5", 200, "list replaced; some GUIDs were rejected, each listed"),
        _c("E110511", "11.5", None, "GUID named more than once", device=True),
        _c("E110512", "11.5", None, "hub not eligible for this campaign (model or firmware "
           "not targeted, or already updated)", device=True),
        _c("E110513", "11.5", None, "hub on the pilot exclusion list (RA03)", device=True),
        _c("E110514", "11.5", None, "hub already in the pilot, chosen by DCC (AD10)",
           device=True),
        # 11.6 Submit Preferred Pilot Schedule.
        _c("E110601", "11.6", 409, "the campaign takes no preferred pilot schedule now (no "
           "pilot, or the pilot has started)"),
        _c("E110602", "11.6", 422, "a period ends before it starts or lies outside the pilot "
           "window (C5)"),
        _c("E110603", "11.6", 422, "a constraint is not in the campaign's published set (AD07)"),
        _c("E110604", "11.6", 422, "no hub accepted; the previous schedule stands"),
        _c("W110601", "11.6", 200, "schedule taken; some GUIDs were rejected, each listed"),
        _c("E110611", "11.6", None, "GUID named more than once (in one or several entries)",
           device=True),
        _c("E110612", "11.6", None, "hub not in this supplier's pilot group", device=True),
        # 11.7 Instruct CH Firmware Deployment.
        _c("E110701", "11.7", 422, "instruction too late: less than one month before DCC's "
           "automatic activation time (BR3.4)"),
        _c("E110702", "11.7", 422, "requested activation time not earlier than DCC's "
           "automatic activation time (BR3.1, BR3.4)"),
        _c("E110703", "11.7", 422, "fewer than 50,000 GUIDs in an explicit safe-launch batch "
           "(BR3.7); name more, or use AllEligible"),
        _c("E110704", "11.7", 422, "requested activation time has already passed"),
        _c("E110705", "11.7", 409, "the campaign has no such stage left to instruct (e.g. a "
           "Pilot instruction without a pilot, or after it)"),
        _c("E110706", "11.7", 409, "roll-out paused or suspended: no instruction is taken "
           "until DCC resumes it (BR6.4, BR6.5)"),
        _c("E110707", "11.7", 422, "no hub accepted (every GUID rejected, or none eligible); "
           "nothing instructed"),
        _c("W110701", "11.7", 200, "instructed (or dry run); some GUIDs were rejected, each "
           "listed"),
        _c("E110711", "11.7", None, "GUID named more than once", device=True),
        _c("E110712", "11.7", None, "hub not eligible for this campaign (not targeted, or "
           "already updated)", device=True),
        _c("E110713", "11.7", None, "Pilot instruction for a hub outside the pilot group",
           device=True),
        _c("E110714", "11.7", None, "SafeLaunch instruction for a hub of the pilot group (C4)",
           device=True),
        _c("E110715", "11.7", None, "hub already instructed by this supplier in this campaign",
           device=True),
        # 11.8 Read CH Firmware Status.
        _c("E110801", "11.8", 404, "no report with that ID for this User (unknown, another "
           "User's, or expired)"),
        _c("E110802", "11.8", 409, "the report is still being prepared; read it after alert "
           "N83"),
        _c("E110803", "11.8", 422, "FirmwareStatus is not a known status"),
        _c("W110801", "11.8", 200, "reported; some named hubs were left out as unknown or "
           "not this User's (X2: which is not said), each listed"),
        _c("E110811", "11.8", None, "hub not known or not this User's (X2: which is not said)",
           device=True),
        # 11.10 Raise CH Firmware Incident.
        _c("E111001", "11.10", 422, "a named GUID is not known or not this User's; nothing "
           "recorded (each listed)"),
        _c("E111002", "11.10", 409, "nothing of this campaign is deployed yet: an incident "
           "concerns deployed firmware (BR6.2)"),
        _c("E111011", "11.10", None, "hub not known or not this User's (X2: which is not said)",
           device=True),
)  # fmt: skip
"""Every response code this service sends, by code."""

REFUSAL_CODES: Mapping[Refusal, str] = {
    Refusal.UNKNOWN_USER: "E1",
    Refusal.ROLE_NOT_ALLOWED: "E2",
    Refusal.USER_NOT_ACTIVE: "E3",
    Refusal.NOT_AUTHORISED_FOR_DEVICE: "E4",
    Refusal.DEVICE_UNKNOWN: "E19",
    Refusal.REPLAYED: "E110011",
    Refusal.CAMPAIGN_UNKNOWN: "E110017",
    Refusal.CAMPAIGN_ENDED: "E110018",
    Refusal.PILOT_LIST_CLOSED: "E110501",
    Refusal.PILOT_TOO_LARGE: "E110502",
    Refusal.SCHEDULE_CLOSED: "E110601",
    Refusal.PERIOD_INVALID: "E110602",
    Refusal.CONSTRAINT_NOT_PUBLISHED: "E110603",
    Refusal.INSTRUCTION_TOO_LATE: "E110701",
    Refusal.NOT_BEFORE_AUTOMATIC: "E110702",
    Refusal.BATCH_TOO_SMALL: "E110703",
    Refusal.ACTIVATION_IN_PAST: "E110704",
    Refusal.STAGE_NOT_INSTRUCTABLE: "E110705",
    Refusal.ROLLOUT_HELD: "E110706",
    Refusal.REPORT_UNKNOWN: "E110801",
    Refusal.REPORT_NOT_READY: "E110802",
    Refusal.STATUS_UNKNOWN: "E110803",
    Refusal.INCIDENT_DEVICES: "E111001",
    Refusal.NOTHING_DEPLOYED: "E111002",
}

_SR = ServiceReference
_GENERAL_DEVICE = {
    GuidReason.UNKNOWN: "E19",
    GuidReason.NOT_RESPONSIBLE: "E4",
    GuidReason.DEVICE_STATUS: "E5",
}
DEVICE_CODES: Mapping[ServiceReference, Mapping[GuidReason, str]] = {
    _SR.SUBMIT_PREFERRED_PILOT_LIST: _GENERAL_DEVICE
    | {
        GuidReason.DUPLICATE: "E110511",
        GuidReason.NOT_ELIGIBLE: "E110512",
        GuidReason.PILOT_EXCLUDED: "E110513",
        GuidReason.ALREADY_IN_PILOT: "E110514",
    },
    _SR.SUBMIT_PREFERRED_PILOT_SCHEDULE: _GENERAL_DEVICE
    | {GuidReason.DUPLICATE: "E110611", GuidReason.NOT_IN_PILOT: "E110612"},
    _SR.INSTRUCT_DEPLOYMENT: _GENERAL_DEVICE
    | {
        GuidReason.DUPLICATE: "E110711",
        GuidReason.NOT_ELIGIBLE: "E110712",
        GuidReason.NOT_IN_PILOT: "E110713",
        GuidReason.IN_PILOT: "E110714",
        GuidReason.ALREADY_INSTRUCTED: "E110715",
    },
    _SR.READ_FIRMWARE_STATUS: {GuidReason.NOT_YOURS: "E110811"},
    _SR.RAISE_INCIDENT: {GuidReason.NOT_YOURS: "E111011"},
}
"""The `ReasonCode` of a rejected GUID, per SR (the reasons each SR gives: `GUID_REASONS`)."""

# Most specific first: the fallback for domain errors that are not a `ServiceRequestRefused`.
ERROR_CODES: tuple[tuple[type[DomainError], str], ...] = (
    (Unauthenticated, "E1"),
    (Forbidden, "E2"),
    (NotFound, "E110017"),
    (ValidationFailed, "E110019"),
    (DomainError, "E110019"),
)

# (result type, when nothing was accepted, when some GUIDs were rejected)
_PARTIAL: dict[type[object], tuple[str, str]] = {
    PilotListResult: ("E110503", "W110501"),
    ScheduleResult: ("E110604", "W110601"),
    InstructionResult: ("E110707", "W110701"),
}


def device_code(reason: GuidReason, service_reference: ServiceReference) -> str:
    """The `ReasonCode` for one rejected GUID of that SR."""
    try:
        return DEVICE_CODES[service_reference][reason]
    except KeyError:
        raise ValueError(f"SR {service_reference} does not reject a GUID as {reason}") from None


def error_code(error: DomainError | xml.XmlRejected) -> str:
    """The response code for an error: its own for XML refusals, else by refusal or class."""
    if isinstance(error, xml.XmlRejected):
        return error.code
    if isinstance(error, ServiceRequestRefused):
        return REFUSAL_CODES[error.refusal]
    return next(code for cls, code in ERROR_CODES if isinstance(error, cls))


def outcome_code(result: ServiceResult) -> str:
    """The response code of a result: I0, I99, a W code for partly taken lists, or an E code
    when nothing was taken (nothing changed, but every rejected GUID is still listed)."""
    if isinstance(result, Rejection):
        return result.code
    if isinstance(result, ReportPending):
        return "I99"
    if isinstance(result, InstructionResult) and result.deferred:
        return "I99"
    if isinstance(result, StatusReport):
        return "W110801" if result.rejected else "I0"
    if isinstance(result, Dashboard | IncidentRaised):
        return "I0"
    none_taken, some_rejected = _PARTIAL[type(result)]
    taken = result.accepted_devices if isinstance(result, ScheduleResult) else result.accepted
    if taken == 0:
        return none_taken
    return some_rejected if result.rejected else "I0"


def http_status(code: str) -> int:
    """The HTTP status of a response whose ResponseCode is `code`."""
    status = CODES[code].http_status
    if status is None:
        raise ValueError(f"{code} is a per-GUID reason, never a response's own code")
    return status


def rejection(error: DomainError | xml.XmlRejected) -> Rejection:
    """The whole-request rejection for an error, each problem kept (at most 100, the last
    one saying how many more there were)."""
    code = error_code(error)
    if isinstance(error, xml.XmlRejected):
        reason = error.reason
        found = [RejectionProblem(p.message, _where(p.line, p.path)) for p in error.problems]
    else:
        reason = error.detail
        problems = getattr(error, "problems", ())
        found = [RejectionProblem(p.reason, _location(p.location, p.field)) for p in problems]
    if len(found) > MAX_PROBLEMS:
        more = len(found) - (MAX_PROBLEMS - 1)
        found = [*found[: MAX_PROBLEMS - 1], RejectionProblem(f"and {more} more problems")]
    return Rejection(code, reason, tuple(found), getattr(error, "rejected", ()))


def _where(line: int | None, path: str | None) -> str | None:
    parts = [f"line {line}"] if line is not None else []
    return ", ".join([*parts, path] if path else parts) or None


def _location(location: str | None, field: str | None) -> str | None:
    return ", ".join(p for p in (location, field) if p) or None
