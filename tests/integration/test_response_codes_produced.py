"""Every response code the Service Request endpoint documents is one it really sends.

The test is parametrised by the one table (`chfw_api.duis.codes.CODES`), so a code added there
without a scenario here fails. Each scenario drives the real `POST /api/v1/serviceD` over a
real database and returns the answers it got; a code counts as produced when it is a response's
own `ResponseCode` (with the HTTP status the table gives it) or, for a per-GUID reason, a
`RejectedDevice/ReasonCode`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from chfw_api.bootstrap import Container
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.duis.codes import CODES
from chfw_api.duis.keys import generate_signing_identity
from chfw_api.duis.schema import validate
from chfw_api.duis.signer import sign_document
from chfw_api.services import estate_status
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import (
    Hubs,
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate, csv_body, hub_line
from tests.integration.deployed_fixtures import deployed_campaign

A, B = SUPPLIER_A, SUPPLIER_B
UNKNOWN = "00-00-00-00-00-00-00-01"
PILOT_TIME = START + timedelta(days=70)  # inside the fixture pilot (day 60 to day 120)
LAUNCH_TIME = START + timedelta(days=150)  # before DCC's automatic date (six months on)
P_START = START + timedelta(days=61)


@dataclass
class World:
    client: TestClient
    estate: Estate
    container: Container
    monkeypatch: pytest.MonkeyPatch

    def send(self, data: bytes, key: dict[str, str] | None = None) -> httpx.Response:
        headers = {**(key or self.estate.supplier_a), "Content-Type": "application/xml"}
        return self.client.post("/api/v1/serviceD", headers=headers, content=data)

    def sr(self, ref: str, body: str, *, who: str = A) -> httpx.Response:
        return self.send(sr.envelope(who, ref, body))

    def ok(self, response: httpx.Response, *codes: str) -> httpx.Response:
        assert code_of(response) in codes, response.text
        return response


Answers = list[httpx.Response]
Scenario = Callable[[World], Answers]
SCENARIOS: dict[str, Scenario] = {}


def produces(*codes: str) -> Callable[[Scenario], Scenario]:
    def register(scenario: Scenario) -> Scenario:
        for code in codes:
            assert code not in SCENARIOS, f"{code} has two scenarios"
            SCENARIOS[code] = scenario
        return scenario

    return register


def doc_of(response: httpx.Response) -> etree._Element:
    assert response.headers["content-type"].startswith("application/xml"), response.text
    return etree.fromstring(response.content)


def code_of(response: httpx.Response) -> str:
    return sr.code(doc_of(response))


# ------------------------------------------------------------------------------- set-ups


def pilot(w: World, *extra: str) -> tuple[Hubs, str]:
    """The small estate (plus `extra` inventory lines) and a campaign with a pilot."""
    hubs = load_hubs(w.client, w.estate)
    if extra:
        import_lines(w, *extra)
    window = pilot_window(days_from_start=60, length_days=60)
    release = create_release(w.client, w.estate)
    cid = create_campaign(w.client, w.estate, release, with_pilot=True, **window)["campaign_id"]
    return hubs, str(cid)


def pilot_members(w: World) -> tuple[Hubs, str]:
    """A pilot campaign whose pilot group holds supplier A's first two hubs (its list)."""
    hubs, cid = pilot(w)
    w.ok(w.sr("11.5", sr.pilot_list(cid, hubs.a_only[:2])), "I0")
    return hubs, cid


def launch(w: World, **body: object) -> tuple[Hubs, str]:
    """The small estate and a campaign without a pilot."""
    hubs = load_hubs(w.client, w.estate)
    cid = create_campaign(w.client, w.estate, create_release(w.client, w.estate), **body)
    return hubs, str(cid["campaign_id"])


def import_lines(w: World, *lines: str) -> None:
    r = w.client.post("/api/v1/inventory/imports", headers={**w.estate.dcc,
                      "Content-Type": "text/csv"}, content=csv_body(*lines))  # fmt: skip
    assert r.status_code == 200, r.text


