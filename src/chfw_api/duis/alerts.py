"""DCC Alerts as DUIS XML: an `sr:Response` whose body is `sr:DCCAlertMessage`, as DUIS 5.4 does.

Header, as DUIS sends alerts: no RequestID unless the alert answers a Service Request (N80,
N83), ResponseID = the alert's ID (`DCC User ID:recipient:counter`, the same on every retry),
ResponseCode `I0`, ResponseDateTime = when the alert was raised (not when it was sent, so a
retry is byte-identical). Body: DCCAlertCode, then DCCAlert holding one alert element.

Alert bodies are rendered generically from the domain dataclasses: fields in declaration order,
each named by `_element_name` (overrides in `_NAMES`), `None` and empty tuples left out. The
schema (`schemas/chfw-alerts.xsd`) fixes the same order, and the tests check that every message
type renders valid XML, so the two cannot drift apart silently.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from lxml import etree

from chfw_api.domain import alerts as a
from chfw_api.duis.errors import XmlProblem, XmlRejected
from chfw_api.duis.schema import NS_SR, SCHEMA_VERSION, validate

Signer = Callable[[etree._Element], etree._Element]
"""Signs one `sr:Response` element (enveloped XML Signature) and returns the signed element."""

ALERT_ELEMENTS: dict[type[a.AlertMessage], str] = {
    a.HubActivated: "CommsHubFirmwareActivation",
    a.UpdateAvailable: "CHFirmwareUpdateAvailable",
    a.NotificationRevoked: "CHFirmwareNotificationRevoked",
    a.DefaultPilotList: "CHFirmwareDefaultPilotList",
    a.DefaultPilotSchedule: "CHFirmwareDefaultPilotSchedule",
    a.PilotStatus: "CHFirmwarePilotStatus",
    a.PilotOutcome: "CHFirmwarePilotOutcome",
    a.SafeLaunchSchedule: "CHFirmwareSafeLaunchSchedule",
    a.SafeLaunchOutcome: "CHFirmwareSafeLaunchOutcome",
    a.CampaignClosed: "CHFirmwareCampaignClosed",
    a.CampaignSuperseded: "CHFirmwareCampaignSuperseded",
    a.InstructionStatus: "CHFirmwareInstructionStatus",
    a.RolloutDecision: "CHFirmwareRolloutDecision",
    a.ActivationFailure: "CHFirmwareActivationFailure",
    a.ReportReady: "CHFirmwareReportReady",
}
"""The `DCCAlert` child element for each alert message type."""

# Field names whose element name does not follow from the default rule.
_NAMES = {
    "guid": "DeviceID",
    "manufacturer": "DeviceManufacturer",
    "model": "DeviceModel",
    "version": "FirmwareVersion",
    "release_note_ref": "ReleaseNoteReference",
    "eligible_as_import": "EligibleAsImportSupplier",
    "eligible_as_gas": "EligibleAsGasSupplier",
    "start": "PeriodStart",
    "end": "PeriodEnd",
    "label": "GroupLabel",
    "succeeded": "SucceededCount",
    "failed": "FailedCount",
    "pending": "PendingCount",
    "activated": "ActivatedCount",
    "accepted": "AcceptedCount",
    "rejected": "RejectedCount",
    "rows": "RowCount",
    "superseded_by": "SupersedingCampaignID",
    "superseding_version": "SupersedingFirmwareVersion",
    "safe_launch_starts_at": "SafeLaunchStartDateTime",
    "expires_at": "ExpiryDateTime",
}
# Tuple fields: (wrapper element or None, element per item).
_REPEATED: dict[str, tuple[str | None, str]] = {
    "guids": ("DeviceIDList", "DeviceID"),
    "periods": (None, "SchedulePeriod"),
    "constraints": (None, "Constraint"),
    "failures": (None, "HubFailure"),
    "hubs": (None, "Hub"),
    "planned": (None, "PlannedActivation"),
}
_WORDS = {"id": "ID", "at": "DateTime"}
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class AlertInvalid(ValueError):
    """A rendered alert failed our schema: a bug or out-of-range content, never sent as is."""

    def __init__(self, alert_id: str, rejected: XmlRejected) -> None:
        super().__init__(f"alert {alert_id} does not render valid XML: {rejected.reason}")
        self.problems: tuple[XmlProblem, ...] = rejected.problems


@cache
def _q(name: str) -> str:
    return f"{{{NS_SR}}}{name}"


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """Field names per message class, looked up once: per-hub alerts render thousands."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


