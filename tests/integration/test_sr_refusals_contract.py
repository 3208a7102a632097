"""The Service Request contract of issue #11: a refusal changes nothing (X5), a supplier names
only its own hubs and learns nothing of others' (X2, BR5.2), an incident concerns deployed
firmware (BR6.2), and the envelope is DUIS 5.4's, answered in DUIS terms however broken."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.duis.schema import validate
from chfw_api.services import estate_status
from tests.conftest import START
from tests.integration import snapshot
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import (
    NEW_VERSION,
    Hubs,
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate
from tests.integration.deployed_fixtures import deployed_campaign, report_distributed

A, B = SUPPLIER_A, SUPPLIER_B
UNKNOWN = "00-00-00-00-00-00-00-01"
LAUNCH_TIME = START + timedelta(days=150)


def _send(client: TestClient, key: dict[str, str], data: bytes) -> httpx.Response:
    return client.post(
        "/api/v1/serviceD", headers={**key, "Content-Type": "application/xml"}, content=data
    )


def _doc(r: httpx.Response) -> etree._Element:
    assert r.headers["content-type"].startswith("application/xml"), r.text
    doc = etree.fromstring(r.content)
    validate(doc)
    return doc


def _header(doc: etree._Element, name: str) -> str | None:
    return doc.findtext(f"sr:Header/sr:{name}", namespaces=sr.NS)


def _reasons(doc: etree._Element) -> dict[str, tuple[str, str]]:
    """GUID -> (ReasonCode, ReasonText) of every RejectedDevice."""
    return {
        str(e.findtext("sr:DeviceID", namespaces=sr.NS)): (
            str(e.findtext("sr:ReasonCode", namespaces=sr.NS)),
            str(e.findtext("sr:ReasonText", namespaces=sr.NS)),
        )
        for e in doc.iterfind(".//sr:RejectedDevice", sr.NS)
    }


def _pilot_campaign(client: TestClient, estate: Estate) -> tuple[Hubs, str]:
    hubs = load_hubs(client, estate)
    window = pilot_window(days_from_start=60, length_days=60)
    release = create_release(client, estate)
    return hubs, str(
        create_campaign(client, estate, release, with_pilot=True, **window)["campaign_id"]
    )


COUNTED = (
    "audit_log", "alerts", "gateway_files", "preferred_pilot_lists", "preferred_pilot_hubs",
    "pilot_schedule_requests", "instructions", "instruction_votes", "incidents", "reports",
)  # fmt: skip


def _counts(container: Container) -> dict[str, int]:
    """Rows of every table a supplier request can write (its RequestID counter aside)."""
    with container.engine.connect() as conn:
        return {t: int(conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0) for t in COUNTED}


@pytest.fixture
def pilot_with_list(client: TestClient, estate: Estate) -> tuple[Hubs, str]:
    """A pilot campaign where supplier A's preferred list holds its five hubs."""
    hubs, cid = _pilot_campaign(client, estate)
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.5", sr.pilot_list(cid, hubs.a_only)))
    assert sr.code(_doc(r)) == "I0", r.text
    return hubs, cid


# ------------------------------------------------------------------ finding 1: X5 refusals


def test_a_pilot_list_with_no_hub_taken_leaves_the_stored_list_standing(
    client: TestClient, estate: Estate, container: Container, pilot_with_list: tuple[Hubs, str]
) -> None:
    # covers: X5, BR5.2, A04
    hubs, cid = pilot_with_list
    with container.uow(read_only=True) as uow:
        lists_before = uow.pilot.preferred_lists(cid)
    page = client.get(f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.dcc).json()
    in_pilot_before = {h["guid"] for h in page["items"] if h["in_pilot"]}
    assert set(hubs.a_only) <= in_pilot_before
    before = _counts(container)

    named = [hubs.b_only[0], UNKNOWN]
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.5", sr.pilot_list(cid, named)))
    doc = _doc(r)
    assert (r.status_code, sr.code(doc)) == (422, "E110503")
    assert set(_reasons(doc)) == set(named)  # each rejected GUID is still listed (BR5.2)

    with container.uow(read_only=True) as uow:
        assert uow.pilot.preferred_lists(cid) == lists_before
    page = client.get(f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.dcc).json()
    assert {h["guid"] for h in page["items"] if h["in_pilot"]} == in_pilot_before
    assert _counts(container) == before  # no audit entry, alert or CSP file either


