"""Supplier Service Requests 11.5-11.10 through POST /api/v1/serviceD, on each backend."""

from __future__ import annotations

import threading
from datetime import timedelta

from fastapi.testclient import TestClient

from chfw_api.bootstrap import Container
from chfw_api.duis.schema import validate
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import (
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate
from tests.integration.deployed_fixtures import deployed_campaign

A, B = SUPPLIER_A, SUPPLIER_B


def _pilot_campaign(client: TestClient, estate: Estate):  # type: ignore[no-untyped-def]
    hubs = load_hubs(client, estate)
    cid = create_campaign(
        client, estate, create_release(client, estate), with_pilot=True,
        **pilot_window(days_from_start=60, length_days=60),
    )["campaign_id"]  # fmt: skip
    return hubs, cid


def _pilot_members(client: TestClient, estate: Estate, cid: str) -> set[str]:
    page = client.get(f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.dcc).json()
    return {h["guid"] for h in page["items"] if h["in_pilot"]}


def test_preferred_pilot_list_accepts_own_hubs_and_names_every_rejection(
    client: TestClient, estate: Estate
) -> None:
    # covers: A04, BR2.3, BR5.2, X2, X5
    hubs, cid = _pilot_campaign(client, estate)
    named = [hubs.a_only[0], hubs.a_only[1].lower(), hubs.b_only[0], "00-00-00-00-00-99-99-99",
             hubs.a_only[0], hubs.other_model[0]]  # fmt: skip
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.5", sr.pilot_list(cid, named)))
    validate(doc)
    assert r.status_code == 200 and sr.code(doc) == "W110501"
    rejected = sr.rejected(doc)
    assert set(rejected) == {hubs.b_only[0], "00-00-00-00-00-99-99-99", hubs.a_only[0],
                             hubs.other_model[0]}  # fmt: skip
    assert len(set(rejected.values())) == 4  # not responsible, unknown, duplicate, not eligible
    assert _pilot_members(client, estate, cid) == {hubs.a_only[0], hubs.a_only[1]}


def test_selection_rules_pick_a_repeatable_sample(client: TestClient, estate: Estate) -> None:
    # covers: BR2.2
    hubs, cid = _pilot_campaign(client, estate)
    body = sr.pilot_rules(cid, count=3, seed=42, region="Central")  # A's sole-supplier hubs
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.5", body))
    assert sr.code(doc) == "I0", r.text
    first = _pilot_members(client, estate, cid)
    sr.post(client, estate.supplier_a, sr.envelope(A, "11.5", body))
    assert _pilot_members(client, estate, cid) == first and len(first) == 3
    assert first <= set(hubs.a_only)


def test_split_hub_joins_the_pilot_only_when_both_suppliers_want_it(
    client: TestClient, estate: Estate
) -> None:
    # covers: BR4.1, BR3.3
    hubs, cid = _pilot_campaign(client, estate)
    split = hubs.split_ab[0]
    sr.post(client, estate.supplier_a, sr.envelope(A, "11.5", sr.pilot_list(cid, [split])))
    assert split not in _pilot_members(client, estate, cid)
    sr.post(client, estate.supplier_b, sr.envelope(B, "11.5", sr.pilot_list(cid, [split])))
    assert split in _pilot_members(client, estate, cid)


def test_instruction_timing_rules_refuse_and_change_nothing(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR3.4, X5
    hubs, cid = _pilot_campaign(client, estate)
    campaign = client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()
    auto = campaign["automatic_deployment_date"]
    too_late_time = START + timedelta(days=400)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, too_late_time, hubs.a_only)))  # fmt: skip
    assert r.status_code >= 400 and sr.code(doc) == "E110702", (auto, r.text)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, START - timedelta(days=1), hubs.a_only)))  # fmt: skip
    assert sr.code(doc).startswith("E1107")
    with container.uow(read_only=True) as uow:
        assert uow.instructions.count(cid) == 0


