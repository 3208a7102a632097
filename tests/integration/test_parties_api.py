"""Registering parties through the DCC API: validation, conflicts, CSP regions."""

from __future__ import annotations

from fastapi.testclient import TestClient

from chfw_api.duis.keys import generate_signing_identity
from tests.integration.conftest import Estate

# A certificate that can verify requests (ECDSA P-256): a PEM header alone is not enough.
CERT = generate_signing_identity("Alpha Energy")[1].decode()


def test_register_supplier_normalises_user_id(client: TestClient, estate: Estate) -> None:
    r = client.post(
        "/api/v1/parties",
        headers=estate.dcc,
        json={
            "kind": "supplier",
            "code": "90-b3-d5-1f-30-09-00-00",
            "name": "Nine",
            "roles": ["GS"],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["code"] == "90-B3-D5-1F-30-09-00-00"
    assert r.json()["roles"] == ["GS"]


def test_bad_party_input_is_specific_and_changes_nothing(
    client: TestClient, estate: Estate
) -> None:
    # covers: X5
    before = client.get("/api/v1/parties", headers=estate.dcc).json()
    cases = [
        ({"kind": "supplier", "code": "not-an-eui", "name": "X", "roles": ["IS"]}, 422, "User ID"),
        ({"kind": "supplier", "code": "90-B3-D5-1F-30-09-00-00", "name": "X"}, 422, "role"),
        ({"kind": "csp", "code": "CSP-X", "name": "X", "regions": ["North"]}, 422, "North"),
        ({"kind": "csp", "code": "CSP N/../", "name": "X"}, 422, "CSP ID"),
        (
            {"kind": "supplier", "code": "90-B3-D5-1F-30-01-00-00", "name": "dup", "roles": ["IS"]},
            409,
            "already exists",
        ),
        ({"kind": "martian", "code": "x", "name": "X"}, 422, "kind"),
    ]
    for body, status, words in cases:
        r = client.post("/api/v1/parties", headers=estate.dcc, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert words.lower() in r.text.lower(), (words, r.text)
    assert client.get("/api/v1/parties", headers=estate.dcc).json() == before


def test_signing_certificate_registration(client: TestClient, estate: Estate) -> None:
    code = "90-B3-D5-1F-30-01-00-00"
    r = client.put(
        f"/api/v1/parties/{code}/certificate", headers=estate.dcc, json={"certificate_pem": CERT}
    )
    assert r.status_code == 200 and r.json()["has_signing_certificate"] is True
    r = client.put(
        "/api/v1/parties/CSP-N/certificate", headers=estate.dcc, json={"certificate_pem": CERT}
    )
    assert r.status_code == 422
    r = client.put(
        f"/api/v1/parties/{code}/certificate", headers=estate.dcc, json={"certificate_pem": "junk"}
    )
    assert r.status_code == 422


def test_unknown_party_is_404_problem(client: TestClient, estate: Estate) -> None:
    r = client.get("/api/v1/parties/90-B3-D5-1F-30-7F-00-00", headers=estate.dcc)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
