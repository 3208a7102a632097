"""The OpenAPI document states the errors the app really serves (api/openapi_schema.py).

The schema half reads the document the app serves; the behaviour half provokes each kind of
error and checks the answer is documented for its operation and matches the `Problem` schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema_rs import Draft202012Validator  # schemathesis (dev extra) brings it

from chfw_api.api.app import create_app
from chfw_api.bootstrap import build
from chfw_api.config import Settings
from tests.integration.conftest import Estate, csv_body, hub_line

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
UNPROTECTED = {("get", "/healthz"), ("get", "/readyz")}


@pytest.fixture(scope="module")
def doc() -> Iterator[dict[str, Any]]:
    container = build(Settings(database_url="sqlite://"))
    try:
        yield create_app(container).openapi()
    finally:
        container.dispose()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield method, path, op


def is_problem(response: dict[str, Any]) -> bool:
    content = response.get("content", {})
    return content.get(PROBLEM_JSON, {}).get("schema", {}).get("$ref") == PROBLEM_REF


def test_no_fastapi_validation_shape_is_left(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert {"Problem", "ProblemItem"} <= set(schemas)
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail"}
    assert {"instance", "errors", "total_errors"} <= set(schemas["Problem"]["properties"])


def test_every_error_is_a_problem_except_the_duis_xml_answers(doc: dict[str, Any]) -> None:
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            if not status.startswith("4"):
                continue
            content = set(response.get("content", {}))
            if path == "/api/v1/serviceD" and content == {"application/xml"}:
                continue  # sr:Response XML carries its DUIS code (house rule 6)
            assert content == {PROBLEM_JSON}, f"{method} {path} {status}: {content}"
            assert is_problem(response), f"{method} {path} {status}"


def test_every_operation_taking_input_documents_422_as_a_problem(doc: dict[str, Any]) -> None:
    checked = 0
    for method, path, op in operations(doc):
        body = op.get("requestBody", {}).get("content", {})
        if op.get("parameters") or "application/json" in body:
            assert is_problem(op["responses"].get("422", {})), f"{method} {path}"
            checked += 1
    assert checked > 40


def test_a_json_body_documents_400_and_any_body_413(doc: dict[str, Any]) -> None:
    for method, path, op in operations(doc):
        body = op.get("requestBody", {}).get("content", {})
        if body and path == "/api/v1/serviceD":  # refused in DUIS terms: sr:Response E110003
            assert set(op["responses"]["413"]["content"]) == {"application/xml"}
        elif body:
            assert is_problem(op["responses"].get("413", {})), f"{method} {path}"
        if "application/json" in body:
            assert is_problem(op["responses"].get("400", {})), f"{method} {path}"


def test_every_key_protected_operation_documents_401_and_403(doc: dict[str, Any]) -> None:
    unprotected = set()
    for method, path, op in operations(doc):
        if not op.get("security"):
            unprotected.add((method, path))
            continue
        r401 = op["responses"].get("401", {})
        assert is_problem(r401), f"{method} {path}"
        assert "WWW-Authenticate" in r401.get("headers", {}), f"{method} {path}"
        assert "403" in op["responses"], f"{method} {path}"
    assert unprotected == UNPROTECTED


def test_a_path_parameter_documents_404(doc: dict[str, Any]) -> None:
    for method, path, op in operations(doc):
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            assert "404" in op["responses"], f"{method} {path}"


def test_the_served_document_is_the_rewritten_one(client: TestClient, doc: dict[str, Any]) -> None:
    assert client.get("/openapi.json").json() == doc


# ------------------------------------------------------------------------ as served


def assert_documented_problem(
    doc: dict[str, Any], method: str, path: str, response: Any, status: int
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    documented = doc["paths"][path][method]["responses"]
    assert is_problem(documented[str(status)]), f"{method} {path} {status} undocumented"
    body: dict[str, Any] = response.json()
    validator = Draft202012Validator({"$ref": PROBLEM_REF, "components": doc["components"]})
    validator.validate(body)
    assert body["status"] == status
    return body


def test_each_kind_of_error_is_served_as_documented(
    client: TestClient, estate: Estate, doc: dict[str, Any]
) -> None:
    r = client.get("/api/v1/reports/R-1")
    assert_documented_problem(doc, "get", "/api/v1/reports/{report_id}", r, 401)
    assert r.headers["www-authenticate"] == 'Bearer realm="chfw"'

    r = client.get("/api/v1/parties", headers=estate.supplier_a)
    assert_documented_problem(doc, "get", "/api/v1/parties", r, 403)

    r = client.post(
        "/api/v1/parties",
        headers={**estate.dcc, "Content-Type": "application/json"},
        content=b'{"name": "\xff"}',
    )
    assert_documented_problem(doc, "post", "/api/v1/parties", r, 400)

    r = client.post("/api/v1/parties", headers=estate.dcc, json={"kind": "nope"})
    body = assert_documented_problem(doc, "post", "/api/v1/parties", r, 422)
    assert body["errors"] and body["total_errors"] == len(body["errors"])

    r = client.post(
        "/api/v1/parties",
        headers=estate.dcc,
        json={"kind": "csp", "code": "CSP-N", "name": "again", "regions": ["North"]},
    )
    assert_documented_problem(doc, "post", "/api/v1/parties", r, 409)

    r = client.get("/api/v1/parties/90-B3-D5-1F-30-09-09-09", headers=estate.dcc)
    assert_documented_problem(doc, "get", "/api/v1/parties/{code}", r, 404)


def test_ids_beyond_their_columns_are_422_not_500(
    client: TestClient, estate: Estate, doc: dict[str, Any]
) -> None:
    huge = 2**63
    r = client.get(f"/api/v1/releases/{huge}", headers=estate.dcc)
    assert_documented_problem(doc, "get", "/api/v1/releases/{release_id}", r, 422)
    r = client.delete(f"/api/v1/keys/{2**31}", headers=estate.dcc)
    assert_documented_problem(doc, "delete", "/api/v1/keys/{key_id}", r, 422)
    r = client.post("/api/v1/campaigns", headers=estate.dcc, json={"release_id": huge})
    assert_documented_problem(doc, "post", "/api/v1/campaigns", r, 422)
    r = client.get(f"/api/v1/webhooks/endpoints/{huge}", headers=estate.dcc)
    assert_documented_problem(doc, "get", "/api/v1/webhooks/endpoints/{endpoint_id}", r, 422)
    r = client.post(f"/api/v1/webhooks/dead-letters/{huge}/replay", headers=estate.dcc)
    path = "/api/v1/webhooks/dead-letters/{delivery_id}/replay"
    assert_documented_problem(doc, "post", path, r, 422)


def test_a_csv_import_that_is_not_utf8_is_422_and_imports_nothing(
    client: TestClient, estate: Estate, doc: dict[str, Any]
) -> None:
    body = csv_body(hub_line("00-DB-12-34-56-78-9A-01")) + b"\xff\xfe,\xff\n"
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "text/csv"},
        content=body,
    )
    assert_documented_problem(doc, "post", "/api/v1/inventory/imports", r, 422)
    assert client.get("/api/v1/hubs", headers=estate.dcc).json()["items"] == []


def test_an_unknown_report_is_404_not_400(
    client: TestClient, estate: Estate, doc: dict[str, Any]
) -> None:
    r = client.get("/api/v1/reports/R-404", headers=estate.supplier_a)
    body = assert_documented_problem(doc, "get", "/api/v1/reports/{report_id}", r, 404)
    assert body["refusal"] == "report-unknown"