def dcc_post(w: World, path: str, **body: object) -> None:
    r = w.client.post(path, headers=w.estate.dcc, json={"reason": "planned", **body})
    assert r.status_code == 200, r.text


def certificate(w: World, *, serial: int = 4242, days: int = 365) -> tuple[bytes, bytes]:
    """Register a signing certificate for supplier A: its requests must now be signed."""
    key, cert = generate_signing_identity("U1", serial=serial, days=days, now=START)
    r = w.client.put(f"/api/v1/parties/{A}/certificate", headers=w.estate.dcc,
                     json={"certificate_pem": cert.decode()})  # fmt: skip
    assert r.status_code == 200, r.text
    return key, cert


def dashboard() -> bytes:
    return sr.envelope(A, "11.9", sr.dashboard())


def status_body(*, status: str | None = None, guids: list[str] | None = None) -> str:
    inner = (f"<sr:FirmwareStatus>{status}</sr:FirmwareStatus>" if status else "") + (
        sr.ids(guids) if guids else ""
    )
    return f"<sr:ReadCHFirmwareStatus>{inner}</sr:ReadCHFirmwareStatus>"


# ------------------------------------------------------------------------- outcomes, users


@produces("I0")
def processed(w: World) -> Answers:
    pilot(w)
    return [w.send(dashboard())]


@produces("I99", "E110802")
def asynchronous_report(w: World) -> Answers:
    pilot(w)
    w.monkeypatch.setattr(estate_status, "SYNC_LIMIT", 1)
    pending = w.sr("11.8", sr.status())
    report_id = str(doc_of(pending).findtext(".//sr:ReportID", namespaces=sr.NS))
    return [pending, w.sr("11.8", sr.report(report_id))]


@produces("E1")
def another_users_request_id(w: World) -> Answers:
    return [w.sr("11.9", sr.dashboard(), who=B)]  # A's key, B's RequestID


@produces("E2")
def a_csp_sends_a_service_request(w: World) -> Answers:
    return [w.send(dashboard(), w.estate.csp_north)]


@produces("E3")
def a_suspended_supplier(w: World) -> Answers:
    r = w.client.put(f"/api/v1/parties/{A}/status", headers=w.estate.dcc,
                     json={"status": "suspended", "reason": "contract ended"})  # fmt: skip
    assert r.status_code == 200, r.text
    return [w.send(dashboard())]


@produces("E12")
def command_variant_not_8(w: World) -> Answers:
    return [w.send(dashboard().replace(b"<sr:CommandVariant>8<", b"<sr:CommandVariant>3<"))]


# ----------------------------------------------------------------------- reading the body


@produces("E110001")
def not_xml(w: World) -> Answers:
    return [w.send(b"this is not XML")]