def test_split_supplier_consensus_later_date_wins_and_privacy_holds(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR3.2, BR3.3, BR3.5, BR4.1, BR4.2, BR5.1
    hubs, cid = _pilot_campaign(client, estate)
    t_a = START + timedelta(days=120)
    t_b = START + timedelta(days=130)
    guids_a = hubs.a_only + hubs.split_ab
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, t_a, guids_a)))  # fmt: skip
    assert sr.code(doc) == "I0", r.text
    waiting = doc.findtext(".//sr:AwaitingSecondSupplierCount", namespaces=sr.NS)
    assert waiting == str(len(hubs.split_ab))
    page = {h["guid"]: h for h in client.get(
        f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.dcc).json()["items"]}  # fmt: skip
    assert all(page[g]["status"] == "instructed" for g in hubs.a_only)
    assert all(page[g]["status"] == "eligible" for g in hubs.split_ab)  # DCC date stands
    # fewer than 50,000 GUIDs is a valid batch only when it is all B still has (BR3.7, BR3.8)
    r, doc = sr.post(client, estate.supplier_b, sr.envelope(B, "11.7", sr.instruction(
        cid, t_b, hubs.split_ab)))  # fmt: skip
    assert sr.code(doc) == "E110703"
    r, doc = sr.post(client, estate.supplier_b, sr.envelope(B, "11.7", sr.instruction(
        cid, t_b, hubs.split_ab + hubs.b_only)))  # fmt: skip
    assert sr.code(doc) == "I0" and doc.findtext(
        ".//sr:AwaitingSecondSupplierCount", namespaces=sr.NS) == "0"  # fmt: skip
    with container.uow(read_only=True) as uow:
        bodies = [b for c, b in uow.outbox.bodies(campaign_id=cid) if c == "N80"]
    assert len(bodies) == 4  # A's ack, B told of A; B's ack, A told of B
    for body in bodies:
        assert A not in body.split("<sr:Body>")[1] and B not in body.split("<sr:Body>")[1]
        assert "SecondSupplierExists>true" in body
    with container.engine.connect() as conn:
        planned = dict(conn.exec_driver_sql(
            "SELECT guid, planned_activation_at FROM campaign_hubs WHERE guid IN "
            f"({', '.join(repr(g) for g in hubs.split_ab + hubs.a_only[:1])})").all())  # fmt: skip
    assert str(planned[hubs.split_ab[0]]).startswith(str(t_b.date()))
    assert str(planned[hubs.a_only[0]]).startswith(str(t_a.date()))


def test_dry_run_plans_without_acting(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR3.3
    hubs, cid = _pilot_campaign(client, estate)
    when = START + timedelta(days=120)
    _r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, when, None, dry_run=True)))  # all eligible  # fmt: skip
    assert doc.findtext(".//sr:DryRun", namespaces=sr.NS) == "true"
    assert doc.findtext(".//sr:AwaitingSecondSupplierCount", namespaces=sr.NS) == str(
        len(hubs.split_ab)
    )
    with container.uow(read_only=True) as uow:
        assert uow.instructions.count(cid) == 0 and uow.outbox.count(code="N80") == 0


