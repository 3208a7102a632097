"""Malformed CSV is bad input, never a 500: the CSP uploads (A02, A03, A08) and the inventory
import (API and CLI) refuse it with a 422 naming line and reason, and a party that may not
upload is refused before its body is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chfw_api.bootstrap import Container
from chfw_api.cli import app
from tests.integration.conftest import HEADER, Estate, csv_body, hub_line
from tests.integration.csp_fixtures import campaign

CSV = {"Content-Type": "text/csv"}
KINDS = ["default-pilot-list", "default-pilot-schedule", "safe-launch-schedule"]
LONG_FIELD = "A" * 5_000
GUID = "00-DB-12-34-56-78-90-A0"


def _upload(kind: str, campaign_id: str = "CMP-000001") -> str:
    return f"/api/v1/csp/campaigns/{campaign_id}/{kind}"


@pytest.mark.parametrize("kind", KINDS)
def test_a_bare_carriage_return_is_a_422_for_a_csp_and_a_403_for_anyone_else(
    client: TestClient, estate: Estate, kind: str
) -> None:
    # covers: X5, X2, C2
    r = client.post(_upload(kind), headers={**estate.csp_central, **CSV}, content=b"a\rb")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["location"] == "line 1"
    for other in (estate.supplier_a, estate.dcc):
        r = client.post(_upload(kind), headers={**other, **CSV}, content=b"a\rb")
        assert r.status_code == 403, r.text
        # The role was refused, not the body: the same answer for a body that parses.
        assert "csp" in r.json()["detail"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_field_over_the_limit_is_named_by_line(
    client: TestClient, estate: Estate, kind: str
) -> None:
    # covers: X5
    header = (
        "DeviceID" if kind == "default-pilot-list" else "PeriodStart,PeriodEnd,GroupLabel,DeviceID"
    )
    body = f"{header}\n{GUID}\n{LONG_FIELD}\n".encode()
    r = client.post(_upload(kind), headers={**estate.csp_central, **CSV}, content=body)
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert error["location"] == "line 3"
    assert "longer than" in error["reason"] and error["code"] == "malformed-csv"


def test_an_upload_with_carriage_return_line_ends_is_read_as_lines(
    client: TestClient, estate: Estate
) -> None:
    # covers: A02, X5
    s = campaign(client, estate)
    body = ("DeviceID\r" + "\r".join(s.hubs.a_only[:2]) + "\r").encode()
    r = client.post(
        _upload("default-pilot-list", s.campaign_id),
        headers={**estate.csp_central, **CSV},
        content=body,
    )
    assert r.status_code == 200, r.text
    assert r.json()["hubs"] == 2


@pytest.mark.parametrize(
    ("body", "location", "reason"),
    [
        (csv_body(hub_line(GUID), LONG_FIELD), "line 3", "longer than"),
        (csv_body(hub_line(GUID)) + b"\xff\xfe,x\n", "after line", "not UTF-8"),
    ],
    ids=["long-field", "not-utf8"],
)
def test_inventory_import_refuses_malformed_csv_by_line_and_imports_nothing(
    client: TestClient, estate: Estate, body: bytes, location: str, reason: str
) -> None:
    # covers: X5
    r = client.post("/api/v1/inventory/imports", headers={**estate.dcc, **CSV}, content=body)
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert error["location"].startswith(location) and reason in error["reason"]
    assert client.get(f"/api/v1/hubs/{GUID}", headers=estate.dcc).status_code == 404


def test_inventory_import_of_a_bare_carriage_return_is_a_422(
    client: TestClient, estate: Estate
) -> None:
    # covers: X5
    r = client.post("/api/v1/inventory/imports", headers={**estate.dcc, **CSV}, content=b"a\rb")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["location"] == "line 1"


@pytest.mark.parametrize(
    "content",
    [
        (HEADER + "\n" + hub_line(GUID) + "\n" + LONG_FIELD + "\n").encode(),
        (HEADER + "\n" + hub_line(GUID) + "\n").encode() + b"\xff\xfe\n",
    ],
    ids=["long-field", "not-utf8"],
)
def test_cli_import_of_malformed_csv_exits_1_with_one_line_naming_where(
    tmp_path: Path, database_url: str, container: Container, estate: Estate, content: bytes
) -> None:
    # covers: X5
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    r = CliRunner().invoke(app, ["inventory", "import", str(bad), "--database-url", database_url])
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "line" in r.output and "Traceback" not in r.output
    with container.uow() as uow:
        assert uow.hubs.count() == 0
