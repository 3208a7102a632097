"""Inventory import and each party's view of hubs, through HTTP on each backend."""

from __future__ import annotations

from fastapi.testclient import TestClient

from chfw_api.domain.identifiers import guid_from_int
from tests.integration.conftest import (
    SUPPLIER_A,
    SUPPLIER_B,
    SUPPLIER_ELEC,
    Estate,
    csv_body,
    hub_line,
)

CSV = {"Content-Type": "text/csv"}


def _import(client: TestClient, estate: Estate, body: bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post("/api/v1/inventory/imports", headers={**estate.dcc, **CSV}, content=body)
    return r.status_code, r.json()


def _all_hubs(client: TestClient, headers: dict[str, str], limit: int = 1000) -> list[dict]:  # type: ignore[type-arg]
    items: list[dict] = []  # type: ignore[type-arg]
    after = None
    while True:
        params: dict[str, object] = {"limit": limit}
        if after:
            params["after"] = after
        page = client.get("/api/v1/hubs", headers=headers, params=params).json()
        items.extend(page["items"])
        after = page["next_after"]
        if after is None:
            return items


def test_import_then_reimport_upserts_change_of_supplier(
    client: TestClient, estate: Estate
) -> None:
    g1, g2 = guid_from_int(1), guid_from_int(2)
    status, body = _import(
        client, estate, csv_body(hub_line(g1.lower()), hub_line(g2, importer=SUPPLIER_A))
    )
    assert status == 200, body
    assert body == {"rows": 2, "created": 2, "updated": 0}
    # Change of supplier: hub 2 moves from A to B.
    status, body = _import(client, estate, csv_body(hub_line(g2, importer=SUPPLIER_B)))
    assert status == 200 and body == {"rows": 1, "created": 0, "updated": 1}
    a = {h["guid"] for h in _all_hubs(client, estate.supplier_a)}
    b = {h["guid"] for h in _all_hubs(client, estate.supplier_b)}
    assert a == {g1} and b == {g2}
    assert g1.upper() == g1  # stored and emitted in upper case


def test_bad_rows_import_nothing_and_every_bad_row_is_named(
    client: TestClient, estate: Estate
) -> None:
    # covers: X5
    good = hub_line(guid_from_int(10))
    body = csv_body(
        good,
        hub_line("00-11-22", region="Mars"),  # line 3: two problems
        hub_line(guid_from_int(11), importer="90-B3-D5-1F-30-7F-00-00"),  # unknown supplier
        hub_line(guid_from_int(12), gas=SUPPLIER_ELEC),  # holds IS only
        hub_line(guid_from_int(13), status="Sleeping", firmware="XYZ123456"),
        hub_line(guid_from_int(10)),  # repeats line 2
        hub_line(guid_from_int(14), flags="maybe,0,0"),
        good.rsplit(",", 1)[0],  # too few fields
    )
    status, problem = _import(client, estate, body)
    assert status == 422
    assert "nothing was imported" in problem["detail"]
    by_line: dict[str, set[str | None]] = {}
    for e in problem["errors"]:
        by_line.setdefault(e["location"], set()).add(e.get("field"))
    assert by_line == {
        "line 3": {"DeviceID", "CSPRegion"},
        "line 4": {"ImportSupplier"},
        "line 5": {"GasSupplier"},
        "line 6": {"DeviceStatus", "DeviceFirmwareVersion"},
        "line 7": {"DeviceID"},
        "line 8": {"ProductionProving"},
        "line 9": {None},
    }
    assert problem["total_errors"] == 9
    assert _all_hubs(client, estate.dcc) == []


def test_bad_row_report_is_capped_with_the_total(
    client: TestClient, estate: Estate, container
) -> None:  # type: ignore[no-untyped-def]
    # covers: X5
    container.settings.import_error_cap = 5
    body = csv_body(*[hub_line(f"bad-{i}") for i in range(40)])
    status, problem = _import(client, estate, body)
    assert status == 422
    assert len(problem["errors"]) == 5
    assert problem["total_errors"] == 40


def test_wrong_content_type_and_missing_columns_are_refused(
    client: TestClient, estate: Estate
) -> None:
    # covers: X5
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "application/json"},
        content=b"{}",
    )
    assert r.status_code == 422 and "text/csv" in r.json()["detail"]
    r = client.post(
        "/api/v1/inventory/imports", headers={**estate.dcc, **CSV}, content=b"DeviceID,Foo\n"
    )
    assert r.status_code == 422 and "missing columns" in r.json()["detail"]


