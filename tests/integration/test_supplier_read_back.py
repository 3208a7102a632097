"""What a supplier reads back about its instructions (#11.6, #12.2): the SR 11.7 response and
N80 give each planned date with its hub count, the SR 11.8 report gives each hub's planned
date and second-supplier status, the other supplier's N80 copy never carries the first
supplier's requested date, and no N80 grows past 1 MiB however large the instruction."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.planned_groups import ALERT_HUB_LIMIT
from chfw_api.duis.alerts import format_datetime
from chfw_api.duis.schema import validate
from chfw_api.services import estate_status
from chfw_api.services import instructions as instruction_service
from chfw_api.services.estate_rows import automatic_time_table, automatic_times, csv_fields
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
from tests.integration.csp_fixtures import alerts

A, B = SUPPLIER_A, SUPPLIER_B
T_A = START + timedelta(days=120)  # A's requested time
T_B = START + timedelta(days=130)  # B's, later: it wins on the hubs both instruct (BR4.2)
MIB = 1024 * 1024


def _groups(doc) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    return [
        (
            str(g.findtext("sr:PlannedActivationDateTime", namespaces=sr.NS)),
            str(g.findtext("sr:AwaitingInstruction", namespaces=sr.NS)),
            int(g.findtext("sr:HubCount", namespaces=sr.NS) or 0),
        )
        for g in doc.iterfind(".//sr:PlannedActivation", sr.NS)
    ]


def _split_plans(
    client: TestClient, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> tuple[Hubs, str, datetime, object]:
    """B instructs half the split hubs at T_B, then A instructs all its hubs at T_A: A's sole
    hubs go at T_A, the split hubs both instructed at T_B, the rest wait at DCC's date."""
    # Small batches stand in for 50,000-GUID ones (BR3.7 is proven elsewhere).
    monkeypatch.setattr(instruction_service, "MIN_SAFE_LAUNCH_BATCH", 1)
    hubs = load_hubs(client, estate)
    cid = create_campaign(
        client, estate, create_release(client, estate), with_pilot=True,
        **pilot_window(days_from_start=60, length_days=60),
    )["campaign_id"]  # fmt: skip
    auto = datetime.fromisoformat(
        client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()[
            "automatic_deployment_date"
        ]
    ).astimezone(UTC)
    r, doc = sr.post(client, estate.supplier_b, sr.envelope(B, "11.7", sr.instruction(
        cid, T_B, hubs.split_ab[:2])))  # fmt: skip
    assert sr.code(doc) == "I0", r.text
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, T_A, hubs.a_only + hubs.split_ab)))  # fmt: skip
    assert sr.code(doc) == "I0", r.text
    return hubs, cid, auto, doc