def test_replayed_or_lower_counter_acts_on_nothing(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X3
    _hubs, cid = deployed_campaign(client, estate)
    data = sr.envelope(A, "11.10", sr.incident(cid), counter=5_000_000)
    assert sr.code(sr.post(client, estate.supplier_a, data)[1]) == "I0"
    r, doc = sr.post(client, estate.supplier_a, data)
    assert sr.code(doc) == "E110011" and r.status_code >= 400
    lower = sr.envelope(A, "11.10", sr.incident(cid), counter=4_999_999)
    assert sr.code(sr.post(client, estate.supplier_a, lower)[1]) == "E110011"
    assert len(client.get("/api/v1/incidents", headers=estate.dcc).json()) == 1


def test_concurrent_requests_with_one_counter_pass_once(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X3
    _hubs, cid = deployed_campaign(client, estate)
    data = sr.envelope(A, "11.10", sr.incident(cid), counter=7_000_000)
    codes: list[str] = []

    def send() -> None:
        codes.append(sr.code(sr.post(client, estate.supplier_a, data)[1]))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes).count("I0") == 1 and codes.count("E110011") == 5
    assert len(client.get("/api/v1/incidents", headers=estate.dcc).json()) == 1


def test_originator_must_be_the_callers_party(client: TestClient, estate: Estate) -> None:
    # covers: X2
    _hubs, _cid = _pilot_campaign(client, estate)
    _r, doc = sr.post(client, estate.supplier_b, sr.envelope(A, "11.9", sr.dashboard()))
    assert sr.code(doc) == "E1"
    _r, doc = sr.post(client, estate.csp_north, sr.envelope(A, "11.9", sr.dashboard()))
    assert sr.code(doc) == "E2"


def test_hostile_xml_is_refused_quickly_with_nothing_changed(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X5
    _hubs, _cid = _pilot_campaign(client, estate)
    xxe = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<r>&x;</r>")  # fmt: skip
    assert sr.code(sr.post(client, estate.supplier_a, xxe)[1]) == "E110002"
    deep = b"<a>" * 30_000 + b"</a>" * 30_000
    xml = {**estate.supplier_a, "Content-Type": "application/xml"}
    r = client.post("/api/v1/serviceD", headers=xml, content=deep)
    assert r.status_code == 413  # over this test's 64 KiB body cap, refused before parsing
    deep = b"<a>" * 8_000 + b"</a>" * 8_000
    assert sr.code(sr.post(client, estate.supplier_a, deep)[1]) == "E110004"
    r = client.post("/api/v1/serviceD", headers={**estate.supplier_a, "Content-Type": "text/plain"},
                    content=sr.envelope(A, "11.9", sr.dashboard()))  # fmt: skip
    assert r.status_code >= 400
    with container.uow(read_only=True) as uow:
        assert uow.instructions.count() == 0


def test_status_report_small_sync_and_large_async_with_n83(
    client: TestClient,
    estate: Estate,
    container: Container,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    # covers: BR5.3
    from chfw_api.services import estate_status

    hubs, cid = _pilot_campaign(client, estate)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.8", sr.status(cid)))
    assert sr.code(doc) == "I0", r.text
    listed = {e.findtext("sr:DeviceID", namespaces=sr.NS) for e in doc.iterfind(".//sr:Hub", sr.NS)}
    assert listed == set(hubs.a_only + hubs.split_ab)
    monkeypatch.setattr(estate_status, "SYNC_LIMIT", 2)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.8", sr.status()))
    assert sr.code(doc) == "I99" and r.status_code == 202
    report_id = doc.findtext(".//sr:ReportID", namespaces=sr.NS)
    assert report_id
    container.settings.reports_dir = container.settings.reports_dir.resolve()
    done = estate_status.produce_reports(
        container.uow, container.clock, directory=container.settings.reports_dir / "t"
    )
    assert done == 1
    with container.uow(read_only=True) as uow:
        assert uow.outbox.count(code="N83") == 1
    csv_text = client.get(f"/api/v1/reports/{report_id}", headers=estate.supplier_a).text
    mine = hubs.a_only + hubs.split_ab + hubs.other_model + hubs.already_new + hubs.not_commissioned
    assert csv_text.count("\n") == 1 + len(mine)  # the whole estate, one row per hub
    assert client.get(f"/api/v1/reports/{report_id}", headers=estate.supplier_b).status_code >= 400


def test_dashboard_shows_outstanding_actions_and_others_next_dates(
    client: TestClient, estate: Estate
) -> None:
    # covers: BR5.4, BR5.5
    _hubs, cid = _pilot_campaign(client, estate)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.9", sr.dashboard()))
    assert sr.code(doc) == "I0", r.text
    validate(doc)
    text = r.text
    assert cid in text and "SubmitPreferredPilotList" in text and "TimeLeft" in text
    assert "StartPilot" in text and "AutomaticSafeLaunchActivation" in text


def test_incident_via_service_request_is_high_priority(client: TestClient, estate: Estate) -> None:
    # covers: BR6.2
    hubs, cid = deployed_campaign(client, estate)
    _r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.10", sr.incident(
        cid, hubs.a_only[:1], stop=True)))  # fmt: skip
    assert sr.code(doc) == "I0"
    queue = client.get("/api/v1/incidents", headers=estate.dcc).json()
    assert queue[0]["priority"] == "High" and queue[0]["emergency_stop_requested"] is True


