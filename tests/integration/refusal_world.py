"""A service with real state in every table a request can touch, for the refusal harness:
campaigns in several stages (pilot with lists, schedules and instructions; safe launch with
deployed hubs, incidents and slice pauses; revoked; paused; one whose automatic date is too
near to instruct), webhook endpoints with dead letters, a pull-feed cursor, reports on disk and
gateway files. Built once per backend through the same HTTP interfaces the parties use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.duis.keys import generate_signing_identity
from chfw_api.gateway.writer import write_pending_files
from chfw_api.services import estate_status
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import NEW_VERSION, RELEASE, pilot_window
from tests.integration.conftest import (
    DCC_ID,
    SUPPLIER_A,
    SUPPLIER_B,
    SUPPLIER_ELEC,
    csv_body,
    hub_line,
)

SUPPLIER_D = "90-B3-D5-1F-30-04-00-00"  # suspended
SUPPLIER_E = "90-B3-D5-1F-30-05-00-00"  # active, no hubs anywhere
HOOK_URL = "http://127.0.0.1:9/hook"
UNKNOWN_GUID = "00-00-00-00-00-00-00-01"


@dataclass
class Campaign:
    """One campaign of the world and its hubs by kind (GUIDs)."""

    campaign_id: str
    a_only: list[str]
    split_ab: list[str] = field(default_factory=list)
    b_only: list[str] = field(default_factory=list)


@dataclass
class World:
    client: TestClient
    container: Container
    keys: dict[str, dict[str, str]]  # party code -> Authorization header
    key_ids: dict[str, int]  # party code -> id of its live key
    release_ids: dict[str, int]  # model -> release id
    pilot: Campaign  # Notified, pilot planned: preferred lists, schedules, pilot instructions
    launch: Campaign  # SafeLaunching, hubs activated and failed, incidents, slice pauses
    revoked: Campaign
    paused: Campaign
    near: Campaign  # automatic date less than a month away
    pending_incident: str
    decided_incident: str
    endpoints: dict[str, int]  # owner code -> endpoint id
    contact: int  # an email contact of supplier A
    disabled_endpoint: int
    dead_letter: int  # A's, on an enabled endpoint
    dead_letter_disabled: int  # B's, on its disabled endpoint
    active_pause: int
    lifted_pause: int
    ready_report: str
    pending_report: str
    b_signing_key: Any
    b_certificate: bytes
    folders: dict[str, Path]

    def counter(self, originator: str) -> int:
        with self.container.engine.connect() as conn:
            last = conn.execute(
                text("SELECT last_counter FROM request_counters WHERE originator = :o"),
                {"o": originator},
            ).scalar_one_or_none()
        return int(last or 0)


def _ok(r: Any, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201, 204)), r.text
    return r.json() if r.content and r.headers["content-type"].startswith("application/") else r


def _sr(client: TestClient, key: dict[str, str], data: bytes, *ok: str) -> Any:
    _r, doc = sr.post(client, key, data)
    assert sr.code(doc) in (ok or ("I0",)), _r.text
    return doc


def _hubs(start: int, n: int) -> list[str]:
    return [guid_from_int(i) for i in range(start, start + n)]


def build(client: TestClient, container: Container, tmp: Path) -> World:
    from chfw_api.domain.parties import CspRegion, PartyKind, SupplierRole
    from chfw_api.services import parties as party_service

    c = container
    both = [SupplierRole.IMPORT, SupplierRole.GAS]
    specs = [
        (PartyKind.DCC, DCC_ID, "DCC", [], []),
        (PartyKind.SUPPLIER, SUPPLIER_A, "Alpha Energy", both, []),
        (PartyKind.SUPPLIER, SUPPLIER_B, "Beta Gas & Power", both, []),
        (PartyKind.SUPPLIER, SUPPLIER_ELEC, "Volt Only", [SupplierRole.IMPORT], []),
        (PartyKind.SUPPLIER, SUPPLIER_D, "Dormant Power", both, []),
        (PartyKind.SUPPLIER, SUPPLIER_E, "Empty Energy", both, []),
        (PartyKind.CSP, "CSP-N", "North CSP", [], [CspRegion.NORTH]),
        (PartyKind.CSP, "CSP-C", "Central CSP", [], [CspRegion.CENTRAL, CspRegion.SOUTH]),
    ]
    for kind, code, name, roles, regions in specs:
        party_service.register_party(
            c.uow(), c.clock, kind=kind, code=code, name=name, roles=roles, regions=regions
        )
    keys: dict[str, dict[str, str]] = {}
    key_ids: dict[str, int] = {}
    for _kind, code, *_ in specs:
        issued = party_service.issue_key(c.uow(), c.clock, party_code=code)
        keys[code], key_ids[code] = {"Authorization": f"Bearer {issued.key}"}, issued.id
    dcc, a = keys[DCC_ID], keys[SUPPLIER_A]

    # A second key of A's, revoked; D suspended; B must sign its requests.
    spare = _ok(client.post(f"/api/v1/parties/{SUPPLIER_A}/keys", headers=dcc, json={}))
    _ok(client.request("DELETE", f"/api/v1/keys/{spare['id']}", headers=dcc,
                       json={"reason": "rotated"}))  # fmt: skip
    _ok(client.put(f"/api/v1/parties/{SUPPLIER_D}/status", headers=dcc,
                   json={"status": "suspended", "reason": "contract ended"}))  # fmt: skip
    b_key, b_cert = generate_signing_identity("B", serial=7001, now=START)
    _ok(client.put(f"/api/v1/parties/{SUPPLIER_B}/certificate", headers=dcc,
                   json={"certificate_pem": b_cert.decode()}))  # fmt: skip

    # Webhook endpoints before any alert, so alerts fan out into deliveries.
    hooks = "/api/v1/webhooks/endpoints"
    endpoints = {
        code: _ok(client.post(hooks, headers=keys[code], json={"url": HOOK_URL, "codes": ["*"]}))[
            "id"
        ]
        for code in (SUPPLIER_A, SUPPLIER_B)
    }
    disabled = _ok(client.post(hooks, headers=dcc, json={"url": HOOK_URL, "codes": ["*"],
                                                         "party": SUPPLIER_B}))["id"]  # fmt: skip
    contact = _ok(client.post(f"/api/v1/parties/{SUPPLIER_A}/email-contacts", headers=dcc,
                              json={"address": "firmware@alpha.example"}))["id"]  # fmt: skip

    # The estate: one model per campaign, so no campaign supersedes another.
    n = iter(range(3000, 4000, 20))
    models = ["KC-200", "KC-300", "KC-400", "KC-500", "KC-600"]
    groups: dict[str, Campaign] = {}
    lines: list[str] = []
    for model in models:
        base = next(n)
        cam = Campaign("", _hubs(base, 6), _hubs(base + 6, 3), _hubs(base + 9, 3))
        groups[model] = cam
        lines += [hub_line(g, importer=SUPPLIER_A, gas=SUPPLIER_A, model=model) for g in cam.a_only]
        lines += [hub_line(g, importer=SUPPLIER_A, gas=SUPPLIER_B, region="North", model=model)
                  for g in cam.split_ab]  # fmt: skip
        lines += [hub_line(g, importer=SUPPLIER_B, region="South", model=model) for g in cam.b_only]
    extra = next(n)
    lines += [
        hub_line(guid_from_int(extra), model="KC-200", flags="0,0,1"),  # pilot-excluded
        hub_line(guid_from_int(extra + 1), firmware=NEW_VERSION, model="KC-200"),
        hub_line(guid_from_int(extra + 2), status="InstalledNotCommissioned", model="KC-200"),
        hub_line(guid_from_int(extra + 3), model="OTHER-1"),
    ]
    _ok(client.post("/api/v1/inventory/imports", headers={**dcc, "Content-Type": "text/csv"},
                    content=csv_body(*lines)))  # fmt: skip

    release_ids = {
        m: _ok(client.post("/api/v1/releases", headers=dcc, json={**RELEASE, "model": m}))["id"]
        for m in models
    }

    def campaign(model: str, **body: Any) -> Campaign:
        made = _ok(client.post("/api/v1/campaigns", headers=dcc, json={
            "release_id": release_ids[model], "reason": "CPL entry approved", **body}))  # fmt: skip
        groups[model].campaign_id = made["campaign_id"]
        return groups[model]

    def command(cam: Campaign, path: str, **body: Any) -> None:
        _ok(client.post(f"/api/v1/campaigns/{cam.campaign_id}/{path}", headers=dcc,
                        json={"reason": "planned", **body}))  # fmt: skip

    # Pilot campaign: CSP default list, A's preferred list and schedule, A's pilot instruction.
    pilot = campaign("KC-200", with_pilot=True, **pilot_window(days_from_start=60, length_days=60))
    pid = pilot.campaign_id
    _sr(client, a, sr.envelope(SUPPLIER_A, "11.5", sr.pilot_list(pid, pilot.a_only[:3])),
        "I0", "W110501")  # fmt: skip
    p_start = START + timedelta(days=61)
    _sr(client, a, sr.envelope(SUPPLIER_A, "11.6", sr.schedule(
        pid, p_start, p_start + timedelta(days=7), pilot.a_only[:2])), "I0", "W110601")  # fmt: skip
    _sr(
        client,
        a,
        sr.envelope(
            SUPPLIER_A,
            "11.7",
            sr.instruction(pid, START + timedelta(days=70), pilot.a_only[:2], stage="Pilot"),
        ),
        "I0",
        "W110701",
    )
    csv = "DeviceID\n" + "\n".join(pilot.b_only[:2]) + "\n"
    _ok(
        client.post(
            f"/api/v1/csp/campaigns/{pid}/default-pilot-list",
            headers={**keys["CSP-C"], "Content-Type": "text/csv"},
            content=csv,
        )
    )

    # Safe-launch campaign: instructed, some hubs activated, one failure pausing a slice.
    launch = campaign("KC-300")
    lid = launch.campaign_id
    command(launch, "safe-launch/start")
    _sr(client, a, sr.envelope(SUPPLIER_A, "11.7", sr.instruction(
        lid, START + timedelta(days=40))), "I0", "W110701")  # fmt: skip
    rules = {
        "rules": [
            {"stage": "SafeLaunch", "dimension": "region", "max_failure_rate": 0.1, "min_sample": 1}
        ],
        "reason": "tight",
    }
    _ok(client.put(f"/api/v1/campaigns/{lid}/guardrails", headers=dcc, json=rules))
    c.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    at = (START + timedelta(hours=1)).isoformat()
    results = "/api/v1/csp/campaigns/{}/activation-results"

    def post_result(csp: str, guid: str, outcome: str) -> dict[str, Any]:
        extra = ({"firmware_version": NEW_VERSION} if outcome == "activated"
                 else {"reason_code": "Timeout", "reason": "no answer"})  # fmt: skip
        body = {"results": [{"guid": guid, "outcome": outcome, "at": at, **extra}]}
        return _ok(client.post(results.format(lid), headers=keys[csp], json=body))  # type: ignore[no-any-return]

    post_result("CSP-C", launch.a_only[0], "activated")
    post_result("CSP-C", launch.a_only[1], "failed")
    pauses = _ok(client.get(f"/api/v1/campaigns/{lid}/slice-pauses", headers=dcc))
    assert len(pauses) == 1, pauses
    lifted = pauses[0]["id"]
    _ok(client.post(f"/api/v1/slice-pauses/{lifted}/lift", headers=dcc, json={"reason": "ok"}))
    post_result("CSP-N", launch.split_ab[0], "failed")
    active = [p for p in _ok(client.get(f"/api/v1/campaigns/{lid}/slice-pauses", headers=dcc,
                                        params={"active": "true"}))]  # fmt: skip
    assert len(active) == 1, active

    _sr(client, a, sr.envelope(SUPPLIER_A, "11.10", sr.incident(lid, launch.a_only[:1])))
    _sr(client, a, sr.envelope(SUPPLIER_A, "11.10", sr.incident(lid)))
    incidents = sorted(i["incident_id"] for i in _ok(client.get("/api/v1/incidents", headers=dcc)))
    _ok(client.post(f"/api/v1/incidents/{incidents[1]}/triage", headers=dcc,
                    json={"decision": "proceed", "reason": "known issue"}))  # fmt: skip

    revoked = campaign("KC-400")
    command(revoked, "revoke")
    paused = campaign("KC-500")
    _ok(client.post(f"/api/v1/campaigns/{paused.campaign_id}/decisions", headers=dcc,
                    json={"decision": "pause", "reason": "investigating"}))  # fmt: skip
    near = campaign("KC-600", automatic_deployment_date=(START + timedelta(days=25)).isoformat())

    # Reports: one ready on disk, one still pending; gateway files on disk.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(estate_status, "SYNC_LIMIT", 1)
        first = _sr(client, a, sr.envelope(SUPPLIER_A, "11.8", sr.status()), "I99")
        ready = str(first.findtext(".//sr:ReportID", namespaces=sr.NS))
        assert estate_status.produce_reports(c.uow, c.clock, directory=c.settings.reports_dir) == 1
        second = _sr(client, a, sr.envelope(SUPPLIER_A, "11.8", sr.status(lid)), "I99")
        pending = str(second.findtext(".//sr:ReportID", namespaces=sr.NS))
    write_pending_files(c)

    # Dead letters: one of A's; one of B's on an endpoint since disabled. Feed acknowledged.
    with c.engine.begin() as conn:

        def dead(endpoint: int) -> int:
            found: int = conn.execute(
                text("SELECT min(id) FROM deliveries WHERE endpoint_id = :e"), {"e": endpoint}
            ).scalar_one()
            conn.execute(
                text("UPDATE deliveries SET state = 'dead', attempts = 10, dead_at = :t, "
                     "last_status = 500, last_error = 'gave up' WHERE id = :i"),
                {"t": c.clock.now(), "i": found},
            )  # fmt: skip
            return found

        dead_a, dead_b = dead(endpoints[SUPPLIER_A]), dead(disabled)
    _ok(client.patch(f"{hooks}/{disabled}", headers=dcc, json={"enabled": False}))
    feed = _ok(client.get("/api/v1/feed", headers=a, params={"limit": 2}))
    _ok(client.post("/api/v1/feed/ack", headers=a, json={"cursor": feed["next_cursor"]}))

    return World(
        client=client,
        container=c,
        keys=keys,
        key_ids=key_ids,
        release_ids=release_ids,
        pilot=pilot,
        launch=launch,
        revoked=revoked,
        paused=paused,
        near=near,
        pending_incident=incidents[0],
        decided_incident=incidents[1],
        endpoints=endpoints,
        contact=contact,
        disabled_endpoint=disabled,
        dead_letter=dead_a,
        dead_letter_disabled=dead_b,
        active_pause=active[0]["id"],
        lifted_pause=lifted,
        ready_report=ready,
        pending_report=pending,
        b_signing_key=b_key,
        b_certificate=b_cert,
        folders={"gateway": c.settings.gateway_root, "reports": c.settings.reports_dir},
    )