def test_a_schedule_or_instruction_with_no_hub_taken_records_nothing(
    client: TestClient, estate: Estate, container: Container, pilot_with_list: tuple[Hubs, str]
) -> None:
    # covers: X5
    hubs, cid = pilot_with_list
    before = _counts(container)
    start = START + timedelta(days=61)
    outside = hubs.b_only[:1]
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.6", sr.schedule(
        cid, start, start + timedelta(days=7), outside)))  # fmt: skip
    assert sr.code(_doc(r)) == "E110604"
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, START + timedelta(days=70), outside, stage="Pilot")))  # fmt: skip
    assert sr.code(_doc(r)) == "E110707"
    # A hub named again in a later entry is rejected there too; none taken, nothing recorded.
    one = sr.schedule(cid, start, start + timedelta(days=7), outside)
    entry = one[one.index("<sr:ScheduleEntry>") : one.index("</sr:ScheduleEntry>")]
    twice = one.replace("</sr:ScheduleEntry>", f"</sr:ScheduleEntry>{entry}</sr:ScheduleEntry>", 1)
    doc = _doc(_send(client, estate.supplier_a, sr.envelope(A, "11.6", twice)))
    assert sr.code(doc) == "E110604"
    reasons = [
        e.findtext("sr:ReasonCode", namespaces=sr.NS)
        for e in doc.iterfind(".//sr:RejectedDevice", sr.NS)
    ]
    assert len(reasons) == 2 and "E110611" in reasons
    assert _counts(container) == before


# ---------------------------------------------------------- finding 2: incidents (BR6.2, X2)


def test_an_incident_naming_hubs_not_yours_is_refused_each_listed_alike(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2, BR6.2, BR5.2, X5
    hubs, cid = deployed_campaign(client, estate)
    before = _counts(container)
    named = [hubs.a_only[0], hubs.b_only[0], UNKNOWN]
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.10", sr.incident(
        cid, named, stop=True)))  # fmt: skip
    doc = _doc(r)
    assert (r.status_code, sr.code(doc)) == (422, "E111001")
    reasons = _reasons(doc)
    assert set(reasons) == {hubs.b_only[0], UNKNOWN}  # every failing GUID, and only those
    # Another supplier's hub reads exactly like a GUID nobody has (X2).
    assert reasons[hubs.b_only[0]] == reasons[UNKNOWN]
    assert reasons[UNKNOWN][0] == "E111011"
    assert client.get("/api/v1/incidents", headers=estate.dcc).json() == []
    campaign = client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()
    assert campaign["stage"] == "Notified"  # the emergency stop request went nowhere
    assert _counts(container) == before
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.10", sr.incident(
        cid, hubs.a_only[:2], stop=True)))  # fmt: skip
    assert sr.code(_doc(r)) == "I0"  # its own hubs are fine


def test_an_incident_waits_for_deployed_firmware(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR6.2, X5
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    before = _counts(container)
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.10", sr.incident(
        cid, hubs.a_only[:1], stop=True)))  # fmt: skip
    assert (r.status_code, sr.code(_doc(r))) == (409, "E111002")
    assert _counts(container) == before
    # Firmware reaches one hub (another supplier's): now the campaign has deployed firmware.
    report_distributed(client, estate.csp_central, cid, hubs.b_only[:1])
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.10", sr.incident(
        cid, hubs.a_only[:1], stop=True)))  # fmt: skip
    assert sr.code(_doc(r)) == "I0"


def test_a_campaign_without_your_hubs_reads_as_unknown_to_an_incident(
    client: TestClient, estate: Estate
) -> None:
    # covers: X2
    hubs = load_hubs(client, estate)
    other = create_release(client, estate, model="OTHER-1", version="0200B100")
    cid = create_campaign(client, estate, other)["campaign_id"]  # only A's OTHER-1 hubs
    report_distributed(client, estate.csp_central, cid, hubs.other_model[:1])
    answers = [
        _send(client, estate.supplier_b, sr.envelope(B, "11.10", sr.incident(c)))
        for c in (cid, "C-999999")
    ]
    assert [(r.status_code, sr.code(_doc(r))) for r in answers] == [(404, "E110017")] * 2


# ------------------------------------------------------------ finding 5: the DUIS envelope