def test_dcc_selects_pilot_hubs_for_a_supplier_silent_for_two_months(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: AD09
    from chfw_api.domain.clock import FakeClock
    from chfw_api.services.pilot_lists import PilotSettings
    from chfw_api.services.pilot_selection import select_for_silent_suppliers

    hubs = load_hubs(client, estate)
    cid = create_campaign(
        client, estate, create_release(client, estate), with_pilot=True,
        **pilot_window(days_from_start=90, length_days=60),
    )["campaign_id"]  # fmt: skip
    sr.post(client, estate.supplier_a, sr.envelope(A, "11.5", sr.pilot_list(cid, hubs.a_only[:2])))
    settings = PilotSettings(max_size=300, minimum_per_supplier=2)
    assert select_for_silent_suppliers(container.uow, container.clock, settings=settings) == 0
    assert isinstance(container.clock, FakeClock)
    container.clock.advance(timedelta(days=62))
    chosen = select_for_silent_suppliers(container.uow, container.clock, settings=settings)
    assert chosen == 2  # B and the electricity-only supplier; A had sent its list
    members = _pilot_members(client, estate, cid)
    assert set(hubs.a_only[:2]) <= members
    assert len(members & set(hubs.b_only)) == 2 and len(members & set(hubs.elec)) == 2
    with container.uow(read_only=True) as uow:
        n72 = [b for c, b in uow.outbox.bodies(campaign_id=cid) if c == "N72"]
    assert len(n72) == 2
    assert select_for_silent_suppliers(container.uow, container.clock, settings=settings) == 0


def test_registered_certificate_makes_signatures_mandatory(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2, X5
    from chfw_api.duis.keys import generate_signing_identity
    from chfw_api.duis.signer import sign_document

    _hubs, cid = deployed_campaign(client, estate)
    key, cert = generate_signing_identity("U1", serial=4242, now=START)
    r = client.put(f"/api/v1/parties/{A}/certificate", headers=estate.dcc,
                   json={"certificate_pem": cert.decode()})  # fmt: skip
    assert r.status_code == 200
    unsigned = sr.envelope(A, "11.10", sr.incident(cid))
    assert sr.code(sr.post(client, estate.supplier_a, unsigned)[1]) == "E110012"
    signed = sign_document(sr.envelope(A, "11.10", sr.incident(cid)), key, cert)
    assert sr.code(sr.post(client, estate.supplier_a, signed)[1]) == "I0"
    tampered = sign_document(sr.envelope(A, "11.10", sr.incident(cid)), key, cert).replace(
        b"top-ups failing", b"all is well!!!!"
    )
    assert sr.code(sr.post(client, estate.supplier_a, tampered)[1]) == "E110015"
    other_key, other_cert = generate_signing_identity("U1", serial=4242, now=START)
    forged = sign_document(sr.envelope(A, "11.10", sr.incident(cid)), other_key, other_cert)
    assert sr.code(sr.post(client, estate.supplier_a, forged)[1]) in ("E110015", "E110013")
    assert len(client.get("/api/v1/incidents", headers=estate.dcc).json()) == 1


def test_lists_and_settled_instructions_are_forwarded_to_each_csp_with_its_hubs(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: A04, A05, BR3.5, DD01, C1
    hubs, cid = _pilot_campaign(client, estate)
    sr.post(client, estate.supplier_a, sr.envelope(A, "11.5", sr.pilot_list(cid, hubs.a_only[:2])))
    campaign = client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()
    from datetime import datetime

    start = datetime.fromisoformat(campaign["pilot_start"])
    sr.post(client, estate.supplier_a, sr.envelope(A, "11.6", sr.schedule(
        cid, start + timedelta(days=1), start + timedelta(days=5), hubs.a_only[:2])))  # fmt: skip
    when = START + timedelta(days=120)
    sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(cid, when, None)))

    def files() -> list[tuple[str, str, bytes]]:
        with container.engine.connect() as conn:
            return [
                (code, kind, bytes(body))
                for code, kind, body in conn.exec_driver_sql(
                    "SELECT p.code, f.kind, f.body FROM gateway_files f JOIN parties p "
                    "ON p.id = f.csp_party_id WHERE f.campaign_id = "
                    + ("%s" if container.engine.dialect.name == "postgresql" else "?"),
                    (cid,),
                )
            ]

    got = files()
    kinds = {(code, kind) for code, kind, _ in got}
    # A's sole-supplier hubs are Central (CSP-C); its split hubs are North (CSP-N) but wait
    # for supplier B, so CSP-N gets no instruction yet (BR4.1).
    assert ("CSP-C", "preferred-pilot-list") in kinds
    assert ("CSP-C", "preferred-pilot-schedule") in kinds
    assert ("CSP-C", "instruction") in kinds and ("CSP-N", "instruction") not in kinds
    instruction = next(b for code, kind, b in got if kind == "instruction")
    assert all(g.encode() in instruction for g in hubs.a_only[2:])  # the pilot's two are not
    assert not any(g.encode() in instruction for g in hubs.split_ab + hubs.a_only[:2])
    sr.post(client, estate.supplier_b, sr.envelope(B, "11.7", sr.instruction(
        cid, when + timedelta(days=1), None)))  # fmt: skip
    north = [b for code, kind, b in files() if code == "CSP-N" and kind == "instruction"]
    assert north and all(g.encode() in north[0] for g in hubs.split_ab)


def test_a_hub_named_in_two_schedule_entries_keeps_the_first_period(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: A05, BR5.2, DD01
    hubs, cid = _pilot_campaign(client, estate)
    a0, a1 = hubs.a_only[:2]
    sr.post(client, estate.supplier_a, sr.envelope(A, "11.5", sr.pilot_list(cid, [a0, a1])))
    campaign = client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()
    from datetime import datetime

    start = datetime.fromisoformat(campaign["pilot_start"])

    def entry(days: int, guids: list[str]) -> str:
        return (
            f"<sr:ScheduleEntry><sr:PeriodStart>{(start + timedelta(days=days)).isoformat()}"
            f"</sr:PeriodStart><sr:PeriodEnd>{(start + timedelta(days=days + 2)).isoformat()}"
            f"</sr:PeriodEnd><sr:GroupLabel>day {days}</sr:GroupLabel>{sr.ids(guids)}"
            "<sr:Constraint>WEEKDAYS-ONLY</sr:Constraint></sr:ScheduleEntry>"
        )

    # Within one entry a repeat is a duplicate; across entries it must be one too.
    _, within = sr.post(client, estate.supplier_a, sr.envelope(A, "11.6", (
        f"<sr:SubmitPreferredPilotSchedule><sr:CampaignID>{cid}</sr:CampaignID>"
        f"{entry(1, [a0, a0])}</sr:SubmitPreferredPilotSchedule>")))  # fmt: skip
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.6", (
        f"<sr:SubmitPreferredPilotSchedule><sr:CampaignID>{cid}</sr:CampaignID>"
        f"{entry(1, [a0])}{entry(5, [a0, a1])}</sr:SubmitPreferredPilotSchedule>")))  # fmt: skip
    validate(doc)
    assert r.status_code == 200 and sr.code(doc) == sr.code(within) != "I0"
    assert sr.rejected(doc) == {a0: sr.rejected(within)[a0]}
    with container.engine.connect() as conn:
        bodies = [
            bytes(b)
            for (b,) in conn.exec_driver_sql(
                "SELECT body FROM gateway_files WHERE kind = 'preferred-pilot-schedule' "
                "ORDER BY id DESC LIMIT 1"
            )
        ]
    # The latest file to the CSP: a0 once (day 1's period), a1 in day 5's.
    assert bodies and bodies[0].count(a0.encode()) == 1 and bodies[0].count(a1.encode()) == 1
    assert bodies[0].index(b"day 1") < bodies[0].index(a0.encode()) < bodies[0].index(b"day 5")
