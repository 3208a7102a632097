"""CSP uploads (A02, A03, A08) through the HTTP API on each backend."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from chfw_api.bootstrap import Container
from chfw_api.duis.schema import validate
from tests.conftest import START
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC, Estate
from tests.integration.csp_fixtures import (
    alerts,
    campaign,
    hub_row,
    list_xml,
    schedule_xml,
    set_in_pilot,
)

XML = {"Content-Type": "application/xml"}
CSV = {"Content-Type": "text/csv"}


def _iso(days: float) -> str:
    return (START + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def test_default_pilot_list_alerts_each_supplier_with_its_own_hubs_and_is_versioned(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: A02, C1, X4, DD01
    s = campaign(client, estate)
    h = s.hubs
    url = f"/api/v1/csp/campaigns/{s.campaign_id}/default-pilot-list"
    first = h.a_only[:3] + h.b_only[:2] + h.elec[:1]
    r = client.post(
        url, headers={**estate.csp_central, **XML}, content=list_xml(s.campaign_id, first)
    )
    assert r.status_code == 200, r.text
    assert r.json() | {"upload_id": 0} == {
        "upload_id": 0,
        "campaign_id": s.campaign_id,
        "kind": "default-pilot-list",
        "version": 1,
        "hubs": 6,
        "periods": 0,
        "suppliers_alerted": 3,
    }
    n72 = {a.recipient: a for a in alerts(container, "N72")}
    assert set(n72) == {SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC}
    for a in n72.values():
        validate(a.doc)
    assert sorted(n72[SUPPLIER_A].texts("sr:DeviceID")) == sorted(h.a_only[:3])
    assert sorted(n72[SUPPLIER_B].texts("sr:DeviceID")) == sorted(h.b_only[:2])
    assert n72[SUPPLIER_ELEC].texts("sr:DeviceID") == h.elec[:1]
    assert hub_row(container, s.campaign_id, h.a_only[0])["in_default_list"]

    # A new version (CSV this time) supersedes the last; the dropped hubs leave the list.
    body = "DeviceID\n" + "\n".join(g.lower() for g in h.a_only[3:5]) + "\n"
    r = client.post(url, headers={**estate.csp_central, **CSV}, content=body.encode())
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["suppliers_alerted"] == 1
    assert not hub_row(container, s.campaign_id, h.a_only[0])["in_default_list"]
    assert hub_row(container, s.campaign_id, h.a_only[4])["in_default_list"]
    versions = client.get(
        f"/api/v1/csp/campaigns/{s.campaign_id}/uploads", headers=estate.csp_central
    ).json()
    assert [(v["version"], v["superseded_at"] is None, v["hubs"]) for v in versions] == [
        (1, False, 6),
        (2, True, 2),
    ]
    assert versions[1]["content"] == {"guids": h.a_only[3:5]}
    # Another CSP sees none of them; DCC sees both.
    assert (
        client.get(
            f"/api/v1/csp/campaigns/{s.campaign_id}/uploads", headers=estate.csp_north
        ).json()
        == []
    )
    assert (
        len(client.get(f"/api/v1/csp/campaigns/{s.campaign_id}/uploads", headers=estate.dcc).json())
        == 2
    )


def test_a_csp_is_refused_for_another_regions_hubs_and_nothing_changes(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2, X5, BR5.2
    s = campaign(client, estate)
    h = s.hubs
    url = f"/api/v1/csp/campaigns/{s.campaign_id}/default-pilot-list"
    named = h.split_ab[:1] + h.a_only[:2] + ["00-00-00-00-00-00-00-01"] + h.other_model[:1]
    r = client.post(
        url, headers={**estate.csp_north, **XML}, content=list_xml(s.campaign_id, named)
    )
    assert r.status_code == 422, r.text
    problems = {(e["location"], e.get("code")) for e in r.json()["errors"]}
    assert [e.get("code") for e in r.json()["errors"]] == [
        "not-your-network",
        "not-your-network",
        "unknown-hub",
        "not-your-network",
    ]
    assert len(problems) == 4
    assert r.json()["total_errors"] == 4
    assert alerts(container, "N72") == []
    assert not hub_row(container, s.campaign_id, h.split_ab[0])["in_default_list"]
    assert (
        client.get(f"/api/v1/csp/campaigns/{s.campaign_id}/uploads", headers=estate.dcc).json()
        == []
    )


def test_default_schedule_periods_are_validated_and_each_supplier_sees_only_its_hubs(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: A03, C5, DD01, AD07, X5, BR3.3
    s = campaign(client, estate)  # pilot from START+7d for 45 days
    h = s.hubs
    url = f"/api/v1/csp/campaigns/{s.campaign_id}/default-pilot-schedule"
    bad = schedule_xml(
        "CSPDefaultPilotSchedule",
        s.campaign_id,
        [
            (_iso(20), _iso(10), h.split_ab[:1]),  # ends before it starts
            (_iso(1), _iso(9), h.split_ab[1:2]),  # starts before the pilot
            (_iso(10), _iso(12), h.split_ab[:1]),  # a hub in two periods
        ],
    )
    r = client.post(url, headers={**estate.csp_north, **XML}, content=bad)
    assert r.status_code == 422
    reasons = " | ".join(e["reason"] for e in r.json()["errors"])
    assert "start before it ends" in reasons
    assert "earliest this stage allows" in reasons
    assert "more than once" in reasons

    good = schedule_xml(
        "CSPDefaultPilotSchedule",
        s.campaign_id,
        [(_iso(8), _iso(12), h.split_ab[:2]), (_iso(14), _iso(20), h.split_ab[2:])],
    )
    r = client.post(url, headers={**estate.csp_north, **XML}, content=good)
    assert r.status_code == 200, r.text
    n73 = {a.recipient: a for a in alerts(container, "N73")}
    # Split hubs: both suppliers get the schedule, neither learns who the other is.
    assert set(n73) == {SUPPLIER_A, SUPPLIER_B}
    for a in n73.values():
        validate(a.doc)
        assert (
            len(
                a.body("CHFirmwareDefaultPilotSchedule").findall(
                    f"{{{a.doc.nsmap['sr']}}}SchedulePeriod"
                )
            )
            == 2
        )
        assert SUPPLIER_A not in a.texts("sr:DeviceID") and SUPPLIER_B not in a.texts("sr:DeviceID")
        assert a.texts("sr:Constraint")  # the published constraint set (AD07)


def test_safe_launch_schedule_is_the_csps_alone_and_excludes_the_pilot(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: A08, C2, C4, C5
    s = campaign(client, estate)
    h = s.hubs
    set_in_pilot(container, s.campaign_id, h.b_only[:1])
    url = f"/api/v1/csp/campaigns/{s.campaign_id}/safe-launch-schedule"
    rows = [f"{_iso(60)},{_iso(70)},South wave,{g}" for g in h.b_only]
    body = ("PeriodStart,PeriodEnd,GroupLabel,DeviceID\n" + "\n".join(rows) + "\n").encode()
    r = client.post(url, headers={**estate.csp_central, **CSV}, content=body)
    assert r.status_code == 422
    assert [e["code"] for e in r.json()["errors"]] == ["in-pilot"]

    rows = [f"{_iso(60)},{_iso(70)},South wave,{g}" for g in h.b_only[1:]]
    rows += [f"{_iso(71)},{_iso(80)},Central wave,{g}" for g in h.a_only + h.elec]
    body = ("PeriodStart,PeriodEnd,GroupLabel,DeviceID\n" + "\n".join(rows) + "\n").encode()
    r = client.post(url, headers={**estate.csp_central, **CSV}, content=body)
    assert r.status_code == 200, r.text
    assert r.json()["periods"] == 2
    n76 = {a.recipient: a for a in alerts(container, "N76")}
    assert set(n76) == {SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC}
    assert sorted(n76[SUPPLIER_B].texts("sr:DeviceID")) == sorted(h.b_only[1:])
    assert n76[SUPPLIER_B].texts("sr:GroupLabel") == ["South wave"]
    assert sorted(n76[SUPPLIER_ELEC].texts("sr:DeviceID")) == sorted(h.elec)

    # Suppliers have no way in (C2): the CSP endpoints refuse their keys.
    r = client.post(url, headers={**estate.supplier_a, **CSV}, content=body)
    assert r.status_code == 403


def test_malformed_uploads_are_refused_with_reasons(client: TestClient, estate: Estate) -> None:
    # covers: X5
    s = campaign(client, estate)
    url = f"/api/v1/csp/campaigns/{s.campaign_id}/default-pilot-list"
    headers = {**estate.csp_central, **XML}
    r = client.post(url, headers=headers, content=b"<?xml version='1.0'?><!DOCTYPE x []><x/>")
    assert r.status_code == 422 and "E110002" in str(r.json()["errors"])
    r = client.post(url, headers=headers, content=list_xml("CMP-999999", s.hubs.a_only[:1]))
    assert r.status_code == 422 and "uploaded to" in r.json()["errors"][0]["reason"]
    r = client.post(
        url, headers={**estate.csp_central, "Content-Type": "application/json"}, content=b"{}"
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/csp/campaigns/CMP-999999/default-pilot-list",
        headers=headers,
        content=list_xml("CMP-999999", s.hubs.a_only[:1]),
    )
    assert r.status_code == 404
