"""An `sr:Request` body to a typed command (`domain.service_requests`), with the header checks
that need no database.

`read_request` = hardened parse + schema validation (`parser.parse_request`) + `map_request`.
What the schema already guarantees (element order, GUID and RequestID shapes, enumerations) is
not checked twice; what it cannot say is checked here, each with its own code:

- the Command Variant is 8 (DUIS CV 8: a Service Request that DCC answers itself, synchronously,
  with no device command; the only one that fits 11.5-11.10), otherwise DUIS E12;
- ServiceReference, ServiceReferenceVariant and the body element name the same SR (E110007);
- no DUIS sequencing (FirstInSequence, PrecedingServiceRequestID): these SRs are not sequenced,
  and silently ignoring it would let a sender believe an order is enforced (E110008);
- every date-time carries a time zone (E110009): "02:00" means nothing without one;
- optionally, the RequestID target is the DCC User ID (E110010).

The counter's monotonicity (X3), the originator's identity and signature (X2) need state and
are the caller's next steps, on the same element (`signature.verify_request(root, ...)`), so
the document verified is exactly the document acted on.

Large lists are read with one `iterfind` per list and a bulk normalisation, so a 50,000-GUID
11.7 maps in a few tens of milliseconds on top of parsing and validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from chfw_api.domain.errors import InvalidIdentifier
from chfw_api.domain.identifiers import EUI64_PATTERN, Guid, parse_user_id
from chfw_api.domain.parties import CspRegion
from chfw_api.domain.releases import Severity
from chfw_api.domain.service_requests import (
    NON_DEVICE_COMMAND_VARIANT,
    InstructDeployment,
    PilotSelectionRules,
    RaiseIncident,
    ReadDashboard,
    ReadFirmwareStatus,
    RequestHeader,
    ScheduleEntry,
    ServiceReference,
    ServiceRequest,
    SubmitPreferredPilotList,
    SubmitPreferredPilotSchedule,
    normalise_guids,
)
from chfw_api.domain.stages import DeploymentKind
from chfw_api.duis.errors import SCHEMA_INVALID, XmlRejected
from chfw_api.duis.parser import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, parse_request
from chfw_api.duis.schema import NS_SR, REQUEST

INVALID_COMMAND_VARIANT = "E12"
REFERENCE_MISMATCH = "E110007"
SEQUENCING_NOT_SUPPORTED = "E110008"
BAD_DATETIME = "E110009"
WRONG_TARGET = "E110010"

ACCEPTED_COMMAND_VARIANTS = frozenset({NON_DEVICE_COMMAND_VARIANT})

BODY_ELEMENTS: dict[str, ServiceReference] = {
    "SubmitPreferredPilotList": ServiceReference.SUBMIT_PREFERRED_PILOT_LIST,
    "SubmitPreferredPilotSchedule": ServiceReference.SUBMIT_PREFERRED_PILOT_SCHEDULE,
    "InstructCHFirmwareDeployment": ServiceReference.INSTRUCT_DEPLOYMENT,
    "ReadCHFirmwareStatus": ServiceReference.READ_FIRMWARE_STATUS,
    "ReadCHFirmwareDashboard": ServiceReference.READ_DASHBOARD,
    "RaiseCHFirmwareIncident": ServiceReference.RAISE_INCIDENT,
}
"""The `sr:Body` child of each Service Request."""

_NS = f"{{{NS_SR}}}"
_TAG = rb"<(?:[A-Za-z_][\w.\-]*:)?"  # an opening tag, any namespace prefix
_ATTRS = rb"(?:\s[^<>]*)?>"  # and any attributes (e.g. a namespace declaration)
_ID_SNIFF = re.compile(_TAG + rb"RequestID" + _ATTRS + rb"\s*([^<\s]{1,80})\s*<")
_SR_SNIFF = re.compile(_TAG + rb"ServiceReference" + _ATTRS + rb"\s*(11\.(?:10|[5-9]))\s*<")
_BODY_SNIFF = re.compile(_TAG + rb"(" + b"|".join(n.encode() for n in BODY_ELEMENTS) + rb")[\s/>]")
SNIFF_WINDOW = 4096
"""How much of an unreadable body is searched for its RequestID and SR, to echo them."""
_REQUEST_ID_SHAPE = re.compile(f"{EUI64_PATTERN}:" * 2 + r"[1-9][0-9]{0,19}")


def _q(name: str) -> str:
    return _NS + name


def _text(parent: etree._Element, name: str) -> str | None:
    """The text of an optional child without surrounding whitespace (xs:token collapses it,
    and the patterns of our tokens allow none inside)."""
    child = parent.find(_NS + name)
    if child is None:
        return None
    return (child.text or "").strip()


def _required(parent: etree._Element, name: str) -> str:
    value = _text(parent, name)
    if value is None:  # the schema requires it: only a schema out of step gets here
        raise XmlRejected(SCHEMA_INVALID, f"{name} is missing from {etree.QName(parent).localname}")
    return value


def _boolean(parent: etree._Element, name: str) -> bool:
    return _text(parent, name) in {"true", "1"}


def _datetime(parent: etree._Element, name: str) -> datetime:
    raw = _required(parent, name)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise XmlRejected(
            BAD_DATETIME, f"{name} {raw!r} cannot be used: years 1 to 9999, hours 00 to 23"
        ) from None
    if value.tzinfo is None:
        raise XmlRejected(
            BAD_DATETIME,
            f"{name} {raw!r} has no time zone; add Z (UTC) or an offset such as +01:00",
        )
    return value


def _guid_list(parent: etree._Element, name: str = "DeviceIDList") -> tuple[Guid, ...] | None:
    """Every DeviceID of an optional list, canonical upper case, in order (repeats kept)."""
    holder = parent.find(_NS + name)
    if holder is None:
        return None
    # Text straight from the tree, without an element proxy per GUID (a 300,000-GUID list).
    texts = holder.itertext(_NS + "DeviceID", with_tail=False)
    try:
        return normalise_guids(str(t).strip() for t in texts)
    except InvalidIdentifier as exc:  # the schema's pattern makes this unreachable
        raise XmlRejected(SCHEMA_INVALID, exc.detail) from None


def _repeated(parent: etree._Element, name: str) -> tuple[str, ...]:
    return tuple((e.text or "").strip() for e in parent.iterfind(_NS + name))


def _header(root: etree._Element, body: etree._Element) -> RequestHeader:
    header = root.find(_q("Header"))
    if header is None:
        raise XmlRejected(SCHEMA_INVALID, "sr:Header is missing")
    request_id = _required(header, "RequestID")
    reference = ServiceReference(_required(header, "ServiceReference"))
    variant = ServiceReference(_required(header, "ServiceReferenceVariant"))
    body_reference = BODY_ELEMENTS[etree.QName(body).localname]
    if not reference == variant == body_reference:
        raise XmlRejected(
            REFERENCE_MISMATCH,
            f"ServiceReference {reference} and ServiceReferenceVariant {variant} must both be "
            f"{body_reference}, the Service Request of the body element "
            f"{etree.QName(body).localname}",
        )
    for name in ("FirstInSequence", "PrecedingServiceRequestID"):
        if header.find(_q(name)) is not None:
            raise XmlRejected(
                SEQUENCING_NOT_SUPPORTED,
                f"{name}: Service Requests {body_reference} are not sequenced; leave it out",
            )
    variant_number = int(_required(header, "CommandVariant"))
    if variant_number not in ACCEPTED_COMMAND_VARIANTS:
        raise XmlRejected(
            INVALID_COMMAND_VARIANT,
            f"Command Variant {variant_number} is not valid for SR {body_reference}; "
            f"use {NON_DEVICE_COMMAND_VARIANT} (a DCC-only, non-device Service Request)",
        )
    try:
        return RequestHeader.parse(
            request_id,
            command_variant=variant_number,
            service_reference=reference,
            service_reference_variant=variant,
        )
    except InvalidIdentifier as exc:  # the schema's pattern makes this unreachable
        raise XmlRejected(SCHEMA_INVALID, exc.detail) from None


def _pilot_list(header: RequestHeader, body: etree._Element) -> SubmitPreferredPilotList:
    campaign = _required(body, "CampaignID")
    rules_element = body.find(_q("SelectionRules"))
    if rules_element is None:
        return SubmitPreferredPilotList(header, campaign, guids=_guid_list(body))
    count = _text(rules_element, "HubCount")
    percentage = _text(rules_element, "Percentage")
    seed = _text(rules_element, "Seed")
    rules = PilotSelectionRules(
        hub_count=int(count) if count is not None else None,
        percentage=Decimal(percentage) if percentage is not None else None,
        regions=tuple(CspRegion(r) for r in _repeated(rules_element, "CSPRegion")),
        models=_repeated(rules_element, "DeviceModel"),
        exclude=normalise_guids(_repeated(rules_element, "ExcludeDeviceID")),
        seed=int(seed) if seed is not None else None,
    )
    return SubmitPreferredPilotList(header, campaign, rules=rules)


def _schedule(header: RequestHeader, body: etree._Element) -> SubmitPreferredPilotSchedule:
    entries = tuple(
        ScheduleEntry(
            start=_datetime(entry, "PeriodStart"),
            end=_datetime(entry, "PeriodEnd"),
            label=_text(entry, "GroupLabel"),
            guids=_guid_list(entry) or (),
            constraints=_repeated(entry, "Constraint"),
        )
        for entry in body.iterfind(_q("ScheduleEntry"))
    )
    return SubmitPreferredPilotSchedule(header, _required(body, "CampaignID"), entries)


def _instruction(header: RequestHeader, body: etree._Element) -> InstructDeployment:
    guids = _guid_list(body)
    return InstructDeployment(
        header,
        campaign_id=_required(body, "CampaignID"),
        stage=DeploymentKind(_required(body, "Stage")),
        requested_activation_at=_datetime(body, "RequestedActivationDateTime"),
        guids=guids,
        all_eligible=guids is None,
        dry_run=_boolean(body, "DryRun"),
    )


def _status(header: RequestHeader, body: etree._Element) -> ReadFirmwareStatus:
    return ReadFirmwareStatus(
        header,
        campaign_id=_text(body, "CampaignID"),
        status=_text(body, "FirmwareStatus"),
        guids=_guid_list(body),
        report_id=_text(body, "ReportID"),
    )


def _dashboard(header: RequestHeader, body: etree._Element) -> ReadDashboard:
    return ReadDashboard(header, campaign_id=_text(body, "CampaignID"))


def _incident(header: RequestHeader, body: etree._Element) -> RaiseIncident:
    description = body.find(_q("Description"))
    return RaiseIncident(
        header,
        campaign_id=_required(body, "CampaignID"),
        severity=Severity(_required(body, "Severity")),
        # Free text: kept as written (xs:string), not whitespace-collapsed like the tokens.
        description=(description.text or "") if description is not None else "",
        guids=_guid_list(body) or (),
        emergency_stop=_boolean(body, "EmergencyStopRequested"),
    )


_MAPPERS: dict[ServiceReference, Callable[[RequestHeader, etree._Element], ServiceRequest]] = {
    ServiceReference.SUBMIT_PREFERRED_PILOT_LIST: _pilot_list,
    ServiceReference.SUBMIT_PREFERRED_PILOT_SCHEDULE: _schedule,
    ServiceReference.INSTRUCT_DEPLOYMENT: _instruction,
    ServiceReference.READ_FIRMWARE_STATUS: _status,
    ServiceReference.READ_DASHBOARD: _dashboard,
    ServiceReference.RAISE_INCIDENT: _incident,
}


def map_request(root: etree._Element, *, dcc_user_id: str | None = None) -> ServiceRequest:
    """The command in a schema-valid `sr:Request` (from `parse_request`), or `XmlRejected`.

    With `dcc_user_id`, a RequestID whose target is anyone else is refused (E110010).
    """
    if root.tag != REQUEST:
        raise TypeError(f"map_request takes a parsed sr:Request, not {root.tag}")
    body_holder = root.find(_q("Body"))
    body = body_holder[0] if body_holder is not None and len(body_holder) else None
    if body is None or etree.QName(body).localname not in BODY_ELEMENTS:
        raise XmlRejected(SCHEMA_INVALID, "sr:Body holds no Service Request 11.5 to 11.10")
    header = _header(root, body)
    if dcc_user_id is not None and header.target != parse_user_id(dcc_user_id):
        raise XmlRejected(
            WRONG_TARGET,
            f"the RequestID target is {header.target}; Service Requests go to the DCC "
            f"User ID {parse_user_id(dcc_user_id)}",
        )
    return _MAPPERS[header.service_reference](header, body)


def read_request(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    dcc_user_id: str | None = None,
    schema_dir: Path | None = None,
) -> ServiceRequest:
    """Parse, validate and map a Service Request body, or raise `XmlRejected` saying why not.

    Use `parse_request` + `map_request` instead when the signature must be verified too, so that
    both work on the one parsed tree.
    """
    root = parse_request(data, max_bytes=max_bytes, max_depth=max_depth, schema_dir=schema_dir)
    return map_request(root, dcc_user_id=dcc_user_id)


def sniff_header(data: bytes) -> tuple[str | None, ServiceReference | None]:
    """Best effort, for answering a body that could not be read: the RequestID (only if it has
    the schema's shape, so it can be echoed) and the Service Reference, from the first 4 KiB.

    Never trusted for anything but the echo: the body was refused.
    """
    head = bytes(data[:SNIFF_WINDOW])
    found_id = _ID_SNIFF.search(head)
    request_id = found_id.group(1).decode("ascii", "replace") if found_id else None
    if request_id is not None:
        match = _REQUEST_ID_SHAPE.fullmatch(request_id)
        if match is None or int(request_id.rsplit(":", 1)[1]) > 2**64 - 1:
            request_id = None
    found_sr = _SR_SNIFF.search(head)
    if found_sr is not None:
        return request_id, ServiceReference(found_sr.group(1).decode("ascii"))
    # No usable ServiceReference (missing, misspelt, out of range): the body element names it.
    found_body = _BODY_SNIFF.search(head)
    reference = BODY_ELEMENTS[found_body.group(1).decode("ascii")] if found_body else None
    return request_id, reference