@pytest.mark.parametrize("version", ["9.9", "5.3", "5.5"])
def test_only_schema_version_5_4_is_read(
    client: TestClient, estate: Estate, container: Container, version: str
) -> None:
    # covers: X5
    _hubs, cid = deployed_campaign(client, estate)
    data = sr.envelope(A, "11.10", sr.incident(cid), counter=9_000_000)
    r = _send(client, estate.supplier_a, data.replace(b'"5.4"', f'"{version}"'.encode()))
    doc = _doc(r)
    assert (r.status_code, sr.code(doc)) == (400, "E110005")
    assert "schemaVersion" in r.text
    assert client.get("/api/v1/incidents", headers=estate.dcc).json() == []
    # Nothing was acted on, not even the RequestID counter: the same request in 5.4 is taken.
    assert sr.code(_doc(_send(client, estate.supplier_a, data))) == "I0"


def _oversize(container: Container) -> bytes:
    head = sr.envelope(A, "11.10", sr.incident("C-000001"), counter=9_100_000)
    return head + b"<!--" + b"x" * container.settings.max_body_bytes + b"-->"


def test_an_oversize_body_is_answered_as_duis_e110003_with_what_it_names(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X5
    big = _oversize(container)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is found while reading
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    for content in (big, chunks()):
        headers = {**estate.supplier_a, "Content-Type": "application/xml"}
        r = client.post("/api/v1/serviceD", content=content, headers=headers)
        doc = _doc(r)
        assert (r.status_code, sr.code(doc)) == (413, "E110003")
        request_id = f"{A}:{sr.DCC}:9100000"
        assert _header(doc, "RequestID") == request_id
        assert _header(doc, "ResponseID") == f"{sr.DCC}:{A}:9100000"
        assert doc.findtext(".//sr:ServiceReference", namespaces=sr.NS) == "11.10"
    # The key is still checked first: no answer about the body to a stranger.
    r = client.post("/api/v1/serviceD", content=big, headers={"Content-Type": "application/xml"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("body", "reference", "request_id"),
    [
        # header readable, body broken: the SR and RequestID it names are echoed
        (sr.envelope(A, "11.5", "<sr:SubmitPreferredPilotList>", counter=42), "11.5",
         f"{A}:{sr.DCC}:42"),
        # the ServiceReference is out of range: the body element names the SR
        (sr.envelope(A, "11.5", sr.pilot_list("C-1", [UNKNOWN]), counter=43).replace(
            b">11.5<", b">11.4<"), "11.5", f"{A}:{sr.DCC}:43"),
        # tags with attributes are still read
        (sr.envelope(A, "11.8", "<sr:ReadCHFirmwareStatus>", counter=44).replace(
            b"<sr:ServiceReference>", b'<sr:ServiceReference xmlns:x="urn:x">').replace(
            b"<sr:RequestID>", b"<sr:RequestID\n>"), "11.8", f"{A}:{sr.DCC}:44"),
        # no usable RequestID (counter 0 is outside 1..2^64-1): no RequestID, no ResponseID
        (sr.envelope(A, "11.9", "<sr:Bogus/>", counter=0), "11.9", None),
        (b"<sr:Request>", "11.7", None),
        (b"\xff\xfe<", "11.7", None),
    ],
)  # fmt: skip
def test_an_unreadable_body_echoes_what_it_names_and_never_a_zero_counter(
    client: TestClient, estate: Estate, body: bytes, reference: str, request_id: str | None
) -> None:
    # covers: X5
    r = _send(client, estate.supplier_a, body)
    doc = _doc(r)
    assert r.status_code == 400 and sr.code(doc).startswith("E1100")
    assert doc.findtext(".//sr:ServiceReference", namespaces=sr.NS) == reference
    assert _header(doc, "RequestID") == request_id
    response_id = _header(doc, "ResponseID")
    if request_id is None:
        assert response_id is None
    else:
        assert response_id == f"{sr.DCC}:{A}:{request_id.rsplit(':', 1)[1]}"


def test_a_report_read_by_id_is_no_warning_and_says_its_size(
    client: TestClient,
    estate: Estate,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # covers: BR5.3, BR5.2
    hubs, _cid = _pilot_campaign(client, estate)
    monkeypatch.setattr(estate_status, "SYNC_LIMIT", 2)
    reports = {}
    for name, body in (
        ("whole", sr.status()),
        ("named", f"<sr:ReadCHFirmwareStatus>{sr.ids([*hubs.a_only, hubs.b_only[0], UNKNOWN])}"
                  "</sr:ReadCHFirmwareStatus>"),
    ):  # fmt: skip
        r = _send(client, estate.supplier_a, sr.envelope(A, "11.8", body))
        assert sr.code(_doc(r)) == "I99", r.text
        reports[name] = str(_doc(r).findtext(".//sr:ReportID", namespaces=sr.NS))
    container.settings.reports_dir = container.settings.reports_dir.resolve()
    estate_status.produce_reports(
        container.uow, container.clock, directory=container.settings.reports_dir / "h1"
    )
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.8", sr.report(reports["whole"])))
    doc = _doc(r)
    mine = hubs.a_only + hubs.split_ab + hubs.other_model + hubs.already_new
    mine += hubs.not_commissioned
    assert (r.status_code, sr.code(doc)) == (200, "I0")  # nothing was left out
    assert doc.findtext(".//sr:HubCount", namespaces=sr.NS) == str(len(mine))
    assert len(doc.findall(".//sr:Hub", sr.NS)) == 2 and not _reasons(doc)
    # The named hubs that were not A's are listed again when the report is read.
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.8", sr.report(reports["named"])))
    doc = _doc(r)
    assert (r.status_code, sr.code(doc)) == (200, "W110801")
    assert doc.findtext(".//sr:HubCount", namespaces=sr.NS) == str(len(hubs.a_only))
    assert set(_reasons(doc)) == {hubs.b_only[0], UNKNOWN}


def test_a_report_lists_each_named_hub_not_yours_alike(client: TestClient, estate: Estate) -> None:
    # covers: BR5.2, X2, BR5.3
    hubs, _cid = _pilot_campaign(client, estate)
    named = [hubs.a_only[0], hubs.split_ab[0], hubs.b_only[0], UNKNOWN, UNKNOWN]
    body = f"<sr:ReadCHFirmwareStatus>{sr.ids(named)}</sr:ReadCHFirmwareStatus>"
    doc = _doc(r := _send(client, estate.supplier_a, sr.envelope(A, "11.8", body)))
    assert (r.status_code, sr.code(doc)) == (200, "W110801")
    listed = {h.findtext("sr:DeviceID", namespaces=sr.NS) for h in doc.iterfind(".//sr:Hub", sr.NS)}
    assert listed == {hubs.a_only[0], hubs.split_ab[0]}
    reasons = _reasons(doc)
    assert set(reasons) == {hubs.b_only[0], UNKNOWN}
    assert reasons[hubs.b_only[0]] == reasons[UNKNOWN] and reasons[UNKNOWN][0] == "E110811"
    own = f"<sr:ReadCHFirmwareStatus>{sr.ids(hubs.a_only)}</sr:ReadCHFirmwareStatus>"
    assert sr.code(_doc(_send(client, estate.supplier_a, sr.envelope(A, "11.8", own)))) == "I0"


def test_a_hub_activated_without_an_instruction_is_already_updated(
    client: TestClient, estate: Estate
) -> None:
    # covers: BR5.2
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    activated, distributed = hubs.a_only[0], hubs.a_only[1]
    results = [
        {"guid": activated, "outcome": "activated", "at": START.isoformat(),
         "firmware_version": NEW_VERSION},
        {"guid": distributed, "outcome": "distributed", "at": START.isoformat()},
    ]  # fmt: skip
    r = client.post(f"/api/v1/csp/campaigns/{cid}/activation-results",
                    headers=estate.csp_central, json={"results": results})  # fmt: skip
    assert r.status_code == 200 and r.json()["accepted"] == 2, r.text
    r = _send(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, LAUNCH_TIME, [activated, distributed])))  # fmt: skip
    doc = _doc(r)
    assert sr.code(doc) == "E110707"
    reasons = _reasons(doc)
    assert reasons[activated][0] == "E110712" and "updated" in reasons[activated][1]
    assert reasons[distributed][0] == "E110715"


def test_a_request_over_the_guid_limit_changes_nothing(
    client: TestClient, estate: Estate, container: Container
) -> None:
    """#12.5: more GUIDs than CHFW_MAX_REQUEST_GUIDS is refused E110021 before the body is
    parsed; not a row, a counter or a file changes."""
    # covers: X5
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    over = container.settings.max_request_guids + 1
    named = [*hubs.a_only, *(guid_from_int(0xEE00_0000_0000_0000 + i) for i in range(over))]
    before = snapshot.take(container.engine)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, START + timedelta(days=40), named[:over])))  # fmt: skip
    assert (r.status_code, sr.code(doc)) == (413, "E110021"), r.text
    assert f"{over:,} GUIDs" in r.text
    assert snapshot.differences(before, snapshot.take(container.engine)) == []
