"""Email contacts through the JSON API (issue #14): DCC manages them, a supplier reads its own."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate

URL = f"/api/v1/parties/{SUPPLIER_A}/email-contacts"


def test_dcc_manages_contacts_and_a_supplier_reads_only_its_own(
    client: TestClient, estate: Estate
) -> None:
    r = client.post(URL, headers=estate.dcc, json={"address": "Ops@Alpha.example", "name": "Ops"})
    assert r.status_code == 201, r.text
    ops = r.json()
    assert ops["notices"] == ["N70", "N75", "N78", "N79"]  # Option 1's by default
    assert ops["address"] == "Ops@alpha.example"  # the domain normalised
    r = client.post(URL, headers=estate.dcc, json={"address": "cto@alpha.example",
                                                   "notices": ["N70", "N81"]})  # fmt: skip
    assert r.status_code == 201, r.text
    cto = r.json()
    assert (
        client.post(URL, headers=estate.dcc, json={"address": "Ops@alpha.example"}).status_code
        == 409
    )

    r = client.get(URL, headers=estate.supplier_a)
    assert r.status_code == 200
    assert [c["address"] for c in r.json()] == ["Ops@alpha.example", "cto@alpha.example"]
    assert client.get(URL, headers=estate.supplier_b).status_code == 404
    assert client.get(URL, headers=estate.csp_central).status_code == 403
    assert (
        client.post(URL, headers=estate.supplier_a, json={"address": "x@a.example"}).status_code
        == 403
    )

    r = client.patch(f"{URL}/{cto['id']}", headers=estate.dcc, json={"notices": ["N77"]})
    assert r.status_code == 200 and r.json()["notices"] == ["N77"]
    other = f"/api/v1/parties/{SUPPLIER_B}/email-contacts/{cto['id']}"
    assert client.patch(other, headers=estate.dcc, json={"name": "x"}).status_code == 404
    assert client.delete(f"{URL}/{ops['id']}", headers=estate.dcc).status_code == 204
    assert [c["id"] for c in client.get(URL, headers=estate.dcc).json()] == [cto["id"]]


def test_a_bad_address_is_a_422_naming_it_and_changes_nothing(
    client: TestClient, estate: Estate
) -> None:
    for bad in ("not-an-address", "ops@", "ops@-bad-.example", "two@@alpha.example"):
        r = client.post(URL, headers=estate.dcc, json={"address": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert bad in problem["detail"]
        assert problem["errors"][0]["field"] == "address"
    r = client.post(
        URL, headers=estate.dcc, json={"address": "a@alpha.example", "notices": ["N63"]}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "notices"
    assert client.get(URL, headers=estate.dcc).json() == []