def test_instruction_response_gives_each_planned_date_with_its_hub_count(
    client: TestClient, estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # covers: BR3.2, BR3.3, BR4.1, BR4.2, BR5.1
    hubs, _cid, auto, doc = _split_plans(client, estate, monkeypatch)
    validate(doc)
    assert _groups(doc) == [
        (format_datetime(T_A), "false", len(hubs.a_only)),
        (format_datetime(T_B), "false", 2),
        (format_datetime(auto), "true", len(hubs.split_ab) - 2),  # DCC's date stands (BR4.1)
    ]
    assert doc.findtext(".//sr:PlannedActivationDateTime", namespaces=sr.NS) == format_datetime(
        auto
    )  # the latest, as before
    assert doc.findtext(".//sr:AwaitingSecondSupplierCount", namespaces=sr.NS) == "2"


def test_instruction_ack_n80_carries_the_same_groups(
    client: TestClient, estate: Estate, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # covers: BR5.1, BR3.3
    hubs, _cid, _auto, response = _split_plans(client, estate, monkeypatch)
    instruction = response.findtext(".//sr:InstructionID", namespaces=sr.NS)
    ack = [
        n for n in alerts(container, "N80")
        if n.recipient == A and n.texts("sr:InstructionID") == [instruction]
    ]  # fmt: skip
    assert len(ack) == 1
    assert _groups(ack[0].doc) == _groups(response)
    assert ack[0].texts("sr:RequestedActivationDateTime") == [format_datetime(T_A)]
    assert len(ack[0].texts("sr:Hub/sr:DeviceID")) == len(hubs.split_ab)  # small: listed
    assert ack[0].texts("sr:HubsInReport") == ["false"]


def test_n80_copy_to_the_other_supplier_discloses_only_that_it_instructed_and_the_plan(
    client: TestClient, estate: Estate, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # covers: BR3.3, X2
    hubs, _cid, auto, response = _split_plans(client, estate, monkeypatch)
    instruction = response.findtext(".//sr:InstructionID", namespaces=sr.NS)
    copies = [
        n for n in alerts(container, "N80")
        if n.recipient == B and n.texts("sr:InstructionID") == [instruction]
    ]  # fmt: skip
    assert len(copies) == 1
    copy = copies[0]
    text = etree.tostring(copy.body("CHFirmwareInstructionStatus"))
    assert copy.texts("sr:RequestedActivationDateTime") == []
    assert format_datetime(T_A).encode() not in text  # A's own time, nowhere
    assert A.encode() not in text
    assert _groups(copy.doc) == [
        (format_datetime(T_B), "false", 2),  # both have instructed: the later time
        (format_datetime(auto), "true", len(hubs.split_ab) - 2),  # waiting for B itself
    ]
    assert copy.texts("sr:AcceptedCount") == [str(len(hubs.split_ab))]  # its hubs alone
    assert set(copy.texts("sr:Hub/sr:SecondSupplierInstructed")) == {"true"}


def _report_hubs(doc) -> dict[str, tuple[str | None, str | None]]:  # type: ignore[no-untyped-def]
    return {
        str(h.findtext("sr:DeviceID", namespaces=sr.NS)): (
            h.findtext("sr:PlannedActivationDateTime", namespaces=sr.NS),
            h.findtext("sr:SecondSupplier", namespaces=sr.NS),
        )
        for h in doc.iterfind(".//sr:Hub", sr.NS)
    }


def test_status_report_gives_planned_date_and_second_supplier_status_never_who(
    client: TestClient, estate: Estate, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # covers: BR5.3, BR3.3, BR4.1, X2
    hubs, cid, auto, _ = _split_plans(client, estate, monkeypatch)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.8", sr.status(cid)))
    assert sr.code(doc) == "I0", r.text
    validate(doc)
    assert B.encode() not in r.content  # the other supplier's User ID, nowhere
    seen = _report_hubs(doc)
    t_a, t_b, at_auto = (format_datetime(t) for t in (T_A, T_B, auto))
    assert {g: seen[g] for g in hubs.a_only} == {g: (t_a, "NotSplit") for g in hubs.a_only}
    assert {g: seen[g] for g in hubs.split_ab} == {
        **{g: (t_b, "Instructed") for g in hubs.split_ab[:2]},
        **{g: (at_auto, "NotInstructed") for g in hubs.split_ab[2:]},  # B has not: DCC's date
    }
    # B sees its side of the same hubs: A has instructed all four.
    r, doc = sr.post(client, estate.supplier_b, sr.envelope(B, "11.8", sr.status(cid)))
    assert A.encode() not in r.content
    seen_b = _report_hubs(doc)
    assert {seen_b[g][1] for g in hubs.split_ab} == {"Instructed"}
    assert {seen_b[g] for g in hubs.b_only} == {(at_auto, "NotSplit")}  # B never instructed

    # The asynchronous report file says the same, and names no other supplier either.
    monkeypatch.setattr(estate_status, "SYNC_LIMIT", 2)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.8", sr.status(cid)))
    assert sr.code(doc) == "I99", r.text
    report_id = doc.findtext(".//sr:ReportID", namespaces=sr.NS)
    container.settings.reports_dir = container.settings.reports_dir.resolve()
    estate_status.produce_reports(
        container.uow, container.clock, directory=container.settings.reports_dir / "t"
    )
    csv_text = client.get(f"/api/v1/reports/{report_id}", headers=estate.supplier_a).text
    assert B not in csv_text
    rows = {row["DeviceID"]: row for row in csv.DictReader(io.StringIO(csv_text))}
    split = rows[hubs.split_ab[0]]
    assert (split["PlannedActivationAt"], split["SecondSupplier"]) == (
        T_B.isoformat(),
        "Instructed",
    )
    waiting = rows[hubs.split_ab[3]]
    assert (waiting["PlannedActivationAt"], waiting["SecondSupplier"]) == (
        auto.isoformat(), "NotInstructed",
    )  # fmt: skip


def test_large_instruction_n80_stays_under_one_mebibyte(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR5.1, BR3.3
    n = 6_000  # listed hub by hub, as before, each copy would be about 1.4 MB
    guids = [guid_from_int(100_000 + i) for i in range(n)]
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "text/csv"},
        content=csv_body(*(hub_line(g, importer=A, gas=B, region="North") for g in guids)),
    )
    assert r.status_code == 200, r.text
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    auto = datetime.fromisoformat(
        client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()[
            "automatic_deployment_date"
        ]
    ).astimezone(UTC)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(
        cid, T_A, None)))  # AllEligible  # fmt: skip
    assert sr.code(doc) == "I0", r.text
    n80s = alerts(container, "N80")
    assert {x.recipient for x in n80s} == {A, B}
    with container.uow(read_only=True) as uow:
        sizes = [len(body.encode()) for c, body in uow.outbox.bodies(campaign_id=cid) if c == "N80"]
    assert len(sizes) == 2 and max(sizes) < MIB, sizes
    for alert in n80s:
        assert alert.texts("sr:Hub") == []  # more than ALERT_HUB_LIMIT: detail is in 11.8
        assert alert.texts("sr:HubsInReport") == ["true"]
        assert _groups(alert.doc) == [(format_datetime(auto), "true", n)]
    assert n > ALERT_HUB_LIMIT


def test_the_report_copied_by_postgresql_is_the_report_written_row_by_row(
    client: TestClient, estate: Estate, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#12.3: on PostgreSQL the report file is COPY'd out with every field computed in SQL;
    byte for byte it is what the row-by-row writer (SQLite's path) writes: planned dates,
    DCC's automatic time, second-supplier status, result times with and without microseconds,
    hubs outside any campaign."""
    # covers: BR5.3
    if container.engine.dialect.name != "postgresql":
        pytest.skip("COPY TO is PostgreSQL's; SQLite writes row by row (the reference here)")
    hubs, cid, _, _ = _split_plans(client, estate, monkeypatch)
    with container.engine.begin() as conn:
        conn.execute(text(
            "UPDATE campaign_hubs SET status = 'failed', result_at = :at WHERE guid = :g"),
            [{"g": hubs.a_only[0], "at": START + timedelta(days=3, microseconds=1234)},
             {"g": hubs.split_ab[3], "at": START + timedelta(days=4)}])  # fmt: skip
    for code in (A, B):
        for filters in ({}, {"campaign": cid}, {"status": "failed"}):
            with container.uow(read_only=True) as uow:
                party = uow.parties.get_by_code(code)
                assert party is not None
                automatic = automatic_time_table(uow, filters.get("campaign"))
                copied = io.BytesIO()
                lines = uow.estate.copy_report(
                    party.id, campaign=filters.get("campaign"), status=filters.get("status"),
                    guids=None, automatic=automatic, out=copied,
                )  # fmt: skip
                expected = io.StringIO(newline="")
                writer, by_rows = csv.writer(expected), automatic_times(uow)
                rows = list(uow.estate.rows(party.id, campaign=filters.get("campaign"),
                                            status=filters.get("status"), guids=None))  # fmt: skip
                writer.writerows(csv_fields(row, by_rows) for row in rows)
            assert copied.getvalue().decode() == expected.getvalue(), (code, filters)
            assert lines == len(rows) and (lines > 0 or filters.get("status")), (code, filters)
