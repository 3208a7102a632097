"""A file that repeats a GUID imports nothing and names every repeat, found by the database on
PostgreSQL (a unique index over the staged rows; no set of GUIDs in memory)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from chfw_api.domain.identifiers import guid_from_int
from tests.integration.conftest import SUPPLIER_B, Estate, csv_body, hub_line

CSV = {"Content-Type": "text/csv"}


def _import(client: TestClient, estate: Estate, body: bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post("/api/v1/inventory/imports", headers={**estate.dcc, **CSV}, content=body)
    return r.status_code, r.json()


def _guids(client: TestClient, estate: Estate) -> set[str]:
    r = client.get("/api/v1/hubs", headers=estate.dcc, params={"limit": 1000})
    return {h["guid"] for h in r.json()["items"]}


def test_repeats_alone_are_named_in_line_order_and_nothing_is_imported(
    client: TestClient, estate: Estate
) -> None:
    # covers: X5
    g = [guid_from_int(i) for i in range(20, 25)]
    body = csv_body(
        hub_line(g[0]),
        hub_line(g[1]),
        hub_line(g[0]),  # line 4: same row again
        hub_line(g[2]),
        hub_line(g[1], importer=SUPPLIER_B),  # line 6: the same GUID, different row
        hub_line(g[0]),  # line 7: a third time
        hub_line(g[3]),
    )
    status, problem = _import(client, estate, body)
    assert status == 422, problem
    assert [(e["location"], e["field"]) for e in problem["errors"]] == [
        ("line 4", "DeviceID"),
        ("line 6", "DeviceID"),
        ("line 7", "DeviceID"),
    ]
    assert all(g[0] in str(e) for e in (problem["errors"][0], problem["errors"][2]))
    assert problem["total_errors"] == 3
    assert _guids(client, estate) == set()


def test_repeats_of_hubs_already_held_are_refused_too(client: TestClient, estate: Estate) -> None:
    """A re-import whose repeated rows equal the stored ones (an upsert that would change
    nothing) is still refused: the file is wrong, whatever the inventory holds."""
    # covers: X5
    g = guid_from_int(30)
    assert _import(client, estate, csv_body(hub_line(g)))[0] == 200
    status, problem = _import(client, estate, csv_body(hub_line(g), hub_line(g)))
    assert status == 422, problem
    assert [e["location"] for e in problem["errors"]] == ["line 3"]
    status, body = _import(client, estate, csv_body(hub_line(g, importer=SUPPLIER_B)))
    assert status == 200 and body["updated"] == 1
