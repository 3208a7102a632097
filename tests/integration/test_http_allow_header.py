"""A 405 names, in `Allow`, every method the resource serves (RFC 9110 section 15.5.6), and
that list is the OpenAPI document's: a client probing a path learns what it may send."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from chfw_api.config import PROJECT_ROOT
from tests.integration.conftest import Estate

SPEC = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
METHODS = ("get", "put", "post", "delete", "patch")
PROBES = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "TRACE")


def _concrete(path: str) -> str:
    """A request path for a templated one: any value reaches the route (405 comes first)."""
    return path.replace("{", "").replace("}", "")


@pytest.mark.parametrize("path", sorted(SPEC["paths"]))
def test_every_undeclared_method_is_405_with_the_documented_allow(
    client: TestClient, estate: Estate, path: str
) -> None:
    declared = sorted(m.upper() for m in SPEC["paths"][path] if m in METHODS)
    for method in PROBES:
        if method in declared:
            continue
        r = client.request(method, _concrete(path), headers=estate.dcc)
        assert r.status_code == 405, (method, path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
        allowed = sorted(m.strip() for m in r.headers["allow"].split(","))
        assert allowed == declared, (method, path, r.headers["allow"])


def test_a_resource_served_by_several_routes_allows_them_all(
    client: TestClient, estate: Estate
) -> None:
    # GET, PATCH and DELETE of one webhook endpoint are three routes; Starlette alone would
    # answer from the first and say `Allow: GET`.
    r = client.put("/api/v1/webhooks/endpoints/1", headers=estate.supplier_a)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, PATCH, DELETE"
    r = client.post("/healthz")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
