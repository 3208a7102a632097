"""A small estate with hubs and a release, for campaign tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient

from chfw_api.domain.identifiers import guid_from_int
from tests.conftest import START
from tests.integration.conftest import (
    SUPPLIER_A,
    SUPPLIER_B,
    SUPPLIER_ELEC,
    Estate,
    csv_body,
    hub_line,
)

MODEL = "KC-200"
NEW_VERSION = "0100A300"
RELEASE = {
    "manufacturer": "Kelvin Cellular",
    "model": MODEL,
    "version": NEW_VERSION,
    "image_hash": "ab" * 32,
    "release_note_ref": "https://dcc.example/notes/KC-200/0100A300",
    "severity": "High",
    "priority": "Normal",
    "release_type": "PlannedMaintenance",
    "operational_or_security": False,
}


@dataclass
class Hubs:
    """Which GUIDs the estate holds, by kind."""

    a_only: list[str]
    split_ab: list[str]
    b_only: list[str]
    elec: list[str]
    other_model: list[str]
    already_new: list[str]
    not_commissioned: list[str]

    @property
    def eligible(self) -> list[str]:
        return self.a_only + self.split_ab + self.b_only + self.elec


def load_hubs(client: TestClient, estate: Estate) -> Hubs:
    n = iter(range(1000, 2000))

    def take(k: int) -> list[str]:
        return [guid_from_int(next(n)) for _ in range(k)]

    hubs = Hubs(take(5), take(4), take(3), take(2), take(2), take(1), take(1))
    lines = (
        [hub_line(g, importer=SUPPLIER_A, gas=SUPPLIER_A) for g in hubs.a_only]
        + [hub_line(g, importer=SUPPLIER_A, gas=SUPPLIER_B, region="North") for g in hubs.split_ab]
        + [hub_line(g, importer=SUPPLIER_B, region="South") for g in hubs.b_only]
        + [hub_line(g, importer=SUPPLIER_ELEC) for g in hubs.elec]
        + [hub_line(g, model="OTHER-1") for g in hubs.other_model]
        + [hub_line(g, firmware=NEW_VERSION) for g in hubs.already_new]
        + [hub_line(g, status="InstalledNotCommissioned") for g in hubs.not_commissioned]
    )
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "text/csv"},
        content=csv_body(*lines),
    )
    assert r.status_code == 200, r.text
    return hubs


def create_release(client: TestClient, estate: Estate, **overrides: object) -> int:
    r = client.post("/api/v1/releases", headers=estate.dcc, json={**RELEASE, **overrides})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def create_campaign(client: TestClient, estate: Estate, release_id: int, **body: object) -> dict:  # type: ignore[type-arg]
    r = client.post(
        "/api/v1/campaigns",
        headers=estate.dcc,
        json={"release_id": release_id, "reason": "CPL entry approved", **body},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def pilot_window(days_from_start: int = 7, length_days: int = 45) -> dict[str, str]:
    start = START + timedelta(days=days_from_start)
    return {
        "pilot_start": start.isoformat(),
        "pilot_end": (start + timedelta(days=length_days)).isoformat(),
    }


def pilot_campaign_over(client: TestClient, estate: Estate, lines: list[str]) -> str:
    """These inventory lines imported, then a pilot campaign over them (its id)."""
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "text/csv"},
        content=csv_body(*lines),
    )
    assert r.status_code == 200, r.text
    window = pilot_window(days_from_start=60, length_days=60)
    release = create_release(client, estate)
    return str(create_campaign(client, estate, release, with_pilot=True, **window)["campaign_id"])
