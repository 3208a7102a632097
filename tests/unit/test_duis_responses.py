"""Results render as `sr:Response` documents valid against our schema, with the response code
the one table chooses; every code is documented, and every documented code exists."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from chfw_api.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    NotFound,
    Problem,
    Unauthenticated,
    ValidationFailed,
)
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.parties import SupplierRole
from chfw_api.domain.releases import Priority
from chfw_api.domain.service_request_results import (
    GUID_REASONS,
    Actor,
    CampaignDashboard,
    Dashboard,
    GuidReason,
    GuidRejection,
    HubStatus,
    IncidentRaised,
    InstructionResult,
    OtherActorAction,
    OutstandingAction,
    PilotListResult,
    Refusal,
    Rejection,
    RejectionProblem,
    ReportPending,
    ScheduleResult,
    ServiceRequestRefused,
    ServiceResult,
    StatusCount,
    StatusReport,
)
from chfw_api.domain.service_requests import ServiceReference
from chfw_api.domain.stages import Stage
from chfw_api.duis import NS_SR, RESPONSE, XmlRejected, parse_validated
from chfw_api.duis import errors as xml_errors
from chfw_api.duis.codes import (
    CODES,
    DEVICE_CODES,
    REFUSAL_CODES,
    device_code,
    error_code,
    http_status,
    outcome_code,
    rejection,
)
from chfw_api.duis.responses import (
    ResponseInvalid,
    clean_text,
    format_duration,
    render_error,
    render_response,
    response_element,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
DOC = ROOT / "docs" / "response-codes.md"
SR = f"{{{NS_SR}}}"
SUPPLIER, DCC = "90-B3-D5-1F-30-01-00-00", "90-B3-D5-1F-30-00-00-02"
RESPONSE_ID = f"{DCC}:{SUPPLIER}:5"
AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_SR = ServiceReference


def render(result: ServiceResult, sr: ServiceReference, request_id: str | None = None) -> bytes:
    return render_response(
        result, service_reference=sr, response_id=RESPONSE_ID, at=AT, request_id=request_id
    )


def read(data: bytes) -> etree._Element:
    """Parse our own output as hardened and strictly as any incoming message."""
    return parse_validated(data, RESPONSE)


def code_of(root: etree._Element) -> str:
    return root.findtext(f"{SR}Header/{SR}ResponseCode") or ""


# ----------------------------------------------------------------------------- strategies

guids = st.integers(0, 2**64 - 1).map(guid_from_int)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}", fullmatch=True)
versions = st.from_regex(r"[0-9A-F]{1,8}", fullmatch=True)
statuses = st.from_regex(r"[A-Za-z]{1,32}", fullmatch=True)
texts = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80).filter(str.strip)
counts = st.integers(0, 10**9)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]),
)


def rejections(sr: ServiceReference) -> st.SearchStrategy[tuple[GuidRejection, ...]]:
    reasons = st.sampled_from(sorted(GUID_REASONS[sr]))
    return st.lists(st.builds(GuidRejection, guids, reasons, texts), max_size=5).map(tuple)


roles = st.sampled_from(
    [frozenset({SupplierRole.IMPORT}), frozenset({SupplierRole.GAS}), frozenset(SupplierRole)]
)
hubs = st.builds(
    HubStatus,
    guids,
    roles,
    versions,
    st.none() | ids,
    st.none() | statuses,
    st.none() | moments,
)
campaigns = st.builds(
    CampaignDashboard,
    ids,
    st.sampled_from(list(Stage)),
    versions,
    moments,
    st.lists(st.builds(StatusCount, statuses, counts), max_size=4).map(tuple),
    st.lists(st.builds(OutstandingAction, texts, moments), max_size=3).map(tuple),
    st.lists(st.builds(OtherActorAction, st.sampled_from(list(Actor)), texts, moments),
             max_size=3).map(tuple),
)  # fmt: skip
results: st.SearchStrategy[tuple[ServiceResult, ServiceReference]] = st.one_of(
    st.builds(PilotListResult, counts, rejections(_SR.SUBMIT_PREFERRED_PILOT_LIST)).map(
        lambda r: (r, _SR.SUBMIT_PREFERRED_PILOT_LIST)
    ),
    st.builds(ScheduleResult, counts, counts, rejections(_SR.SUBMIT_PREFERRED_PILOT_SCHEDULE)).map(
        lambda r: (r, _SR.SUBMIT_PREFERRED_PILOT_SCHEDULE)
    ),
    st.builds(
        InstructionResult,
        st.just(False),
        counts,
        rejections(_SR.INSTRUCT_DEPLOYMENT),
        st.none() | ids,
        st.none() | moments,
        st.none() | counts,
    ).map(lambda r: (r, _SR.INSTRUCT_DEPLOYMENT)),
    st.builds(
        StatusReport,
        moments,
        st.lists(hubs, max_size=4).map(tuple),
        st.none() | ids,
        rejections(_SR.READ_FIRMWARE_STATUS),
    ).map(lambda r: (r, _SR.READ_FIRMWARE_STATUS)),
    st.builds(ReportPending, ids).map(lambda r: (r, _SR.READ_FIRMWARE_STATUS)),
    st.builds(Dashboard, moments, st.lists(campaigns, max_size=3).map(tuple)).map(
        lambda r: (r, _SR.READ_DASHBOARD)
    ),
    st.builds(IncidentRaised, ids, st.sampled_from(list(Priority)), st.booleans()).map(
        lambda r: (r, _SR.RAISE_INCIDENT)
    ),
    st.builds(
        Rejection,
        st.sampled_from(sorted(c for c, i in CODES.items() if c.startswith("E") and i.http_status)),
        texts,
        st.lists(st.builds(RejectionProblem, texts, st.none() | texts), max_size=5).map(tuple),
    ).map(lambda r: (r, _SR.READ_DASHBOARD)),
)


# --------------------------------------------------------------------------- every result


@FAST
@given(results, st.none() | st.just(f"{SUPPLIER}:{DCC}:5"))
def test_every_result_type_renders_a_valid_response(
    case: tuple[ServiceResult, ServiceReference], request_id: str | None
) -> None:
    # covers: BR5.2, BR5.3, BR5.4, BR5.5, BR6.2, X5
    result, sr = case
    root = read(render(result, sr, request_id))
    header = root.find(f"{SR}Header")
    assert header is not None
    assert header.findtext(f"{SR}RequestID") == request_id
    assert header.findtext(f"{SR}ResponseID") == RESPONSE_ID
    assert code_of(root) == outcome_code(result)
    assert code_of(root) in CODES
    message = root.find(f"{SR}Body/{SR}ResponseMessage")
    assert message is not None and message.findtext(f"{SR}ServiceReference") == sr.value


@FAST
@given(rejections(_SR.INSTRUCT_DEPLOYMENT), counts)
def test_every_rejected_guid_is_listed_with_its_code_and_reason(
    rejected: tuple[GuidRejection, ...], accepted: int
) -> None:
    # covers: BR5.2
    result = InstructionResult(dry_run=True, accepted=accepted, rejected=rejected)
    root = read(render(result, _SR.INSTRUCT_DEPLOYMENT))
    body = root.find(f".//{SR}DeploymentInstructionResult")
    assert body is not None
    assert body.findtext(f"{SR}RejectedCount") == str(len(rejected))
    listed = [
        (d.findtext(f"{SR}DeviceID"), d.findtext(f"{SR}ReasonCode"), d.findtext(f"{SR}ReasonText"))
        for d in body.iterfind(f"{SR}RejectedDevice")
    ]
    assert listed == [
        (r.guid, device_code(r.code, _SR.INSTRUCT_DEPLOYMENT), clean_text(r.reason))
        for r in rejected
    ]


def test_the_code_says_whether_all_some_or_none_were_taken() -> None:
    # covers: BR5.2, X5
    bad = GuidRejection(guid_from_int(1), GuidReason.NOT_RESPONSIBLE, "not your hub")
    assert outcome_code(PilotListResult(accepted=3)) == "I0"
    assert outcome_code(PilotListResult(accepted=3, rejected=(bad,))) == "W110501"
    assert outcome_code(PilotListResult(accepted=0, rejected=(bad,))) == "E110503"
    assert outcome_code(ScheduleResult(1, 0, (bad,))) == "E110604"
    assert outcome_code(ScheduleResult(1, 2, (bad,))) == "W110601"
    assert outcome_code(InstructionResult(dry_run=False, accepted=0)) == "E110707"
    assert outcome_code(InstructionResult(dry_run=True, accepted=9, rejected=(bad,))) == "W110701"
    not_yours = GuidRejection(guid_from_int(2), GuidReason.NOT_YOURS, "not a hub you serve")
    assert outcome_code(StatusReport(AT, rejected=(not_yours,))) == "W110801"
    assert outcome_code(StatusReport(AT, report_id="RPT-1", total=5000)) == "I0"
    assert outcome_code(ReportPending("R-1")) == "I99"
    assert http_status("I99") == 202 and http_status("W110701") == 200
    # Nothing taken: an E code, yet the body still names every GUID (more than 100 fit).
    many = tuple(
        GuidRejection(guid_from_int(i), GuidReason.UNKNOWN, "not in the inventory")
        for i in range(150)
    )
    root = read(render(InstructionResult(dry_run=False, accepted=0, rejected=many), _SR("11.7")))
    assert code_of(root) == "E110707"
    assert len(root.findall(f".//{SR}RejectedDevice")) == 150
    assert {d.findtext(f"{SR}ReasonCode") for d in root.iter(f"{SR}RejectedDevice")} == {"E19"}


def test_results_refuse_reasons_their_sr_cannot_give() -> None:
    pilot_only = GuidRejection(guid_from_int(1), GuidReason.IN_PILOT, "in the pilot")
    with pytest.raises(ValueError, match="cannot reject a GUID as in-pilot"):
        PilotListResult(accepted=1, rejected=(pilot_only,))
    with pytest.raises(ValueError, match="no instruction ID"):
        InstructionResult(dry_run=True, accepted=1, instruction_id="I-1")
    with pytest.raises(ValueError, match=r"answers SR 11\.8"):
        response_element(ReportPending("R"), service_reference=_SR("11.9"),
                         response_id=RESPONSE_ID, at=AT)  # fmt: skip
    with pytest.raises(ValueError, match="reason"):
        GuidRejection(guid_from_int(1), GuidReason.UNKNOWN, " ")


def test_time_left_is_negative_when_overdue() -> None:
    # covers: BR5.4
    due = AT - timedelta(days=2, hours=3)
    dashboard = Dashboard(
        AT,
        (
            CampaignDashboard(
                "C-1",
                Stage.SAFE_LAUNCHING,
                "2A01",
                AT + timedelta(days=30),
                outstanding=(
                    OutstandingAction("Instruct", due),
                    OutstandingAction("Answer", AT + timedelta(minutes=90, seconds=1.5)),
                ),
            ),
        ),
    )
    root = read(render(dashboard, _SR.READ_DASHBOARD))
    assert [e.text for e in root.iter(f"{SR}TimeLeft")] == ["-P2DT3H", "PT1H30M1.5S"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(days=3), "P3D"),
        (timedelta(seconds=59), "PT59S"),
        (timedelta(seconds=10), "PT10S"),
        (timedelta(microseconds=1), "PT0.000001S"),
        (-timedelta(days=1, minutes=1), "-P1DT1M"),
    ],
)
def test_durations_are_xml_schema_durations(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@settings(max_examples=200, deadline=None)
@given(st.timedeltas(min_value=timedelta(days=-(10**6)), max_value=timedelta(days=10**6)))
def test_any_duration_round_trips(value: timedelta) -> None:
    text = format_duration(value)
    found = re.fullmatch(r"(-?)P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?", text)
    assert found is not None and text not in {"P", "-P"} and not text.endswith("T")
    sign, d, h, m, s = found.groups()
    back = timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(m or 0),
                     microseconds=round(float(s or 0) * 1_000_000))  # fmt: skip
    assert (-back if sign else back) == value


def test_free_text_is_made_safe_and_fits_the_schema() -> None:
    # covers: X5
    hostile = "\x00\x1b bad \ud800? " + "x" * 5000
    result = Rejection("E110019", hostile, (RejectionProblem(hostile, hostile),))
    root = read(render(result, _SR.RAISE_INCIDENT))
    reason = root.findtext(f".//{SR}ReasonText") or ""
    assert len(reason) == 4000 and reason.startswith("\ufffd\ufffd bad \ufffd?")
    assert len(root.findtext(f".//{SR}Location") or "") == 256


def test_an_out_of_range_value_fails_loudly_before_sending() -> None:
    with pytest.raises(ResponseInvalid):
        render(IncidentRaised("not an identifier!"), _SR.RAISE_INCIDENT)


def test_a_large_rejection_list_renders_in_reasonable_time() -> None:
    # covers: BR3.7, BR5.2
    rejected = tuple(
        GuidRejection(guid_from_int(i), GuidReason.NOT_ELIGIBLE, "not targeted by this campaign")
        for i in range(50_000)
    )
    start = time.perf_counter()
    data = render(InstructionResult(dry_run=True, accepted=0, rejected=rejected), _SR("11.7"))
    took = time.perf_counter() - start
    assert data.count(b"<sr:RejectedDevice>") == 50_000
    assert took < 2.0, f"rendering 50,000 rejections took {took * 1000:.0f} ms"


# ------------------------------------------------------------------------------- errors


def test_each_error_maps_to_one_documented_code() -> None:
    # covers: X5
    assert error_code(Unauthenticated("who?")) == "E1"
    assert error_code(Forbidden("not for you")) == "E2"
    assert error_code(NotFound("no such campaign")) == "E110017"
    # Every state an SR can be refused in has its own code; a stray conflict is a broken rule.
    assert error_code(IllegalTransition(current="Closed", attempted="x", allowed=[])) == "E110019"
    assert error_code(Conflict("busy")) == "E110019"
    assert error_code(ValidationFailed("bad", [Problem("x")])) == "E110019"
    assert error_code(DomainError("odd")) == "E110019"
    assert error_code(xml_errors.XmlRejected(xml_errors.TOO_LARGE, "big")) == "E110003"
    for refusal in Refusal:
        code = error_code(ServiceRequestRefused(refusal, "no"))
        assert code == REFUSAL_CODES[refusal] and http_status(code) >= 400


def test_a_rejection_keeps_every_problem_up_to_the_schemas_100() -> None:
    # covers: X5
    problems = [Problem(f"GUID {i} is not yours", location=f"DeviceID[{i}]") for i in range(250)]
    refused = ServiceRequestRefused(Refusal.INCIDENT_DEVICES, "hubs not yours", tuple(problems))
    result = rejection(refused)
    assert result.code == "E111001" and result.reason == "hubs not yours"
    assert len(result.problems) == 100
    assert result.problems[0] == RejectionProblem("GUID 0 is not yours", "DeviceID[0]")
    assert result.problems[-1].text == "and 151 more problems"
    root = read(
        render_error(
            refused,
            service_reference=_SR.RAISE_INCIDENT,
            response_id=RESPONSE_ID,
            at=AT,
            request_id=f"{SUPPLIER}:{DCC}:9",
        )
    )
    assert code_of(root) == "E111001"
    assert len(root.findall(f".//{SR}Problem")) == 100


def test_an_xml_refusal_renders_with_where_and_why() -> None:
    # covers: X5
    error = XmlRejected(
        xml_errors.SCHEMA_INVALID,
        "not valid against the schema",
        (xml_errors.XmlProblem("Element 'x': not expected", 7, "/sr:Request/sr:Body"),),
    )
    root = read(
        render_error(
            error, service_reference=_SR.INSTRUCT_DEPLOYMENT, response_id=RESPONSE_ID, at=AT
        )
    )
    assert code_of(root) == "E110005"
    assert root.findtext(f".//{SR}Problem/{SR}Location") == "line 7, /sr:Request/sr:Body"


# ------------------------------------------------------------------- the table and the doc


def _documented() -> dict[str, str]:
    rows = re.findall(r"^\| ((?:I|E|W)[0-9]+) \| [^|]+ \| ([^|]+) \|", DOC.read_text(), re.M)
    assert len(rows) == len({code for code, _ in rows}), "a code is listed twice"
    return {code: http.strip() for code, http in rows}


def test_every_code_is_documented_and_every_documented_code_exists() -> None:
    documented = _documented()
    assert set(documented) == set(CODES)
    for code, info in CODES.items():
        expected = str(info.http_status) if info.http_status else "per GUID"
        if info.per_device and info.http_status:
            expected += ", or per GUID"
        assert documented[code] == expected, code


def test_the_table_covers_every_reason_and_parser_code() -> None:
    assert set(xml_errors.CODES) <= set(CODES)
    assert set(REFUSAL_CODES) == set(Refusal)
    assert set(DEVICE_CODES) == set(GUID_REASONS)
    for sr, reasons in GUID_REASONS.items():
        assert set(DEVICE_CODES[sr]) == reasons
        for code in DEVICE_CODES[sr].values():
            assert CODES[code].per_device, code
    for code, info in CODES.items():
        assert re.fullmatch(r"I0|I99|E[0-9]{1,2}|[EW]11(0[0-9]|10)[0-9]{2}", code), code
        if code.startswith(("E11", "W11")) and code[3:5] != "00":
            assert info.service_references == f"11.{int(code[3:5])}", code
    with pytest.raises(ValueError, match="per-GUID"):
        http_status("E110511")
    with pytest.raises(ValueError, match="does not reject"):
        device_code(GuidReason.IN_PILOT, _SR.SUBMIT_PREFERRED_PILOT_LIST)


# ---------------------------------------------------------------------------- the examples


RESPONSE_EXAMPLES = sorted(EXAMPLES.glob("response-*.xml"))


@pytest.mark.parametrize("path", RESPONSE_EXAMPLES, ids=lambda p: p.stem)
def test_documented_responses_are_valid_and_answer_their_request(path: Path) -> None:
    # covers: BR5.2, BR5.3, BR5.5, BR6.2
    root = read(path.read_bytes())
    sr = path.stem.split("-")[1]
    (request,) = EXAMPLES.glob(f"sr-{sr}-*.xml")
    assert request.stem.removeprefix("sr-") == path.stem.removeprefix("response-")
    request_id = etree.parse(str(request)).findtext(f"{SR}Header/{SR}RequestID")
    assert root.findtext(f"{SR}Header/{SR}RequestID") == request_id
    assert root.findtext(f".//{SR}ResponseMessage/{SR}ServiceReference") == sr
    assert code_of(root) in CODES


def test_there_is_one_response_example_per_service_request() -> None:
    assert {p.stem.split("-")[1] for p in RESPONSE_EXAMPLES} == {sr.value for sr in _SR}