@cache
def _element_name(field_name: str) -> str:
    """`campaign_id` -> `CampaignID`, `revoked_at` -> `RevokedDateTime`, unless overridden."""
    if field_name in _NAMES:
        return _NAMES[field_name]
    return "".join(_WORDS.get(word, word.capitalize()) for word in field_name.split("_"))


@cache
def format_datetime(value: datetime) -> str:
    """xs:dateTime in UTC with milliseconds and `Z`, as DUIS timestamps are written."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be rendered; use an aware one")
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, enum.Enum):
        # XML enumerations are UpperCamelCase; snake_case domain values (delay_end) are converted.
        raw = str(value.value)
        return "".join(w[:1].upper() + w[1:] for w in raw.split("_")) if raw.islower() else raw
    # Text from CSPs and operators may hold characters XML 1.0 cannot carry; never fail on them.
    return _NOT_XML_CHAR.sub("\ufffd", str(value))


def _add(parent: etree._Element, name: str, value: object) -> None:
    if value is None:
        return
    if hasattr(type(value), "__dataclass_fields__"):
        _add_fields(etree.SubElement(parent, _q(name)), value)
    else:
        etree.SubElement(parent, _q(name)).text = _text(value)


_BULK = 64


def _flat(cls: type) -> bool:
    """A record of plain values (no nested records or lists): it can be written as text."""
    return hasattr(cls, "__dataclass_fields__") and all(
        f.type in ("str", "bool", "int", "datetime", "datetime | None", "str | None")
        for f in fields(cls)
    )


def _add_bulk(parent: etree._Element, item: str, entries: Sequence[object]) -> None:
    """Thousands of flat records (N80's per-hub states) as one text fragment parsed once:
    the same elements as `_add`, built twenty times faster than element by element."""
    names = [(n, _element_name(n)) for n in _field_names(type(entries[0]))]
    parts = [f'<sr:X xmlns:sr="{NS_SR}">']
    for entry in entries:
        parts.append(f"<sr:{item}>")
        for attr, element in names:
            value = getattr(entry, attr)
            if value is not None:
                parts.append(f"<sr:{element}>{xml_escape(_text(value))}</sr:{element}>")
        parts.append(f"</sr:{item}>")
    parts.append("</sr:X>")
    fragment = etree.fromstring("".join(parts).encode())
    parent.extend(list(fragment))


def _add_fields(parent: etree._Element, obj: object) -> None:
    for name in _field_names(type(obj)):
        value = getattr(obj, name)
        if isinstance(value, tuple):
            if not value:
                continue
            wrapper, item = _REPEATED[name]
            target = etree.SubElement(parent, _q(wrapper)) if wrapper else parent
            if len(value) > _BULK and _flat(type(value[0])):
                _add_bulk(target, item, value)
                continue
            for entry in value:
                _add(target, item, entry)
        else:
            _add(parent, _element_name(name), value)


def alert_body(message: a.AlertMessage) -> etree._Element:
    """The `DCCAlert` child for one message, e.g. `sr:CHFirmwareUpdateAvailable`."""
    try:
        name = ALERT_ELEMENTS[type(message)]
    except KeyError:
        raise TypeError(f"no DUIS element is defined for {type(message).__name__}") from None
    element = etree.Element(_q(name), nsmap={"sr": NS_SR})
    _add_fields(element, message)
    return element


def alert_element(envelope: a.AlertEnvelope) -> etree._Element:
    """The unsigned `sr:Response` for one alert (sign it, or put it in a batch, as it stands)."""
    response = etree.Element(_q("Response"), nsmap={"sr": NS_SR})
    response.set("schemaVersion", SCHEMA_VERSION)
    header = etree.SubElement(response, _q("Header"))
    if envelope.request_id is not None:
        etree.SubElement(header, _q("RequestID")).text = envelope.request_id
    etree.SubElement(header, _q("ResponseID")).text = envelope.alert_id
    etree.SubElement(header, _q("ResponseCode")).text = "I0"
    etree.SubElement(header, _q("ResponseDateTime")).text = format_datetime(envelope.created_at)
    body = etree.SubElement(response, _q("Body"))
    message = etree.SubElement(body, _q("DCCAlertMessage"))
    etree.SubElement(message, _q("DCCAlertCode")).text = envelope.code
    etree.SubElement(message, _q("DCCAlert")).append(alert_body(envelope.message))
    return response


def _checked(element: etree._Element, alert_id: str, schema_dir: Path | None) -> None:
    try:
        validate(element, schema_dir=schema_dir)
    except XmlRejected as rejected:
        raise AlertInvalid(alert_id, rejected) from None


def _serialise(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


_FIRMWARE = re.compile(r"[0-9A-F]{1,8}")
_ACTIVATION_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    f'<sr:Response xmlns:sr="{NS_SR}" schemaVersion="{SCHEMA_VERSION}"><sr:Header>'
)


@lru_cache(maxsize=1024)
def _firmware_ok(version: str) -> bool:
    """Checked once per version: a 50,000-hub upload names one or two."""
    return _FIRMWARE.fullmatch(version) is not None


@lru_cache(maxsize=256)
def _timestamp(at: datetime) -> str:
    """The alerts of one transaction share their time: formatted once."""
    return format_datetime(at)


def _activation(envelope: a.AlertEnvelope) -> bytes:
    """N63, the one alert sent per hub, from a template: byte for byte what the element path
    writes (a test holds them equal), several times faster. Its every field is checked here or
    by the envelope (GUID, alert ID, code, time), so schema validation has nothing to catch."""
    message = envelope.message
    assert isinstance(message, a.HubActivated)
    version = message.firmware_version
    if not _firmware_ok(version):
        raise AlertInvalid(
            envelope.alert_id,
            XmlRejected(
                "E110005",
                f"firmware version {version!r} is not 1 to 8 upper-case hex characters",
            ),
        )
    request = (
        f"<sr:RequestID>{xml_escape(envelope.request_id)}</sr:RequestID>"
        if envelope.request_id is not None
        else ""
    )
    return (
        f"{_ACTIVATION_HEAD}{request}<sr:ResponseID>{envelope.alert_id}</sr:ResponseID>"
        "<sr:ResponseCode>I0</sr:ResponseCode>"
        f"<sr:ResponseDateTime>{_timestamp(envelope.created_at)}</sr:ResponseDateTime>"
        "</sr:Header><sr:Body><sr:DCCAlertMessage>"
        f"<sr:DCCAlertCode>{envelope.code}</sr:DCCAlertCode><sr:DCCAlert>"
        f"<sr:CommsHubFirmwareActivation><sr:DeviceID>{message.guid}</sr:DeviceID>"
        f"<sr:FirmwareVersion>{version}</sr:FirmwareVersion></sr:CommsHubFirmwareActivation>"
        "</sr:DCCAlert></sr:DCCAlertMessage></sr:Body></sr:Response>"
    ).encode()


def render_alert(
    envelope: a.AlertEnvelope,
    *,
    check: bool = True,
    signer: Signer | None = None,
    schema_dir: Path | None = None,
) -> bytes:
    """One alert as the UTF-8 XML body of a webhook POST or feed entry.

    With `check` (the default) the unsigned XML is validated against our schema first, so an
    alert that would break a consumer's parser fails here, loudly, instead of on delivery.
    """
    if signer is None and type(envelope.message) is a.HubActivated:
        return _activation(envelope)
    element = alert_element(envelope)
    if check:
        _checked(element, envelope.alert_id, schema_dir)
    if signer is not None:
        element = signer(element)
    return _serialise(element)


def render_batch(
    envelopes: Sequence[a.AlertEnvelope],
    *,
    check: bool = True,
    signer: Signer | None = None,
    schema_dir: Path | None = None,
) -> bytes:
    """Several alerts in one `sr:AlertBatch`, each an `sr:Response` with its own ResponseID.

    A signer signs each alert separately; a consumer verifies one by re-serialising that
    `sr:Response` as a document of its own (its signature covers it, not the batch).
    """
    if not envelopes:
        raise ValueError("an alert batch needs at least one alert")
    batch = etree.Element(_q("AlertBatch"), nsmap={"sr": NS_SR})
    for envelope in envelopes:
        element = alert_element(envelope)
        if check:
            _checked(element, envelope.alert_id, schema_dir)
        batch.append(signer(element) if signer is not None else element)
    return _serialise(batch)