@produces("E110002")
def a_doctype(w: World) -> Answers:
    return [w.send(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>')]


@produces("E110003")
def over_the_size_limit(w: World) -> Answers:
    return [w.send(dashboard() + b"<!--" + b"x" * w.container.settings.max_body_bytes + b"-->")]


@produces("E110021")
def more_guids_than_one_request_may_name(w: World) -> Answers:
    # covers: X5
    over = w.container.settings.max_request_guids + 1
    guids = (guid_from_int(0xEE00_0000_0000_0000 + i) for i in range(over))
    return [w.sr("11.7", sr.instruction("CMP-000001", START + timedelta(days=40), guids))]


@produces("E110004")
def nested_too_deep(w: World) -> Answers:
    return [w.send(b"<a>" * 8_000 + b"</a>" * 8_000)]


@produces("E110005")
def another_schema_version(w: World) -> Answers:
    return [w.send(dashboard().replace(b'schemaVersion="5.4"', b'schemaVersion="9.9"'))]


@produces("E110006")
def not_a_request(w: World) -> Answers:
    return [w.send(b'<Request xmlns="urn:example:not-duis" schemaVersion="5.4"/>')]


# ------------------------------------------------------------------------------ the header


@produces("E110007")
def header_and_body_disagree(w: World) -> Answers:
    return [w.sr("11.5", sr.dashboard())]


@produces("E110008")
def sequenced(w: World) -> Answers:
    first = b"<sr:CommandVariant>"
    data = dashboard().replace(first, b"<sr:FirstInSequence>true</sr:FirstInSequence>" + first)
    return [w.send(data)]


@produces("E110009")
def a_time_without_zone(w: World) -> Answers:
    _hubs, cid = launch(w)
    naive = datetime(2026, 3, 1, 2, 0)
    return [w.sr("11.7", sr.instruction(cid, naive, None))]


@produces("E110010")
def not_addressed_to_dcc(w: World) -> Answers:
    return [w.send(dashboard().replace(f":{sr.DCC}:".encode(), b":90-B3-D5-1F-30-00-00-99:"))]


@produces("E110011")
def replayed(w: World) -> Answers:
    data = dashboard()
    return [w.ok(w.send(data), "I0"), w.send(data)]


# --------------------------------------------------------------------------- the signature


@produces("E110012")
def unsigned_once_a_certificate_is_registered(w: World) -> Answers:
    certificate(w)
    return [w.send(dashboard())]


@produces("E110013")
def signed_in_another_scheme(w: World) -> Answers:
    key, cert = certificate(w)
    signed = sign_document(dashboard(), key, cert)
    return [w.send(signed.replace(b"#ecdsa-sha256", b"#ecdsa-sha1"))]


@produces("E110014")
def signed_with_another_certificate(w: World) -> Answers:
    certificate(w)
    key, cert = generate_signing_identity("U1", serial=99, now=START)
    return [w.send(sign_document(dashboard(), key, cert))]


@produces("E110015")
def changed_after_signing(w: World) -> Answers:
    _hubs, cid = deployed_campaign(w.client, w.estate)
    key, cert = certificate(w)
    signed = sign_document(sr.envelope(A, "11.10", sr.incident(cid)), key, cert)
    return [w.send(signed.replace(b"top-ups failing", b"all is well!!!!"))]


@produces("E110016")
def certificate_expired(w: World) -> Answers:
    key, cert = certificate(w, days=1)
    clock = w.container.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(days=2))
    return [w.send(sign_document(dashboard(), key, cert))]


# ----------------------------------------------------------------------- campaign and rules


@produces("E110017")
def unknown_campaign(w: World) -> Answers:
    load_hubs(w.client, w.estate)
    return [w.sr("11.7", sr.instruction("C-999999", LAUNCH_TIME, None))]


@produces("E110018")
def ended_campaign(w: World) -> Answers:
    hubs, cid = launch(w)
    dcc_post(w, f"/api/v1/campaigns/{cid}/revoke")
    return [w.sr("11.7", sr.instruction(cid, LAUNCH_TIME, hubs.a_only))]


@produces("E110019")
def a_blank_incident(w: World) -> Answers:
    _hubs, cid = deployed_campaign(w.client, w.estate)
    body = sr.incident(cid).replace("top-ups failing", "   ")
    return [w.sr("11.10", body)]


# ------------------------------------------------------------------------------------ 11.5


@produces("W110501", "E4", "E19", "E110511", "E110512")
def pilot_list_partly_taken(w: World) -> Answers:
    hubs, cid = pilot(w)
    named = [hubs.a_only[0], hubs.a_only[0], hubs.b_only[0], UNKNOWN, hubs.other_model[0]]
    return [w.sr("11.5", sr.pilot_list(cid, named))]


@produces("E5")
def decommissioned_since_the_snapshot(w: World) -> Answers:
    hubs, cid = pilot(w)
    import_lines(w, hub_line(hubs.a_only[0], importer=A, gas=A, status="Decommissioned"))
    return [w.sr("11.5", sr.pilot_list(cid, hubs.a_only[:2]))]


@produces("E110513", "E110514")
def excluded_and_production_proving(w: World) -> Answers:
    excluded, proving = guid_from_int(5000), guid_from_int(5001)
    hubs, cid = pilot(w, hub_line(excluded, flags="0,0,1"), hub_line(proving, flags="1,0,0"))
    return [w.sr("11.5", sr.pilot_list(cid, [excluded, proving, hubs.a_only[0]]))]


@produces("E110501")
def pilot_list_without_a_pilot(w: World) -> Answers:
    hubs, cid = launch(w)
    return [w.sr("11.5", sr.pilot_list(cid, hubs.a_only[:1]))]


@produces("E110502")
def pilot_list_over_the_cap(w: World) -> Answers:
    hubs, cid = pilot(w)
    w.container.settings.pilot_max_size = 2
    return [w.sr("11.5", sr.pilot_list(cid, hubs.a_only[:3]))]


@produces("E110503")
def pilot_list_with_no_hub_taken(w: World) -> Answers:
    hubs, cid = pilot(w)
    return [w.sr("11.5", sr.pilot_list(cid, hubs.b_only[:1]))]


# ------------------------------------------------------------------------------------ 11.6


@produces("W110601", "E110611", "E110612")
def schedule_partly_taken(w: World) -> Answers:
    hubs, cid = pilot_members(w)
    named = [hubs.a_only[0], hubs.a_only[0], hubs.a_only[3]]
    return [w.sr("11.6", sr.schedule(cid, P_START, P_START + timedelta(days=7), named))]


@produces("E110601")
def schedule_without_a_pilot(w: World) -> Answers:
    hubs, cid = launch(w)
    return [w.sr("11.6", sr.schedule(cid, P_START, P_START + timedelta(days=7), hubs.a_only))]


@produces("E110602")
def schedule_period_backwards(w: World) -> Answers:
    hubs, cid = pilot_members(w)
    return [w.sr("11.6", sr.schedule(cid, P_START, P_START - timedelta(days=1), hubs.a_only[:1]))]


@produces("E110603")
def schedule_constraint_not_published(w: World) -> Answers:
    hubs, cid = pilot_members(w)
    body = sr.schedule(cid, P_START, P_START + timedelta(days=7), hubs.a_only[:1], "SUNDAYS")
    return [w.sr("11.6", body)]


@produces("E110604")
def schedule_with_no_hub_taken(w: World) -> Answers:
    hubs, cid = pilot_members(w)
    return [w.sr("11.6", sr.schedule(cid, P_START, P_START + timedelta(days=7), hubs.a_only[3:]))]


# ------------------------------------------------------------------------------------ 11.7


@produces("W110701", "E110711", "E110712", "E110713")
def pilot_instruction_partly_taken(w: World) -> Answers:
    hubs, cid = pilot_members(w)
    named = [hubs.a_only[0], hubs.a_only[0], hubs.other_model[0], hubs.a_only[3]]
    return [w.sr("11.7", sr.instruction(cid, PILOT_TIME, named, stage="Pilot"))]


@produces("E110714")
def safe_launch_names_a_pilot_hub(w: World) -> Answers:
    hubs, cid = pilot_members(w)
    return [w.sr("11.7", sr.instruction(cid, LAUNCH_TIME, hubs.a_only[:1]))]


@produces("E110707", "E110715")
def instruction_for_a_hub_already_distributed(w: World) -> Answers:
    hubs, cid = deployed_campaign(w.client, w.estate)
    return [w.sr("11.7", sr.instruction(cid, LAUNCH_TIME, hubs.a_only[:1]))]


@produces("E110701")
def instruction_within_a_month_of_the_automatic_date(w: World) -> Answers:
    hubs, cid = launch(w, automatic_deployment_date=(START + timedelta(days=20)).isoformat())
    return [w.sr("11.7", sr.instruction(cid, START + timedelta(days=10), hubs.a_only))]


@produces("E110702")
def instruction_not_before_the_automatic_date(w: World) -> Answers:
    hubs, cid = launch(w)
    return [w.sr("11.7", sr.instruction(cid, START + timedelta(days=400), hubs.a_only))]


@produces("E110703")
def safe_launch_batch_too_small(w: World) -> Answers:
    hubs, cid = launch(w)
    return [w.sr("11.7", sr.instruction(cid, LAUNCH_TIME, hubs.a_only[:1]))]


@produces("E110704")
def instruction_in_the_past(w: World) -> Answers:
    hubs, cid = launch(w)
    return [w.sr("11.7", sr.instruction(cid, START - timedelta(days=1), hubs.a_only))]


@produces("E110705")
def pilot_instruction_without_a_pilot(w: World) -> Answers:
    hubs, cid = launch(w)
    return [w.sr("11.7", sr.instruction(cid, PILOT_TIME, hubs.a_only, stage="Pilot"))]


@produces("E110706")
def instruction_while_paused(w: World) -> Answers:
    hubs, cid = launch(w)
    dcc_post(w, f"/api/v1/campaigns/{cid}/decisions", decision="pause")
    return [w.sr("11.7", sr.instruction(cid, LAUNCH_TIME, hubs.a_only))]


# ------------------------------------------------------------------------------------ 11.8


@produces("E110801")
def unknown_report(w: World) -> Answers:
    return [w.sr("11.8", sr.report("RPT-999999"))]


@produces("E110803")
def unknown_firmware_status(w: World) -> Answers:
    return [w.sr("11.8", status_body(status="Sideways"))]


@produces("W110801", "E110811")
def report_naming_hubs_not_yours(w: World) -> Answers:
    hubs, _cid = pilot(w)
    return [w.sr("11.8", status_body(guids=[hubs.a_only[0], hubs.b_only[0], UNKNOWN]))]


# ----------------------------------------------------------------------------------- 11.10


@produces("E111001", "E111011")
def incident_naming_hubs_not_yours(w: World) -> Answers:
    hubs, cid = deployed_campaign(w.client, w.estate)
    return [w.sr("11.10", sr.incident(cid, [hubs.a_only[0], hubs.b_only[0], UNKNOWN], stop=True))]


@produces("E111002")
def incident_before_anything_is_deployed(w: World) -> Answers:
    hubs, cid = pilot(w)
    return [w.sr("11.10", sr.incident(cid, hubs.a_only[:1], stop=True))]


# ---------------------------------------------------------------------------------- tests


def test_every_scenario_is_for_a_code_of_the_table() -> None:
    assert set(SCENARIOS) <= set(CODES), set(SCENARIOS) - set(CODES)


@pytest.mark.parametrize("code", sorted(CODES))
def test_the_code_is_produced(
    code: str,
    client: TestClient,
    estate: Estate,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # covers: BR5.2, X5
    scenario = SCENARIOS.get(code)
    assert scenario is not None, f"no scenario produces {code}: add one, or drop the code"
    answers = scenario(World(client, estate, container, monkeypatch))
    docs = [doc_of(r) for r in answers]
    for doc in docs:
        validate(doc)  # every answer is a valid sr:Response
    info = CODES[code]
    own = [r for r, doc in zip(answers, docs, strict=True) if sr.code(doc) == code]
    per_guid = {c for doc in docs for c in sr.rejected(doc).values()}
    if own:
        assert info.http_status is not None, f"{code} is per GUID, yet a response's own code"
        assert {r.status_code for r in own} == {info.http_status}, [r.text for r in own]
    else:
        assert info.per_device, f"{code} not produced: {[sr.code(d) for d in docs]}"
        assert code in per_guid, f"{code} not among the reasons {per_guid}"
