"""House conventions every endpoint keeps: problem+json, body caps, request IDs, probes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.conftest import Estate


def test_oversize_body_is_413_problem(client: TestClient, estate: Estate) -> None:
    # covers: X5
    big = {"kind": "dcc", "code": "90-B3-D5-1F-30-00-00-09", "name": "x" * 200_000}
    r = client.post("/api/v1/parties", headers=estate.dcc, json=big)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert "limit" in r.json()["detail"]


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = client.put("/healthz")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"


def test_malformed_json_is_422_problem(client: TestClient, estate: Estate) -> None:
    # covers: X5
    r = client.post(
        "/api/v1/parties",
        headers={**estate.dcc, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_probes(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
