"""CSP files as XML (schemas/chfw-csp.xsd) and CSV: uploads in, gateway files out.

Outbound files are built with the standard library's ElementTree, which is safe for writing
(the tests validate them against the schema), and read back by the CSP simulator. Inbound CSP
uploads are in `gateway.uploads`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from xml.sax.saxutils import escape

from chfw_api.domain.alerts import SchedulePeriod
from chfw_api.domain.csp_uploads import InstructionPart
from chfw_api.domain.errors import Problem, ValidationFailed
from chfw_api.domain.gateway_files import FileKind, GatewayFile, InstructedHub
from chfw_api.domain.guardrails import Dimension
from chfw_api.domain.incidents import RolloutDecision
from chfw_api.domain.stages import DeploymentKind
from chfw_api.duis import NS_SR, SCHEMA_VERSION, XmlRejected, parse_validated

_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def qname(name: str) -> str:
    """`sr:name` in Clark notation, as ElementTree and lxml name elements."""
    return f"{{{NS_SR}}}{name}"


def _dt(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _text(value: str) -> str:
    return _NOT_XML_CHAR.sub("\ufffd", value)


def _sub(parent: ET.Element, name: str, text: str | None) -> ET.Element:
    element = ET.SubElement(parent, qname(name))
    if text is not None:
        element.text = text
    return element


def _camel(value: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in value.split("_"))


def _periods(parent: ET.Element, periods: Sequence[SchedulePeriod]) -> None:
    for p in periods:
        el = _sub(parent, "SchedulePeriod", None)
        _sub(el, "PeriodStart", _dt(p.start))
        _sub(el, "PeriodEnd", _dt(p.end))
        if p.label:
            _sub(el, "GroupLabel", _text(p.label[:256]))
        ids = _sub(el, "DeviceIDList", None)
        for g in p.guids:
            _sub(ids, "DeviceID", g)


def render_file(f: GatewayFile) -> bytes:
    """One gateway file as UTF-8 XML (schemas/chfw-csp.xsd, root `sr:CSPGatewayFile`)."""
    ET.register_namespace("sr", NS_SR)
    root = ET.Element(qname("CSPGatewayFile"), {"schemaVersion": SCHEMA_VERSION})
    header = _sub(root, "FileHeader", None)
    _sub(header, "Kind", f.kind.element)
    _sub(header, "CSPID", f.csp_id)
    _sub(header, "CampaignID", f.campaign_id)
    _sub(header, "CreatedDateTime", _dt(f.created_at))
    body = _sub(root, f.kind.element, None)
    if f.kind in (FileKind.PREFERRED_PILOT_LIST, FileKind.PREFERRED_PILOT_SCHEDULE):
        _sub(body, "SupplierID", f.supplier_id)
        if f.request_id:
            _sub(body, "RequestID", f.request_id)
        if f.kind is FileKind.PREFERRED_PILOT_LIST:
            ids = _sub(body, "DeviceIDList", None)
            for g in f.guids:
                _sub(ids, "DeviceID", g)
        else:
            _periods(body, f.periods)
            for c in f.constraints:
                _sub(body, "Constraint", c)
    elif f.kind is FileKind.INSTRUCTION:
        assert f.stage is not None and f.window_start and f.window_end
        _sub(body, "InstructionID", f.instruction_id)
        _sub(body, "Stage", f.stage.value)
        if f.firmware_version:
            _sub(body, "FirmwareVersion", f.firmware_version)
        _sub(body, "WindowStart", _dt(f.window_start))
        _sub(body, "WindowEnd", _dt(f.window_end))
        if f.part_number is not None:
            _sub(body, "PartNumber", str(f.part_number))
        if f.hubs:
            # Up to 50,000 hubs: written as text and spliced in (ElementTree's writer is pure
            # Python, seconds for a batch); a test holds the bytes equal to the element path.
            data = _serialise(root)
            close = f"</sr:{f.kind.element}>".encode()
            at = data.rindex(close)
            return data[:at] + _hubs_xml(f.hubs).encode() + data[at:]
    elif f.kind is FileKind.INSTRUCTION_MANIFEST:
        assert f.stage is not None and f.parts
        _sub(body, "InstructionID", f.instruction_id)
        _sub(body, "Stage", f.stage.value)
        _sub(body, "PartCount", str(len(f.parts)))
        _sub(body, "HubCount", str(sum(p.hubs for p in f.parts)))
        for p in f.parts:
            part = _sub(body, "Part", None)
            _sub(part, "PartNumber", str(p.number))
            _sub(part, "FileSequence", str(p.file_sequence))
            _sub(part, "HubCount", str(p.hubs))
            _sub(part, "SHA256", p.sha256)
    elif f.kind is FileKind.DECISION:
        assert f.decision is not None
        _sub(body, "Decision", _camel(f.decision.value))
        _sub(body, "Reason", _text(f.reason or "-")[:4000])
        _sub(body, "DecidedDateTime", _dt(f.created_at))
    else:
        assert f.stage is not None and f.dimension is not None
        _sub(body, "Stage", f.stage.value)
        _sub(body, "Dimension", f.dimension.value.capitalize())
        _sub(body, "SliceValue", _text(f.slice_value or "*"))
        _sub(body, "Reason", _text(f.reason or "-")[:4000])
        _sub(body, "DecidedDateTime", _dt(f.created_at))
        for guid, planned in f.slice_hubs:
            hub = _sub(body, "Hub", None)
            _sub(hub, "DeviceID", guid)
            if planned is not None:
                _sub(hub, "PlannedActivationDateTime", _dt(planned))
    return _serialise(root)


def _serialise(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def hub_element_xml(h: InstructedHub) -> str:
    """One instructed `sr:Hub` as ElementTree writes it inside a file (the element path, for
    tests): written in a parent, so the namespace is declared there, not on the hub."""
    ET.register_namespace("sr", NS_SR)
    parent = ET.Element(qname("Parent"))
    hub = ET.SubElement(parent, qname("Hub"))
    _sub(hub, "DeviceID", _text(h.guid))
    _sub(hub, "PlannedActivationDateTime", _dt(h.planned_at))
    if h.model:
        _sub(hub, "DeviceModel", _text(h.model))
    if h.region:
        _sub(hub, "CSPRegion", _text(h.region))
    text = ET.tostring(parent, encoding="unicode")
    return text[text.index(">") + 1 : text.rindex("</")]


def _hubs_xml(hubs: Sequence[InstructedHub]) -> str:
    parts = []
    for h in hubs:
        model = f"<sr:DeviceModel>{_escaped(h.model)}</sr:DeviceModel>" if h.model else ""
        region = f"<sr:CSPRegion>{_escaped(h.region)}</sr:CSPRegion>" if h.region else ""
        parts.append(
            f"<sr:Hub><sr:DeviceID>{escape(_text(h.guid))}</sr:DeviceID>"
            "<sr:PlannedActivationDateTime>"
            f"{_cached_dt(h.planned_at)}</sr:PlannedActivationDateTime>{model}{region}</sr:Hub>"
        )
    return "".join(parts)


@lru_cache(maxsize=4096)
def _escaped(value: str) -> str:
    """Text content as ElementTree escapes it, after the same character clean-up; the
    values repeat (models, regions, times), so each is worked out once."""
    return escape(_text(value))


@lru_cache(maxsize=4096)
def _cached_dt(value: datetime) -> str:
    return _dt(value)


# --------------------------------------------------------------------------- reading


def parse_datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def refused(exc: XmlRejected) -> ValidationFailed:
    problems = [
        Problem(p.message, f"line {p.line}" if p.line else p.path, code=exc.code)
        for p in exc.problems
    ] or [Problem(exc.reason, code=exc.code)]
    return ValidationFailed(f"the upload was refused: {exc.reason}", problems)


_DEVICE_IDS = f"{qname('DeviceIDList')}/{qname('DeviceID')}"


def parse_file(data: bytes) -> GatewayFile:
    """Read a gateway file back (the CSP simulator, tests). Schema-valid or `ValidationFailed`."""
    try:
        root = parse_validated(data, qname("CSPGatewayFile"))
    except XmlRejected as exc:
        raise refused(exc) from None
    header = root.find(qname("FileHeader"))
    assert header is not None
    element = (header.findtext(qname("Kind")) or "").strip()
    kind = next(k for k in FileKind if k.element == element)
    body = root.find(qname(element))
    assert body is not None

    def text(name: str) -> str | None:
        value = body.findtext(qname(name))
        return value.strip() if value is not None else None

    created = parse_datetime(header.findtext(qname("CreatedDateTime")))
    assert created is not None
    hubs = tuple(
        InstructedHub(
            guid=(h.findtext(qname("DeviceID")) or "").strip(),
            planned_at=parse_datetime(h.findtext(qname("PlannedActivationDateTime"))) or created,
            model=h.findtext(qname("DeviceModel")),
            region=h.findtext(qname("CSPRegion")),
        )
        for h in body.iterfind(qname("Hub"))
    )
    periods = tuple(
        SchedulePeriod(
            start=parse_datetime(p.findtext(qname("PeriodStart"))) or created,
            end=parse_datetime(p.findtext(qname("PeriodEnd"))) or created,
            label=p.findtext(qname("GroupLabel")),
            guids=tuple((g.text or "").strip() for g in p.iterfind(_DEVICE_IDS)),
        )
        for p in body.iterfind(qname("SchedulePeriod"))
    )
    decision = text("Decision")
    dimension = text("Dimension")
    stage = text("Stage")
    part_number = text("PartNumber")
    parts = tuple(
        InstructionPart(
            number=int(p.findtext(qname("PartNumber")) or 0),
            file_sequence=int(p.findtext(qname("FileSequence")) or 0),
            hubs=int(p.findtext(qname("HubCount")) or 0),
            sha256=(p.findtext(qname("SHA256")) or "").strip(),
        )
        for p in body.iterfind(qname("Part"))
    )
    return GatewayFile(
        kind=kind,
        csp_id=(header.findtext(qname("CSPID")) or "").strip(),
        campaign_id=(header.findtext(qname("CampaignID")) or "").strip(),
        created_at=created,
        supplier_id=text("SupplierID"),
        request_id=text("RequestID"),
        guids=tuple((g.text or "").strip() for g in body.iterfind(_DEVICE_IDS)),
        periods=periods,
        constraints=tuple((c.text or "").strip() for c in body.iterfind(qname("Constraint"))),
        instruction_id=text("InstructionID"),
        stage=DeploymentKind(stage) if stage else None,
        firmware_version=text("FirmwareVersion"),
        window_start=parse_datetime(text("WindowStart")),
        window_end=parse_datetime(text("WindowEnd")),
        hubs=hubs if kind is FileKind.INSTRUCTION else (),
        part_number=int(part_number) if part_number else None,
        parts=parts,
        decision=RolloutDecision(re.sub(r"(?<!^)([A-Z])", r"_\1", decision).lower())
        if decision
        else None,
        reason=text("Reason"),
        dimension=Dimension(dimension.lower()) if dimension else None,
        slice_value=text("SliceValue"),
        slice_hubs=tuple(
            (
                (h.findtext(qname("DeviceID")) or "").strip(),
                parse_datetime(h.findtext(qname("PlannedActivationDateTime"))),
            )
            for h in body.iterfind(qname("Hub"))
        )
        if kind in (FileKind.SLICE_PAUSE, FileKind.SLICE_RESUME)
        else (),
    )
