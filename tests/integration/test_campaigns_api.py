"""Campaign lifecycle through the DCC API on each backend: snapshot, alerts, audit, rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import text

from chfw_api.api.routes.eligible_hubs import EligibleHubRead, EligiblePage
from chfw_api.bootstrap import Container
from chfw_api.domain.clock import FakeClock
from chfw_api.duis.schema import validate
from chfw_api.persistence.repositories import campaigns as campaign_rows
from chfw_api.services.audit import verify
from chfw_api.services.campaign_tick import tick
from tests.conftest import START
from tests.integration.campaign_fixtures import (
    NEW_VERSION,
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC, Estate
from tests.integration.deployed_fixtures import report_distributed

NS = {"sr": "http://www.dccinterface.co.uk/ServiceUserGateway"}


def _alerts(
    container: Container, campaign_id: str | None = None
) -> list[tuple[str, etree._Element]]:
    with container.uow(read_only=True) as uow:
        bodies = uow.outbox.bodies(campaign_id=campaign_id, limit=100_000)
    return [(code, etree.fromstring(body.encode())) for code, body in bodies]


def _recipient(doc: etree._Element) -> str:
    return str(doc.findtext("sr:Header/sr:ResponseID", namespaces=NS)).split(":")[1]


def test_notification_snapshots_eligible_hubs_and_tells_each_supplier_its_counts(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR1.1, BR1.2, BR1.3, A01, X4
    hubs = load_hubs(client, estate)
    campaign = create_campaign(client, estate, create_release(client, estate))
    assert campaign["stage"] == "Notified"
    assert campaign["eligible_hubs"] == len(hubs.eligible)
    assert campaign["automatic_deployment_date"].startswith("2026-07-05")  # +6 calendar months
    shares = {s["supplier"]: s for s in campaign["suppliers"]}
    assert shares[SUPPLIER_A] == {
        "supplier": SUPPLIER_A,
        "eligible_as_import": 9,
        "eligible_as_gas": 5,
    }
    assert shares[SUPPLIER_B] == {
        "supplier": SUPPLIER_B,
        "eligible_as_import": 3,
        "eligible_as_gas": 4,
    }
    assert shares[SUPPLIER_ELEC]["eligible_as_import"] == 2
    alerts = _alerts(container, campaign["campaign_id"])
    assert [code for code, _ in alerts] == ["N70"] * 3
    for _, doc in alerts:
        validate(doc)  # every stored alert is valid against our XSD
        body = doc.find("sr:Body/sr:DCCAlertMessage/sr:DCCAlert/sr:CHFirmwareUpdateAvailable", NS)
        assert body is not None
        mine = shares[_recipient(doc)]
        assert body.findtext("sr:EligibleAsImportSupplier", namespaces=NS) == str(
            mine["eligible_as_import"]
        )
        assert body.findtext("sr:EligibleAsGasSupplier", namespaces=NS) == str(
            mine["eligible_as_gas"]
        )


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_the_snapshot_written_in_chunks_is_the_eligible_set_exactly(
    client: TestClient,
    estate: Estate,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
) -> None:
    # covers: BR1.1, BR1.3
    # Chunk boundaries fall between eligible and ineligible hubs and on the last estate hub;
    # a boundary counted twice or skipped changes the set or the shares.
    monkeypatch.setattr(campaign_rows, "SNAPSHOT_CHUNK", chunk)
    hubs = load_hubs(client, estate)
    campaign = create_campaign(client, estate, create_release(client, estate))
    with container.engine.connect() as conn:
        snapshot = conn.execute(
            text(
                "SELECT ch.guid FROM campaign_hubs ch JOIN campaigns c ON c.id = ch.campaign_id "
                "WHERE c.campaign_id = :c"
            ),
            {"c": campaign["campaign_id"]},
        ).scalars()
        guids = list(snapshot)
    assert sorted(guids) == sorted(hubs.eligible)
    assert campaign["eligible_hubs"] == len(hubs.eligible)
    shares = {
        s["supplier"]: (s["eligible_as_import"], s["eligible_as_gas"])
        for s in campaign["suppliers"]
    }
    assert shares[SUPPLIER_A] == (9, 5)
    assert shares[SUPPLIER_B] == (3, 4)


def test_supplier_extracts_only_its_own_eligible_hubs(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR2.1, BR1.3, X2
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    r = client.get(f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.supplier_b)
    assert r.headers["content-type"] == "application/json"
    page = r.json()
    # The documented schema, exactly (the route writes the JSON itself, not through it).
    EligiblePage.model_validate(page, strict=True)
    assert all(set(h) == set(EligibleHubRead.model_fields) for h in page["items"])
    assert page["next_after"] is None
    got = {h["guid"]: h for h in page["items"]}
    assert set(got) == set(hubs.split_ab + hubs.b_only)
    assert all(
        got[g]["as_gas_supplier"] and not got[g]["as_import_supplier"] for g in hubs.split_ab
    )
    assert all(got[g]["as_import_supplier"] for g in hubs.b_only)
    dcc = client.get(f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.dcc).json()
    assert {h["guid"] for h in dcc["items"]} == set(hubs.eligible)
    first = client.get(f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.dcc,
                       params={"limit": 2}).json()  # fmt: skip
    assert [h["guid"] for h in first["items"]] == sorted(hubs.eligible)[:2]
    assert first["next_after"] == sorted(hubs.eligible)[1]
    assert (
        client.get(f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.csp_north).status_code
        == 403
    )


def test_only_dcc_steers_campaigns(client: TestClient, estate: Estate) -> None:
    # covers: X2
    load_hubs(client, estate)
    rid = create_release(client, estate)
    for headers in (estate.supplier_a, estate.csp_north):
        r = client.post(
            "/api/v1/campaigns", headers=headers, json={"release_id": rid, "reason": "x"}
        )
        assert r.status_code == 403
    cid = create_campaign(client, estate, rid)["campaign_id"]
    r = client.post(
        f"/api/v1/campaigns/{cid}/revoke", headers=estate.supplier_a, json={"reason": "x"}
    )
    assert r.status_code == 403


def test_illegal_move_is_409_naming_stage_and_allowed_moves_and_changes_nothing(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X5
    load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    before = len(_alerts(container))
    r = client.post(f"/api/v1/campaigns/{cid}/close", headers=estate.dcc, json={"reason": "early"})
    assert r.status_code == 409
    problem = r.json()
    assert problem["current_stage"] == "Notified"
    assert "close" not in problem["allowed"] and "revoke" in problem["allowed"]
    assert client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()["stage"] == "Notified"
    assert len(_alerts(container)) == before


def test_pilot_runs_on_the_clock_and_safe_launch_follows(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR2.4, AD12, A06, C4
    load_hubs(client, estate)
    cid = create_campaign(
        client, estate, create_release(client, estate), with_pilot=True, **pilot_window()
    )["campaign_id"]
    clock = container.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(days=8))
    assert tick(container.uow, clock).events == 1
    assert tick(container.uow, clock).events == 0  # idempotent
    assert client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()["stage"] == "Piloting"
    clock.advance(timedelta(days=50))
    tick(container.uow, clock)
    after = client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()
    assert after["stage"] == "SafeLaunching" and after["pilot_outcome"] == "Succeeded"
    codes = [code for code, _ in _alerts(container, cid)]
    assert codes == ["N70"] * 3 + ["N74"] * 3 + ["N75"] * 3


def test_operational_release_never_pilots(client: TestClient, estate: Estate) -> None:
    # covers: AD03
    load_hubs(client, estate)
    rid = create_release(client, estate, operational_or_security=True, version="0100A301")
    r = client.post(
        "/api/v1/campaigns",
        headers=estate.dcc,
        json={"release_id": rid, "reason": "security fix", "with_pilot": True, **pilot_window()},
    )
    assert r.status_code == 422 and "AD03" in r.text
    cid = create_campaign(client, estate, rid)["campaign_id"]
    r = client.post(
        f"/api/v1/campaigns/{cid}/pilot/schedule",
        headers=estate.dcc,
        json={"reason": "try", "start": (START + timedelta(days=3)).isoformat(),
              "end": (START + timedelta(days=30)).isoformat()},
    )  # fmt: skip
    assert r.status_code == 409
    r = client.post(
        f"/api/v1/campaigns/{cid}/safe-launch/start", headers=estate.dcc, json={"reason": "go"}
    )
    assert r.status_code == 200 and r.json()["stage"] == "SafeLaunching"


def test_newer_release_supersedes_a_piloting_campaign(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: AD13, A12
    load_hubs(client, estate)
    old = create_campaign(
        client,
        estate,
        create_release(client, estate),
        with_pilot=True,
        **pilot_window(days_from_start=1),
    )["campaign_id"]
    assert isinstance(container.clock, FakeClock)
    container.clock.advance(timedelta(days=2))
    tick(container.uow, container.clock)
    new = create_campaign(client, estate, create_release(client, estate, version="0100A400"))
    assert new["superseded"] == [old]
    got = client.get(f"/api/v1/campaigns/{old}", headers=estate.dcc).json()
    assert got["stage"] == "Superseded" and got["superseded_by"] == new["campaign_id"]
    n79 = [doc for code, doc in _alerts(container, old) if code == "N79"]
    assert len(n79) == 3
    body = n79[0].find(".//sr:CHFirmwareCampaignSuperseded", NS)
    assert body is not None and body.findtext("sr:PilotInvalidated", namespaces=NS) == "true"
    assert body.findtext("sr:SupersedingFirmwareVersion", namespaces=NS) == "0100A400"


def test_revoke_tells_everyone_notified(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR1.4
    load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    r = client.post(
        f"/api/v1/campaigns/{cid}/revoke", headers=estate.dcc, json={"reason": "defect"}
    )
    assert r.status_code == 200 and r.json()["stage"] == "Revoked"
    n71 = {_recipient(doc) for code, doc in _alerts(container, cid) if code == "N71"}
    assert n71 == {SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC}
    r = client.post(
        f"/api/v1/campaigns/{cid}/safe-launch/start", headers=estate.dcc, json={"reason": "x"}
    )
    assert r.status_code == 409  # nothing deploys after revocation


def test_dcc_moves_the_automatic_date_and_suppliers_are_renotified(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR1.2
    load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    new_date = (START + timedelta(days=60)).isoformat()
    r = client.put(
        f"/api/v1/campaigns/{cid}/automatic-date",
        headers=estate.dcc,
        json={"reason": "urgent fix", "automatic_deployment_date": new_date},
    )
    assert r.status_code == 200 and r.json()["automatic_deployment_date"].startswith("2026-03-06")
    assert [c for c, _ in _alerts(container, cid)].count("N70") == 6
    r = client.put(
        f"/api/v1/campaigns/{cid}/automatic-date",
        headers=estate.dcc,
        json={
            "reason": "oops",
            "automatic_deployment_date": (START - timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 422


def test_audit_trail_records_every_transition_and_detects_tampering(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X1
    load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    client.post(
        f"/api/v1/campaigns/{cid}/decisions",
        headers=estate.dcc,
        json={"decision": "pause", "reason": "investigating"},
    )
    client.post(
        f"/api/v1/campaigns/{cid}/decisions",
        headers=estate.dcc,
        json={"decision": "resume", "reason": "all clear"},
    )
    report = verify(container.uow(read_only=True))
    assert report.ok and report.entries >= 6
    with container.uow(read_only=True) as uow:
        actions = [e.record.action for e in uow.audit.entries(subject=f"campaign:{cid}")]
    assert actions[0] == "campaign.CampaignNotified"
    assert "campaign.RolloutDecisionMade" in actions and "alerts.stored" in actions
    with container.engine.begin() as conn:
        if container.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only")
        conn.exec_driver_sql("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 2")
        if container.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    report = verify(container.uow(read_only=True))
    assert not report.ok and report.first_break == 2


def test_audit_rows_cannot_be_updated(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X1
    load_hubs(client, estate)
    create_campaign(client, estate, create_release(client, estate))
    with pytest.raises(Exception, match="append-only"), container.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET reason = 'x'")


def test_failure_after_the_state_change_leaves_neither_change_nor_alerts(
    client: TestClient, estate: Estate, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # covers: X4, X1
    load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    alerts_before = len(_alerts(container))
    from chfw_api.persistence.repositories.audit import AuditRepository

    def boom(self: object, records: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(AuditRepository, "append", boom)
    r = client.post(f"/api/v1/campaigns/{cid}/revoke", headers=estate.dcc, json={"reason": "x"})
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    monkeypatch.undo()
    assert client.get(f"/api/v1/campaigns/{cid}", headers=estate.dcc).json()["stage"] == "Notified"
    assert len(_alerts(container)) == alerts_before


def test_incident_triage_pauses_and_resumes_with_decisions_alerted(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR6.2, BR6.3, BR6.4, BR6.5
    from chfw_api.services.incidents import raise_incident
    from chfw_api.services.parties import authenticate

    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    report_distributed(client, estate.csp_central, cid, hubs.a_only[:1])  # deployed firmware
    supplier = authenticate(container.uow(), key=estate.supplier_a["Authorization"].split()[1])
    incident = raise_incident(
        container.uow(),
        container.clock,
        caller=supplier,
        campaign_id=cid,
        severity="Critical",
        description="prepayment top-ups failing after activation",
        guids=[hubs.a_only[0].lower()],
        emergency_stop_requested=True,
    )
    queue = client.get("/api/v1/incidents", headers=estate.dcc).json()
    assert [i["incident_id"] for i in queue] == [incident.incident_id]
    assert queue[0]["priority"] == "High" and queue[0]["needs_urgent_attention"] is True
    assert queue[0]["guids"] == [hubs.a_only[0]]
    assert client.get("/api/v1/incidents", headers=estate.supplier_b).json() == []
    r = client.post(
        f"/api/v1/incidents/{incident.incident_id}/triage",
        headers=estate.dcc,
        json={"decision": "suspend", "reason": "critical: pending Panel decision"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["campaign"]["stage"] == "Suspended"
    assert r.json()["incident"]["status"] == "AwaitingPanel"
    r = client.post(
        f"/api/v1/incidents/{incident.incident_id}/triage",
        headers=estate.dcc,
        json={"decision": "pause", "reason": "not open to triage any more"},
    )
    assert r.status_code == 409
    r = client.post(
        f"/api/v1/incidents/{incident.incident_id}/triage",
        headers=estate.dcc,
        json={"decision": "resume", "reason": "Panel: proceed"},
    )
    assert r.json()["campaign"]["stage"] == "Notified"
    decisions = client.get(f"/api/v1/campaigns/{cid}/decisions", headers=estate.dcc).json()
    assert [(d["decision"], d["pending_effect"], d["incident_id"]) for d in decisions] == [
        ("suspend", "Held", incident.incident_id),
        ("resume", "Released", incident.incident_id),
    ]
    n81 = [doc for code, doc in _alerts(container, cid) if code == "N81"]
    assert len(n81) == 6 and {_recipient(d) for d in n81} == {SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC}
    assert NEW_VERSION  # the release under test
