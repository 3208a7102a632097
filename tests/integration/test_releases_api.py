"""Firmware releases (CPL entries) through the DCC API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.conftest import Estate

RELEASE = {
    "manufacturer": "Kelvin Cellular",
    "model": "KC-200",
    "version": "0100a300",
    "image_hash": "ab" * 32,
    "release_note_ref": "https://dcc.example/release-notes/KC-200/0100A300",
    "severity": "High",
    "priority": "Normal",
    "release_type": "PlannedMaintenance",
    "operational_or_security": False,
}


def test_register_and_read_release(client: TestClient, estate: Estate) -> None:
    # covers: BR1.1
    r = client.post("/api/v1/releases", headers=estate.dcc, json=RELEASE)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["version"] == "0100A300" and body["created_by"] == "90-B3-D5-1F-30-00-00-02"
    got = client.get(f"/api/v1/releases/{body['id']}", headers=estate.dcc).json()
    assert got == body
    assert client.post("/api/v1/releases", headers=estate.dcc, json=RELEASE).status_code == 409


def test_bad_release_is_refused_field_by_field(client: TestClient, estate: Estate) -> None:
    # covers: X5
    bad = {**RELEASE, "version": "v1.2", "image_hash": "nothex"}
    r = client.post("/api/v1/releases", headers=estate.dcc, json=bad)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"version", "image_hash"}
    r = client.post("/api/v1/releases", headers=estate.dcc, json={**RELEASE, "severity": "Meh"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/releases", headers=estate.dcc).json() == []
    assert (
        client.post("/api/v1/releases", headers=estate.supplier_a, json=RELEASE).status_code == 403
    )