def test_only_dcc_imports(client: TestClient, estate: Estate) -> None:
    # covers: X2
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.supplier_a, **CSV},
        content=csv_body(hub_line(guid_from_int(1))),
    )
    assert r.status_code == 403
    assert _all_hubs(client, estate.dcc) == []


def test_party_isolation_on_hub_listing(client: TestClient, estate: Estate) -> None:
    # covers: X2, BR3.3
    g = [guid_from_int(100 + i) for i in range(6)]
    status, _ = _import(
        client,
        estate,
        csv_body(
            hub_line(g[0], importer=SUPPLIER_A, gas=SUPPLIER_A, region="North"),
            hub_line(g[1], importer=SUPPLIER_A, gas=SUPPLIER_B, region="Central"),  # split
            hub_line(g[2], importer=SUPPLIER_B, gas="", region="South"),
            hub_line(g[3], importer="", gas=SUPPLIER_B, region="North"),
            hub_line(g[4], importer=SUPPLIER_ELEC, region="Central"),
            hub_line(g[5], importer=SUPPLIER_B, gas=SUPPLIER_A, region="South"),  # split
        ),
    )
    assert status == 200
    seen = {
        name: {h["guid"]: h for h in _all_hubs(client, headers, limit=2)}
        for name, headers in vars(estate).items()
    }
    assert set(seen["supplier_a"]) == {g[0], g[1], g[5]}
    assert set(seen["supplier_b"]) == {g[1], g[2], g[3], g[5]}
    assert set(seen["supplier_elec"]) == {g[4]}
    assert set(seen["csp_north"]) == {g[0], g[3]}
    assert set(seen["csp_central"]) == {g[1], g[2], g[4], g[5]}
    assert set(seen["dcc"]) == set(g)
    # A supplier learns that a split hub has a second supplier, never who it is.
    split_for_a = seen["supplier_a"][g[1]]
    assert split_for_a["split_supplier"] is True
    assert split_for_a["import_supplier"] == SUPPLIER_A and split_for_a["gas_supplier"] is None
    assert SUPPLIER_B not in str(seen["supplier_a"])
    assert seen["dcc"][g[1]]["gas_supplier"] == SUPPLIER_B
    # Another supplier's hub is indistinguishable from an unknown one.
    r_other = client.get(f"/api/v1/hubs/{g[4]}", headers=estate.supplier_a)
    r_unknown = client.get(f"/api/v1/hubs/{guid_from_int(999)}", headers=estate.supplier_a)
    assert r_other.status_code == r_unknown.status_code == 404
    assert (
        client.get(f"/api/v1/hubs/{g[4].lower()}", headers=estate.supplier_elec).status_code == 200
    )


def test_hub_paging_walks_every_hub_once(client: TestClient, estate: Estate) -> None:
    guids = [guid_from_int(7_000 + i * 13) for i in range(57)]
    lines = [
        hub_line(x, importer=SUPPLIER_A if i % 2 else "", gas=SUPPLIER_A)
        for i, x in enumerate(guids)
    ]
    assert _import(client, estate, csv_body(*lines))[0] == 200
    got = [h["guid"] for h in _all_hubs(client, estate.supplier_a, limit=10)]
    assert got == sorted(guids)
    r = client.get("/api/v1/hubs", headers=estate.supplier_a, params={"after": "garbage"})
    assert r.status_code == 422
