"""Results of Service Requests as DUIS-shaped `sr:Response` documents.

Header, as DUIS answers a request: `RequestID` echoed and `ResponseID` (both left out only when
the body was too broken to find a RequestID: a ResponseID's counter must be one the request
gave), `ResponseCode` (I0, I99, W..., E...: `codes.outcome_code`),
`ResponseDateTime`. Body: `sr:ResponseMessage` naming the SR again, then the result element.

Every response is validated against our schema before it leaves (`check`, on by default): a
response a Service User's parser would choke on is a bug here, and fails loudly as
`ResponseInvalid` rather than on the far side. Free text (reasons, actions) is made XML-safe and
cut to the schema's lengths, because it can come from operators, CSPs or exception messages.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from lxml import etree

from chfw_api.domain.errors import DomainError
from chfw_api.domain.parties import SupplierRole
from chfw_api.domain.service_request_results import (
    Dashboard,
    GuidRejection,
    IncidentRaised,
    InstructionResult,
    PilotListResult,
    Rejection,
    ReportPending,
    ScheduleResult,
    ServiceResult,
    StatusReport,
)
from chfw_api.domain.service_requests import ServiceReference
from chfw_api.duis.alerts import Signer, format_datetime
from chfw_api.duis.codes import device_code, outcome_code, rejection
from chfw_api.duis.errors import XmlProblem, XmlRejected
from chfw_api.duis.schema import NS_SR, SCHEMA_VERSION, validate

SHORT_TEXT = 256
TEXT = 4000
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class ResponseInvalid(ValueError):
    """A rendered response failed our schema: a bug or out-of-range content, never sent."""

    def __init__(self, rejected: XmlRejected) -> None:
        super().__init__(f"response does not render valid XML: {rejected.reason}")
        self.problems: tuple[XmlProblem, ...] = rejected.problems


def _q(name: str) -> str:
    return f"{{{NS_SR}}}{name}"


def clean_text(value: str, limit: int = TEXT) -> str:
    """XML-safe (illegal characters become U+FFFD), non-empty, at most `limit` characters."""
    text = _NOT_XML_CHAR.sub("\ufffd", value).strip() or "-"
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def format_duration(value: timedelta) -> str:
    """xs:duration, negative once overdue (BR5.4): `P2DT3H`, `-PT1H30M`, `PT0S`."""
    micros = abs(value) // timedelta(microseconds=1)
    if micros == 0:
        return "PT0S"
    days, rest = divmod(micros, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or fraction:
        time += f"{seconds}.{fraction:06d}".rstrip("0").rstrip(".") + "S"
    sign = "-" if value < timedelta(0) else ""
    return f"{sign}P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def _add(parent: etree._Element, name: str, value: object) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, datetime):
        element.text = format_datetime(value)
    elif value is not None:
        element.text = str(value)
    return element


def _optional(parent: etree._Element, name: str, value: object) -> None:
    if value is not None:
        _add(parent, name, value)


_REJECTED_DEVICE, _DEVICE_ID, _REASON_CODE, _REASON_TEXT = (
    _q(n) for n in ("RejectedDevice", "DeviceID", "ReasonCode", "ReasonText")
)


TREE_REJECTIONS = 1_000
"""Rejected devices built as tree elements; the rest are written as text into the serialised
response (`_splice_rejections`). A 300,000-GUID refusal built as a tree was some 1.2 million
elements (~300 MB); the first thousand, validated, prove the shape the rest repeat."""

_SPLICE = "chfw-rejected-devices"
_SPLICE_MARK = f"<!--{_SPLICE}-->".encode()


class _Rejections:
    """Codes and cleaned reason texts worked out once per distinct value: a hot path."""

    def __init__(self, sr: ServiceReference) -> None:
        self.sr = sr
        self.codes: dict[object, str] = {}
        self.reasons: dict[str, str] = {}

    def code(self, item: GuidRejection) -> str:
        code = self.codes.get(item.code)
        if code is None:
            code = self.codes[item.code] = device_code(item.code, self.sr)
        return code

    def reason(self, item: GuidRejection) -> str:
        reason = self.reasons.get(item.reason)
        if reason is None:
            reason = self.reasons[item.reason] = clean_text(item.reason)
        return reason


def _rejected(
    parent: etree._Element,
    rejected: tuple[GuidRejection, ...],
    sr: ServiceReference,
    *,
    in_tree: int = TREE_REJECTIONS,
) -> None:
    """BR5.2: every rejected GUID with its reason code and text; past `in_tree` of them, a
    marker where `_splice_rejections` writes the rest."""
    seen = _Rejections(sr)
    sub = etree.SubElement
    for item in rejected[:in_tree]:
        device = sub(parent, _REJECTED_DEVICE)
        sub(device, _DEVICE_ID).text = item.guid
        sub(device, _REASON_CODE).text = seen.code(item)
        sub(device, _REASON_TEXT).text = seen.reason(item)
    if len(rejected) > in_tree:
        parent.append(etree.Comment(_SPLICE))


def _splice_rejections(
    document: bytes, rejected: tuple[GuidRejection, ...], sr: ServiceReference, in_tree: int
) -> bytes:
    """The serialised response with the rejected devices past `in_tree` written at the
    marker, as the tree would have written them (prefix `sr`, text escaped)."""
    head, mark, tail = document.partition(_SPLICE_MARK)
    if not mark:
        return document
    seen = _Rejections(sr)
    escaped: dict[str, str] = {}
    parts = [head]
    rest = rejected[in_tree:]
    for i in range(0, len(rest), 10_000):
        lines = []
        for item in rest[i : i + 10_000]:
            reason = escaped.get(item.reason)
            if reason is None:
                reason = escaped[item.reason] = xml_escape(seen.reason(item))
            lines.append(
                f"<sr:RejectedDevice><sr:DeviceID>{xml_escape(item.guid)}</sr:DeviceID>"
                f"<sr:ReasonCode>{seen.code(item)}</sr:ReasonCode>"
                f"<sr:ReasonText>{reason}</sr:ReasonText></sr:RejectedDevice>"
            )
        parts.append("".join(lines).encode())
    parts.append(tail)
    return b"".join(parts)


def _pilot_list(parent: etree._Element, result: PilotListResult, in_tree: int) -> None:
    body = _add(parent, "PreferredPilotListResult", None)
    _add(body, "AcceptedCount", result.accepted)
    _add(body, "RejectedCount", len(result.rejected))
    _rejected(body, result.rejected, result.SERVICE_REFERENCE, in_tree=in_tree)


def _schedule(parent: etree._Element, result: ScheduleResult, in_tree: int) -> None:
    body = _add(parent, "PreferredPilotScheduleResult", None)
    _add(body, "AcceptedEntryCount", result.accepted_entries)
    _add(body, "AcceptedDeviceCount", result.accepted_devices)
    _rejected(body, result.rejected, result.SERVICE_REFERENCE, in_tree=in_tree)


def _instruction(parent: etree._Element, result: InstructionResult, in_tree: int) -> None:
    body = _add(parent, "DeploymentInstructionResult", None)
    _optional(body, "InstructionID", result.instruction_id)
    _add(body, "DryRun", result.dry_run)
    _add(body, "AcceptedCount", result.accepted)
    _add(body, "RejectedCount", len(result.rejected))
    _optional(body, "PlannedActivationDateTime", result.planned_activation_at)
    _optional(body, "AwaitingSecondSupplierCount", result.awaiting_second_supplier)
    for group in result.planned:
        element = _add(body, "PlannedActivation", None)
        _add(element, "PlannedActivationDateTime", group.planned_activation_at)
        _add(element, "AwaitingInstruction", group.awaiting_instruction)
        _add(element, "HubCount", group.hub_count)
    _rejected(body, result.rejected, result.SERVICE_REFERENCE, in_tree=in_tree)


def _role(roles: frozenset[SupplierRole]) -> str:
    return "".join(r.value for r in (SupplierRole.IMPORT, SupplierRole.GAS) if r in roles)


def _status_report(parent: etree._Element, result: StatusReport, in_tree: int) -> None:
    body = _add(parent, "CHFirmwareStatusReport", None)
    _optional(body, "ReportID", result.report_id)
    _add(body, "GeneratedDateTime", result.generated_at)
    _add(body, "HubCount", result.hub_count)
    for hub in result.hubs:
        element = _add(body, "Hub", None)
        _add(element, "DeviceID", hub.guid)
        _add(element, "SupplierRole", _role(hub.roles))
        _add(element, "DeviceFirmwareVersion", hub.firmware_version)
        _optional(element, "CampaignID", hub.campaign_id)
        _optional(element, "FirmwareStatus", hub.status)
        _optional(element, "StatusDateTime", hub.status_at)
        _optional(element, "PlannedActivationDateTime", hub.planned_at)
        _optional(element, "SecondSupplier", hub.second_supplier and hub.second_supplier.value)
    _rejected(body, result.rejected, result.SERVICE_REFERENCE, in_tree=in_tree)


def _report_pending(parent: etree._Element, result: ReportPending) -> None:
    _add(_add(parent, "CHFirmwareReportPending", None), "ReportID", result.report_id)


def _dashboard(parent: etree._Element, result: Dashboard) -> None:
    body = _add(parent, "CHFirmwareDashboard", None)
    _add(body, "GeneratedDateTime", result.generated_at)
    for campaign in result.campaigns:
        element = _add(body, "Campaign", None)
        _add(element, "CampaignID", campaign.campaign_id)
        _add(element, "CampaignStage", campaign.stage.value)
        _add(element, "FirmwareVersion", campaign.firmware_version)
        _add(element, "AutomaticActivationDateTime", campaign.automatic_activation_at)
        for count in campaign.counts:
            row = _add(element, "StatusCount", None)
            _add(row, "FirmwareStatus", count.status)
            _add(row, "Count", count.count)
        for action in campaign.outstanding:
            row = _add(element, "OutstandingAction", None)
            _add(row, "Action", clean_text(action.action, SHORT_TEXT))
            _add(row, "DueDateTime", action.due_at)
            _add(row, "TimeLeft", format_duration(action.time_left(result.generated_at)))
        for other in campaign.others:
            row = _add(element, "OtherActorAction", None)
            _add(row, "Actor", other.actor.value)
            _add(row, "Action", clean_text(other.action, SHORT_TEXT))
            _add(row, "NextActionDateTime", other.next_action_at)


def _incident(parent: etree._Element, result: IncidentRaised) -> None:
    body = _add(parent, "CHFirmwareIncidentRaised", None)
    _add(body, "IncidentID", result.incident_id)
    _add(body, "Priority", result.priority.value)
    _add(body, "EmergencyStopRequested", result.emergency_stop_requested)


def _rejection(
    parent: etree._Element, result: Rejection, sr: ServiceReference, in_tree: int
) -> None:
    body = _add(parent, "RequestRejection", None)
    _add(body, "ReasonText", clean_text(result.reason))
    for problem in result.problems[:100]:
        element = _add(body, "Problem", None)
        if problem.location:
            _add(element, "Location", clean_text(problem.location, SHORT_TEXT))
        _add(element, "Text", clean_text(problem.text))
    _rejected(body, result.rejected, sr, in_tree=in_tree)


def _result(
    message: etree._Element, result: ServiceResult, sr: ServiceReference, in_tree: int
) -> None:
    match result:
        case PilotListResult():
            _pilot_list(message, result, in_tree)
        case ScheduleResult():
            _schedule(message, result, in_tree)
        case InstructionResult():
            _instruction(message, result, in_tree)
        case StatusReport():
            _status_report(message, result, in_tree)
        case ReportPending():
            _report_pending(message, result)
        case Dashboard():
            _dashboard(message, result)
        case IncidentRaised():
            _incident(message, result)
        case Rejection():
            _rejection(message, result, sr, in_tree)


def response_element(
    result: ServiceResult,
    *,
    service_reference: ServiceReference,
    response_id: str | None,
    at: datetime,
    request_id: str | None = None,
    in_tree: int | None = None,
) -> etree._Element:
    """The unsigned `sr:Response` for one result (sign it, or validate it, as it stands); with
    `in_tree`, only that many rejected devices, then the marker `render_response` splices at."""
    if in_tree is None:
        in_tree = len(getattr(result, "rejected", ()))
    own = getattr(result, "SERVICE_REFERENCE", None)
    if own is not None and own is not service_reference:
        raise ValueError(f"{type(result).__name__} answers SR {own}, not {service_reference}")
    response = etree.Element(_q("Response"), nsmap={"sr": NS_SR})
    response.set("schemaVersion", SCHEMA_VERSION)
    header = _add(response, "Header", None)
    _optional(header, "RequestID", request_id)
    _optional(header, "ResponseID", response_id)
    _add(header, "ResponseCode", outcome_code(result))
    _add(header, "ResponseDateTime", at)
    message = _add(_add(response, "Body", None), "ResponseMessage", None)
    _add(message, "ServiceReference", service_reference.value)
    _add(message, "ServiceReferenceVariant", service_reference.value)
    _result(message, result, service_reference, in_tree)
    return response


def render_response(
    result: ServiceResult,
    *,
    service_reference: ServiceReference,
    response_id: str | None,
    at: datetime,
    request_id: str | None = None,
    check: bool = True,
    signer: Signer | None = None,
    schema_dir: Path | None = None,
) -> bytes:
    """One response as UTF-8 XML: validated (unless `check` is off), then signed if asked."""
    # A signature covers the whole tree, so a signed response is built whole.
    in_tree = TREE_REJECTIONS if signer is None else len(getattr(result, "rejected", ()))
    element = response_element(
        result,
        service_reference=service_reference,
        response_id=response_id,
        at=at,
        request_id=request_id,
        in_tree=in_tree,
    )
    if check:
        try:
            validate(element, schema_dir=schema_dir)
        except XmlRejected as rejected:
            raise ResponseInvalid(rejected) from None
    if signer is not None:
        element = signer(element)
    document = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
    rejected_devices: tuple[GuidRejection, ...] = getattr(result, "rejected", ())
    if len(rejected_devices) <= in_tree:
        return document
    del element
    return _splice_rejections(document, rejected_devices, service_reference, in_tree)


def render_error(
    error: DomainError | XmlRejected,
    *,
    service_reference: ServiceReference,
    response_id: str | None,
    at: datetime,
    request_id: str | None = None,
    check: bool = True,
    signer: Signer | None = None,
    schema_dir: Path | None = None,
) -> bytes:
    """A whole-request rejection (E code, reason, each problem) for any error we map."""
    return render_response(
        rejection(error),
        service_reference=service_reference,
        response_id=response_id,
        at=at,
        request_id=request_id,
        check=check,
        signer=signer,
        schema_dir=schema_dir,
    )
