"""Webhook subscriptions through HTTP: each Service User manages only its own endpoints (X2),
DCC manages all, bad input is refused naming every problem and changes nothing (X5)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chfw_api.bootstrap import Container
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate
from tests.integration.test_delivery_worker import container as container

HOOKS = "/api/v1/webhooks/endpoints"
URL = "http://127.0.0.1:9/hook"


def _create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = client.post(HOOKS, headers=headers, json={"url": URL, "codes": ["N63"], **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_register_returns_the_secret_once_then_never(client: TestClient, estate: Estate) -> None:
    created = _create(client, estate.supplier_a, codes=["n70", "N63"], batch_size=10)
    secret = created["secret"]
    assert secret.startswith("whsec_") and 24 <= len(base64.b64decode(secret[6:])) <= 64
    assert created["party"] == SUPPLIER_A and created["codes"] == ["N63", "N70"]
    assert created["batch_size"] == 10 and created["status"] == "active"
    got = client.get(f"{HOOKS}/{created['id']}", headers=estate.supplier_a).json()
    listed = client.get(HOOKS, headers=estate.supplier_a).json()
    assert "secret" not in got and all("secret" not in e for e in listed)
    assert [e["id"] for e in listed] == [created["id"]]


def test_a_supplier_sees_and_touches_only_its_own_endpoints(
    client: TestClient, estate: Estate
) -> None:
    # covers: X2
    mine = _create(client, estate.supplier_a)
    theirs = _create(client, estate.supplier_b)
    assert [e["id"] for e in client.get(HOOKS, headers=estate.supplier_a).json()] == [mine["id"]]
    path = f"{HOOKS}/{theirs['id']}"
    a = estate.supplier_a
    assert client.get(path, headers=a).status_code == 404
    assert client.patch(path, headers=a, json={"batch_size": 2}).status_code == 404
    assert client.post(f"{path}/rotate-secret", headers=a, json={}).status_code == 404
    assert client.delete(path, headers=a).status_code == 404
    r = client.post(HOOKS, headers=a, json={"url": URL, "codes": ["N63"], "party": SUPPLIER_B})
    assert r.status_code == 403
    assert client.get(path, headers=estate.supplier_b).json()["batch_size"] == 1
    # CSPs have no endpoints at all.
    assert client.get(HOOKS, headers=estate.csp_north).status_code == 403


def test_dcc_sees_all_and_registers_on_behalf_of_a_supplier(
    client: TestClient, estate: Estate
) -> None:
    # covers: X2
    _create(client, estate.supplier_a)
    for_b = _create(client, estate.dcc, party=SUPPLIER_B.lower())
    assert for_b["party"] == SUPPLIER_B
    assert len(client.get(HOOKS, headers=estate.dcc).json()) == 2
    only_b = client.get(HOOKS, headers=estate.dcc, params={"party": SUPPLIER_B}).json()
    assert [e["id"] for e in only_b] == [for_b["id"]]
    assert [e["id"] for e in client.get(HOOKS, headers=estate.supplier_b).json()] == [for_b["id"]]
    missing = client.post(HOOKS, headers=estate.dcc, json={"url": URL, "codes": ["N63"]})
    assert missing.status_code == 422


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"url": "ftp://x.example/", "codes": ["N63"]}, {"url"}),
        ({"url": "http://10.0.0.1/", "codes": ["N63"]}, {"url"}),
        ({"url": "http://169.254.169.254/", "codes": ["N63"]}, {"url"}),
        ({"url": URL, "codes": ["N99", "BOGUS"]}, {"codes"}),
        ({"url": "http://192.168.0.1/", "codes": ["N99"], "batch_size": 5}, {"url", "codes"}),
    ],
)
def test_bad_registrations_name_every_problem_and_change_nothing(
    client: TestClient, estate: Estate, body: dict[str, Any], fields: set[str]
) -> None:
    # covers: X5
    r = client.post(HOOKS, headers=estate.supplier_a, json=body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith("validation-failed")
    assert {e["field"] for e in problem["errors"]} == fields
    assert client.get(HOOKS, headers=estate.supplier_a).json() == []


def test_schema_violations_are_refused_too(client: TestClient, estate: Estate) -> None:
    # covers: X5
    for body in (
        {"url": URL, "codes": []},
        {"url": URL, "codes": ["N63"], "batch_size": 0},
        {"url": URL, "codes": ["N63"], "batch_size": 1001},
        {"codes": ["N63"]},
    ):
        assert client.post(HOOKS, headers=estate.supplier_a, json=body).status_code == 422


def test_update_checks_like_create_and_delete_removes(
    client: TestClient, estate: Estate, container: Container
) -> None:
    ep = _create(client, estate.supplier_a)
    path = f"{HOOKS}/{ep['id']}"
    bad = client.patch(path, headers=estate.supplier_a, json={"url": "http://10.1.1.1/"})
    assert bad.status_code == 422
    ok = client.patch(
        path,
        headers=estate.supplier_a,
        json={"codes": ["*"], "batch_size": 50, "description": "ops"},
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["codes"], ok.json()["batch_size"], ok.json()["url"]) == (["*"], 50, URL)
    assert client.delete(path, headers=estate.supplier_a).status_code == 204
    assert client.get(path, headers=estate.supplier_a).status_code == 404
    with container.uow(read_only=True) as uow:
        actions = [
            e.record.action for e in uow.audit.entries(subject=f"webhook-endpoint:{ep['id']}")
        ]
    assert actions == [
        "webhook.endpoint_registered",
        "webhook.endpoint_updated",
        "webhook.endpoint_deleted",
    ]


def test_rotation_returns_a_new_secret_and_the_overlap(client: TestClient, estate: Estate) -> None:
    ep = _create(client, estate.supplier_a)
    path = f"{HOOKS}/{ep['id']}/rotate-secret"
    r = client.post(path, headers=estate.supplier_a, json={})
    assert r.status_code == 200
    assert r.json()["secret"] != ep["secret"]
    assert r.json()["previous_secret_expires_at"].startswith("2026-01-06T09:00")  # default 1 day
    too_long = client.post(path, headers=estate.supplier_a, json={"overlap_seconds": 10**7})
    assert too_long.status_code == 422
