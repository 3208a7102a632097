"""A world in which every path of the API can name a real resource, owned by someone: the
authorisation matrix (test_authorisation_matrix.py) asks each operation about these as
every kind of caller. Built once per backend through the parties' own interfaces.

Ownership: supplier A owns the hubs it supplies (its own ones are in Central, served by
CSP-C; CSP-N serves North only), its webhook endpoint, its report, its incident; supplier B
owns its endpoint and the dead letter on it. Supplier E is a spare whose keys and status the
matrix may change without touching anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.parties import CspRegion, PartyKind, SupplierRole
from chfw_api.duis.keys import generate_signing_identity
from chfw_api.services import estate_status
from chfw_api.services import parties as party_service
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import NEW_VERSION as NEW
from tests.integration.campaign_fixtures import RELEASE, pilot_window
from tests.integration.conftest import DCC_ID, SUPPLIER_A, SUPPLIER_B, csv_body, hub_line

SUPPLIER_E = "90-B3-D5-1F-30-05-00-00"
HOOK_URL = "http://127.0.0.1:9/hook"
MODELS = ("KC-200", "KC-300", "KC-400")


@dataclass
class World:
    client: TestClient
    container: Container
    keys: dict[str, dict[str, str]]  # party code -> Authorization header
    release_ids: dict[str, int]  # model -> release id
    pilot: str  # Notified, pilot planned
    launch: str  # SafeLaunching, results posted, a slice pause lifted
    revoked: str
    hubs: dict[str, list[str]]  # campaign -> A's hubs in Central (CSP-C's)
    incident: str  # raised by A, decided
    pause: int  # lifted
    endpoints: dict[str, int]  # owner code -> endpoint id
    dead_letter: int  # B's, on its endpoint, disabled since
    report: str  # A's, ready
    b_certificate: str


def _ok(r: Any, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201, 204)), r.text
    return r.json() if r.headers.get("content-type", "").startswith("application/json") else r


def _sr(client: TestClient, key: dict[str, str], data: bytes, *ok: str) -> Any:
    _r, doc = sr.post(client, key, data)
    assert sr.code(doc) in (ok or ("I0",)), _r.text
    return doc


def build(client: TestClient, container: Container, tmp: Path) -> World:
    c = container
    both = [SupplierRole.IMPORT, SupplierRole.GAS]
    specs = [
        (PartyKind.DCC, DCC_ID, [], []),
        (PartyKind.SUPPLIER, SUPPLIER_A, both, []),
        (PartyKind.SUPPLIER, SUPPLIER_B, both, []),
        (PartyKind.SUPPLIER, SUPPLIER_E, both, []),
        (PartyKind.CSP, "CSP-N", [], [CspRegion.NORTH]),
        (PartyKind.CSP, "CSP-C", [], [CspRegion.CENTRAL, CspRegion.SOUTH]),
    ]
    keys: dict[str, dict[str, str]] = {}
    for kind, code, roles, regions in specs:
        party_service.register_party(
            c.uow(), c.clock, kind=kind, code=code, name=code, roles=roles, regions=regions
        )
        issued = party_service.issue_key(c.uow(), c.clock, party_code=code)
        keys[code] = {"Authorization": f"Bearer {issued.key}"}
    dcc, a = keys[DCC_ID], keys[SUPPLIER_A]
    _b_key, b_cert = generate_signing_identity("B", serial=7001, now=START)  # not registered
    hooks = "/api/v1/webhooks/endpoints"
    endpoints = {
        code: _ok(client.post(hooks, headers=keys[code], json={"url": HOOK_URL, "codes": ["*"]}))[
            "id"
        ]
        for code in (SUPPLIER_A, SUPPLIER_B)
    }

    hubs: dict[str, list[str]] = {}
    lines = []
    for i, model in enumerate(MODELS):
        base = 0x5000 + 0x100 * i
        hubs[model] = [guid_from_int(base + k) for k in range(6)]
        lines += [
            hub_line(g, importer=SUPPLIER_A, gas=SUPPLIER_A, model=model) for g in hubs[model]
        ]
        lines += [
            hub_line(
                guid_from_int(base + 0x10 + k), importer=SUPPLIER_B, region="South", model=model
            )
            for k in range(3)
        ]
        lines += [
            hub_line(guid_from_int(base + 0x20 + k), importer=SUPPLIER_A, gas=SUPPLIER_B,
                     region="North", model=model)
            for k in range(3)
        ]  # fmt: skip
    _ok(client.post("/api/v1/inventory/imports", headers={**dcc, "Content-Type": "text/csv"},
                    content=csv_body(*lines)))  # fmt: skip
    release_ids = {
        m: _ok(client.post("/api/v1/releases", headers=dcc, json={**RELEASE, "model": m}))["id"]
        for m in MODELS
    }

    def campaign(model: str, **body: Any) -> str:
        made = _ok(client.post("/api/v1/campaigns", headers=dcc, json={
            "release_id": release_ids[model], "reason": "CPL entry approved", **body}))  # fmt: skip
        return str(made["campaign_id"])

    pilot = campaign("KC-200", with_pilot=True, **pilot_window(days_from_start=60, length_days=60))
    launch = campaign("KC-300")
    _ok(client.post(f"/api/v1/campaigns/{launch}/safe-launch/start", headers=dcc,
                    json={"reason": "go"}))  # fmt: skip
    instruct = sr.instruction(launch, START + timedelta(days=40))
    _sr(client, a, sr.envelope(SUPPLIER_A, "11.7", instruct), "I0", "W110701")
    rules = [{"stage": "SafeLaunch", "dimension": "region", "max_failure_rate": 0.1,
              "min_sample": 1}]  # fmt: skip
    _ok(client.put(f"/api/v1/campaigns/{launch}/guardrails", headers=dcc,
                   json={"rules": rules, "reason": "tight"}))  # fmt: skip
    c.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    at = (START + timedelta(hours=1)).isoformat()
    results = [
        {"guid": hubs["KC-300"][0], "outcome": "activated", "at": at, "firmware_version": NEW},
        {
            "guid": hubs["KC-300"][1],
            "outcome": "failed",
            "at": at,
            "reason_code": "Timeout",
            "reason": "no answer",
        },
    ]
    for one in results:  # one at a time: the failure trips the guardrail on its own
        _ok(client.post(f"/api/v1/csp/campaigns/{launch}/activation-results",
                        headers=keys["CSP-C"], json={"results": [one]}))  # fmt: skip
    pause = _ok(client.get(f"/api/v1/campaigns/{launch}/slice-pauses", headers=dcc))[0]["id"]
    _ok(client.post(f"/api/v1/slice-pauses/{pause}/lift", headers=dcc, json={"reason": "ok"}))
    revoked = campaign("KC-400")
    _ok(client.post(f"/api/v1/campaigns/{revoked}/revoke", headers=dcc, json={"reason": "x"}))

    raise_incident = sr.incident(launch, hubs["KC-300"][:1])
    _sr(client, a, sr.envelope(SUPPLIER_A, "11.10", raise_incident))
    incident = _ok(client.get("/api/v1/incidents", headers=a))[0]["incident_id"]
    _ok(client.post(f"/api/v1/incidents/{incident}/triage", headers=dcc,
                    json={"decision": "proceed", "reason": "known issue"}))  # fmt: skip

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(estate_status, "SYNC_LIMIT", 1)
        doc = _sr(client, a, sr.envelope(SUPPLIER_A, "11.8", sr.status()), "I99")
    report = str(doc.findtext(".//sr:ReportID", namespaces=sr.NS))
    assert estate_status.produce_reports(c.uow, c.clock, directory=c.settings.reports_dir) == 1

    with c.engine.begin() as conn:
        dead_letter = int(
            conn.execute(
                text("SELECT min(id) FROM deliveries WHERE endpoint_id = :e"),
                {"e": endpoints[SUPPLIER_B]},
            ).scalar_one()
        )
        conn.execute(
            text("UPDATE deliveries SET state = 'dead', attempts = 10, dead_at = :t, "
                 "last_status = 500, last_error = 'gave up' WHERE id = :i"),
            {"t": c.clock.now(), "i": dead_letter},
        )  # fmt: skip
    _ok(client.patch(f"{hooks}/{endpoints[SUPPLIER_B]}", headers=dcc, json={"enabled": False}))
    return World(
        client=client,
        container=c,
        keys=keys,
        release_ids=release_ids,
        pilot=pilot,
        launch=launch,
        revoked=revoked,
        hubs={pilot: hubs["KC-200"], launch: hubs["KC-300"], revoked: hubs["KC-400"]},
        incident=incident,
        pause=pause,
        endpoints=endpoints,
        dead_letter=dead_letter,
        report=report,
        b_certificate=b_cert.decode(),
    )
