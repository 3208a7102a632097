"""The published schema and the server agree on what input is valid (issue #11, finding 9).

Each case is checked twice: against the checked-in OpenAPI document (jsonschema), to show it
is the kind of input the case claims, and against the server: a value the schema allows gets
past validation (whatever the rules then say), and one it forbids is refused with 422 naming
the member, before anything runs. The cases are the ones schemathesis found: GUID, User ID and
cursor patterns, date-times that were read as Unix times, numbers sent as strings, members
the schema does not have, and blank reasons.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema_rs import Draft202012Validator

from chfw_api.config import PROJECT_ROOT
from tests.integration.conftest import SUPPLIER_A, Estate

SPEC = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
INSTANT = "2026-03-01T09:00:00Z"


def query_schema(path: str, name: str) -> dict[str, Any]:
    params = SPEC["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in params if p["name"] == name)  # type: ignore[no-any-return]


def body_schema(method: str, path: str) -> dict[str, Any]:
    content = SPEC["paths"][path][method]["requestBody"]["content"]["application/json"]
    return {**content["schema"], "components": SPEC["components"]}


def valid(schema: dict[str, Any], value: Any) -> bool:
    return bool(Draft202012Validator(schema, validate_formats=True).is_valid(value))


def refused_by_schema(r: Any) -> set[str]:
    """The request members the 422 names as failing the schema (empty if it got past it)."""
    if r.status_code != 422:
        return set()
    return {
        e["location"]
        for e in r.json().get("errors", [])
        if str(e.get("location", "")).split(".")[0] in ("body", "query", "path")
    }


# (path, query parameter, value, whether the schema allows it)
QUERIES = [
    ("/api/v1/hubs", "after", "00000000000000000000000", False),
    ("/api/v1/hubs", "after", "00-db-12-34-56-78-90-a0", True),
    ("/api/v1/feed", "after", "00000000000000000000", False),
    ("/api/v1/feed", "after", "000000000000000042", True),
    ("/api/v1/webhooks/dead-letters", "until", "0.5", False),
    ("/api/v1/webhooks/dead-letters", "until", "1700000000", False),
    ("/api/v1/webhooks/dead-letters", "until", "2026-03-01", False),
    ("/api/v1/webhooks/dead-letters", "until", "2026-03-01T09:00:00", False),
    ("/api/v1/webhooks/dead-letters", "until", "2026-03-01t09:00:00.123456789+01:00", True),
    ("/api/v1/webhooks/dead-letters", "party", "", False),
    ("/api/v1/webhooks/dead-letters", "party", "90-b3-d5-1f-30-01-00-00", True),
    ("/api/v1/webhooks/endpoints", "party", "", False),
]


@pytest.mark.parametrize(("path", "name", "value", "allowed"), QUERIES)
def test_query_values_are_refused_exactly_when_the_schema_refuses_them(
    client: TestClient, estate: Estate, path: str, name: str, value: str, allowed: bool
) -> None:
    # covers: X5
    assert valid(query_schema(path, name), value) is allowed
    caller = estate.dcc if path.startswith("/api/v1/webhooks") else estate.supplier_a
    r = client.get(path, headers=caller, params={name: value})
    assert (f"query.{name}" not in refused_by_schema(r)) is allowed, r.text
    if allowed:
        assert r.status_code == 200, r.text


# (method, path, body, whether the schema allows it, the member a refusal names)
BODIES = [
    ("post", "/api/v1/feed/ack", {"cursor": "9223372036854775808"}, False, "cursor"),
    ("post", "/api/v1/feed/ack", {"cursor": "0", "extra": 1}, False, "extra"),
    (
        "post",
        "/api/v1/webhooks/endpoints",
        {"url": "http://x", "codes": ["*"], "batch_size": "5"},
        False,
        "batch_size",
    ),
    (
        "post",
        "/api/v1/webhooks/endpoints",
        {"url": "http://x", "codes": ["*"], "batch_size": True},
        False,
        "batch_size",
    ),
    (
        "post",
        "/api/v1/webhooks/endpoints",
        {"url": "http://x", "codes": ["*"], "batch_size": 5.0},
        True,
        "batch_size",
    ),
    (
        "post",
        "/api/v1/webhooks/endpoints",
        {"url": "http://x", "codes": ["*"], "enabled": True},
        False,
        "enabled",
    ),
    ("post", "/api/v1/webhooks/endpoints", {"url": "http://x", "codes": [""]}, False, "codes"),
    (
        "post",
        "/api/v1/webhooks/dead-letters/replay",
        {"since": 0.5, "until": INSTANT},
        False,
        "since",
    ),
    (
        "post",
        "/api/v1/webhooks/dead-letters/replay",
        {"since": "2026-02-30T00:00:00Z", "until": INSTANT},
        False,
        "since",
    ),
    (
        "post",
        "/api/v1/webhooks/dead-letters/replay",
        {"since": INSTANT, "until": INSTANT, "party": ""},
        False,
        "party",
    ),
    (
        "post",
        "/api/v1/releases",
        {
            "manufacturer": "K",
            "model": "M",
            "version": "0100A300",
            "image_hash": "",
            "release_note_ref": "r",
            "severity": "Low",
            "priority": "Low",
            "release_type": "SECRelease",
            "operational_or_security": False,
        },
        False,
        "image_hash",
    ),
    (
        "post",
        "/api/v1/releases",
        {
            "manufacturer": " ",
            "model": "M",
            "version": "0100A300",
            "image_hash": "ab" * 32,
            "release_note_ref": "r",
            "severity": "Low",
            "priority": "Low",
            "release_type": "SECRelease",
            "operational_or_security": 0,
        },
        False,
        "manufacturer",
    ),
    (
        "post",
        "/api/v1/parties",
        {"kind": "supplier", "code": "90-B3-D5-1F-30-09-00-00", "name": "N", "roles": []},
        False,
        "roles",
    ),
    ("post", "/api/v1/parties", {"kind": "csp", "code": "CSP-É", "name": "N"}, False, "code"),
    (
        "post",
        "/api/v1/parties",
        {"kind": "dcc", "code": "90-B3-D5-1F-30-00-00-09", "name": "N", "roles": ["IS"]},
        False,
        "roles",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed", "member"), BODIES)
def test_bodies_are_refused_exactly_when_the_schema_refuses_them(
    client: TestClient,
    estate: Estate,
    method: str,
    path: str,
    body: dict[str, Any],
    allowed: bool,
    member: str,
) -> None:
    # covers: X5
    assert valid(body_schema(method, path), body) is allowed
    caller = estate.supplier_a if "/feed" in path else estate.dcc
    if path == "/api/v1/webhooks/endpoints":
        body = {**body, "party": SUPPLIER_A}
    r = client.request(method.upper(), path, headers=caller, json=body)
    named = {loc.split(".")[-1] if not loc.split(".")[-1].isdigit() else loc.split(".")[-2]
             for loc in refused_by_schema(r)}  # fmt: skip
    assert (member in named) is not allowed, r.text


def test_a_blank_reason_is_refused_by_the_schema_not_the_domain(
    client: TestClient, estate: Estate
) -> None:
    # covers: X5
    schema = body_schema("post", "/api/v1/campaigns/{campaign_id}/revoke")
    for blank in (" ", "\t\n", "\u2003", "\x1c"):  # Python's str.strip() removes each
        assert not valid(schema, {"reason": blank})
        r = client.post("/api/v1/campaigns/CMP-000404/revoke", headers=estate.dcc,
                        json={"reason": blank})  # fmt: skip
        assert refused_by_schema(r) == {"body.reason"}, r.text
    assert valid(schema, {"reason": " ok "})
