"""API-key authentication and party authorisation, through HTTP on each backend."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from chfw_api.bootstrap import Container
from chfw_api.persistence.tables import ApiKeyRow
from tests.integration.conftest import SUPPLIER_A, Estate


def test_no_key_is_401_problem(client: TestClient, estate: Estate) -> None:
    # covers: X2
    r = client.get("/api/v1/parties")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_unknown_key_is_401(client: TestClient, estate: Estate) -> None:
    # covers: X2
    r = client.get("/api/v1/hubs", headers={"Authorization": "Bearer chfw_not-a-real-key"})
    assert r.status_code == 401
    assert "unknown or revoked" in r.json()["detail"]


def test_supplier_and_csp_keys_get_403_on_dcc_endpoints(client: TestClient, estate: Estate) -> None:
    # covers: X2
    for headers in (estate.supplier_a, estate.csp_north):
        r = client.get("/api/v1/parties", headers=headers)
        assert r.status_code == 403, r.text
        assert r.headers["content-type"] == "application/problem+json"
        r = client.post("/api/v1/releases", headers=headers, json={})
        assert r.status_code in (403, 422)
    assert client.get("/api/v1/parties", headers=estate.dcc).status_code == 200


def test_key_is_shown_once_and_stored_hashed(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2
    r = client.post(f"/api/v1/parties/{SUPPLIER_A}/keys", headers=estate.dcc, json={"label": "b2b"})
    assert r.status_code == 201
    key = r.json()["key"]
    assert key.startswith("chfw_") and len(key) > 40
    listed = client.get(f"/api/v1/parties/{SUPPLIER_A}/keys", headers=estate.dcc).json()
    assert all("key" not in k for k in listed)
    with container.session_factory() as s:
        stored = [row.key_hash for row in s.scalars(select(ApiKeyRow))]
    assert key not in stored and all(len(h) == 64 for h in stored)
    assert client.get("/api/v1/hubs", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_revoked_key_is_refused_at_once(client: TestClient, estate: Estate) -> None:
    # covers: X2
    issued = client.post(f"/api/v1/parties/{SUPPLIER_A}/keys", headers=estate.dcc).json()
    headers = {"Authorization": f"Bearer {issued['key']}"}
    assert client.get("/api/v1/hubs", headers=headers).status_code == 200
    r = client.request(
        "DELETE", f"/api/v1/keys/{issued['id']}", headers=estate.dcc, json={"reason": "rotated"}
    )
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert client.get("/api/v1/hubs", headers=headers).status_code == 401


def test_suspended_party_is_refused(client: TestClient, estate: Estate) -> None:
    # covers: X2
    r = client.put(
        f"/api/v1/parties/{SUPPLIER_A}/status",
        headers=estate.dcc,
        json={"status": "suspended", "reason": "contract ended"},
    )
    assert r.status_code == 200
    r = client.get("/api/v1/hubs", headers=estate.supplier_a)
    assert r.status_code == 403
    assert "suspended" in r.json()["detail"]
