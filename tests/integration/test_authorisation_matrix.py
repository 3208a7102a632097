"""The authorisation matrix, read from the OpenAPI document: every operation, as every kind of
caller, answers what the document's `x-chfw-access` says (api/access.py).

Callers: no key; DCC; the supplier that owns the resource the request names; another supplier;
the CSP whose region the resource is in; a CSP of other regions. Requests name real resources
of a world with state in every table (tests/integration/authz_world.py) and are well formed,
so what decides the answer is who asks:

- no key: 401;
- a kind of party the operation does not list: 403;
- listed `own` / `region`, but the resource is another supplier's / in another region: 404
  (another party's resource is not even visible);
- otherwise admitted: a success, or 409 when the resource's state does not allow the request
  (the world uses resources whose state makes writes harmless where it can).
Each answer must also be a status the document lists for that operation.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from chfw_api.api.app import create_app
from chfw_api.bootstrap import Container, build
from chfw_api.config import PROJECT_ROOT, Settings
from chfw_api.domain.clock import FakeClock
from chfw_api.persistence.database import make_engine
from chfw_api.persistence.migrations import upgrade
from tests.conftest import BACKENDS, START, _create_pg_database
from tests.integration import authz_world
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import RELEASE
from tests.integration.conftest import DCC_ID, SUPPLIER_A, SUPPLIER_B, csv_body, hub_line

SPEC = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
METHODS = ("get", "put", "post", "delete", "patch")
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in SPEC["paths"].items()
    for method in item
    if method in METHODS
)
CALLERS = ("no key", "dcc", "owner", "other supplier", "csp in region", "csp out of region")
KIND = {
    "dcc": "dcc",
    "owner": "supplier",
    "other supplier": "supplier",
    "csp in region": "csp",
    "csp out of region": "csp",
}
SUPPLIER_E = authz_world.SUPPLIER_E
_unique = itertools.count(1)


@dataclass
class Request:
    """One request, and who owns what it names (the owner and the region's CSP)."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    media: str | None = None
    owner: str = SUPPLIER_A
    region_csp: str = "CSP-C"  # A's own hubs are in Central (CSP-C); CSP-N serves North only
    owned: bool = False  # names a resource of `owner`'s (hubs: of `region_csp`'s network)


Build = Callable[["authz_world.World", str], Request]


def _csv(guids: list[str]) -> bytes:
    return ("DeviceID\n" + "\n".join(guids) + "\n").encode()


def _schedule_csv(w: authz_world.World, guids: list[str]) -> bytes:
    start = (START + timedelta(days=65)).isoformat()
    end = (START + timedelta(days=66)).isoformat()
    rows = "".join(f"{start},{end},wave 1,{g}\n" for g in guids)
    return ("PeriodStart,PeriodEnd,GroupLabel,DeviceID\n" + rows).encode()


def _fresh_contact(w: authz_world.World) -> int:
    r = w.client.post(
        f"/api/v1/parties/{SUPPLIER_A}/email-contacts",
        headers=w.keys[DCC_ID],
        json={"address": f"contact{next(_unique)}@alpha.example"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _fresh_key(w: authz_world.World) -> int:
    r = w.client.post(f"/api/v1/parties/{SUPPLIER_E}/keys", headers=w.keys[DCC_ID], json={})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _fresh_endpoint(w: authz_world.World) -> int:
    body = {"url": authz_world.HOOK_URL, "codes": ["*"]}
    r = w.client.post("/api/v1/webhooks/endpoints", headers=w.keys[SUPPLIER_A], json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _dashboard_sr(caller: str) -> bytes:
    """SR 11.9 sent in the caller's own name (the originator must be the key's party)."""
    originator = {"dcc": DCC_ID, "other supplier": SUPPLIER_B}.get(caller, SUPPLIER_A)
    return sr.envelope(originator, "11.9", sr.dashboard())


REASON = {"reason": "matrix"}
# "METHOD path" -> how to build the request for a caller (one of CALLERS).
REQUESTS: dict[str, Build] = {
    "GET /api/v1/campaigns": lambda w, c: Request(),
    "POST /api/v1/campaigns": lambda w, c: Request(
        json={"release_id": w.release_ids["KC-400"], **REASON}
    ),
    "GET /api/v1/campaigns/{campaign_id}": lambda w, c: Request({"campaign_id": w.launch}),
    "PUT /api/v1/campaigns/{campaign_id}/automatic-date": lambda w, c: Request(
        {"campaign_id": w.revoked},
        json={"automatic_deployment_date": (START + timedelta(days=300)).isoformat(), **REASON},
    ),
    "POST /api/v1/campaigns/{campaign_id}/close": lambda w, c: Request(
        {"campaign_id": w.pilot}, json=REASON
    ),
    "GET /api/v1/campaigns/{campaign_id}/decisions": lambda w, c: Request(
        {"campaign_id": w.launch}
    ),
    "POST /api/v1/campaigns/{campaign_id}/decisions": lambda w, c: Request(
        {"campaign_id": w.revoked}, json={"decision": "proceed", **REASON}
    ),
    "GET /api/v1/campaigns/{campaign_id}/eligible-hubs": lambda w, c: Request(
        {"campaign_id": w.launch}
    ),
    "GET /api/v1/campaigns/{campaign_id}/guardrails": lambda w, c: Request(
        {"campaign_id": w.launch}
    ),
    "PUT /api/v1/campaigns/{campaign_id}/guardrails": lambda w, c: Request(
        {"campaign_id": w.revoked}, json={"rules": [], **REASON}
    ),
    "GET /api/v1/campaigns/{campaign_id}/pilot-monitoring": lambda w, c: Request(
        {"campaign_id": w.pilot}
    ),
    "POST /api/v1/campaigns/{campaign_id}/pilot/fail": lambda w, c: Request(
        {"campaign_id": w.launch}, json=REASON
    ),
    "POST /api/v1/campaigns/{campaign_id}/pilot/schedule": lambda w, c: Request(
        {"campaign_id": w.launch},
        json={
            "start": (START + timedelta(days=10)).isoformat(),
            "end": (START + timedelta(days=20)).isoformat(),
            **REASON,
        },
    ),
    "POST /api/v1/campaigns/{campaign_id}/pilot/start": lambda w, c: Request(
        {"campaign_id": w.launch}, json=REASON
    ),
    "POST /api/v1/campaigns/{campaign_id}/pilot/succeed": lambda w, c: Request(
        {"campaign_id": w.launch}, json=REASON
    ),
    "POST /api/v1/campaigns/{campaign_id}/revoke": lambda w, c: Request(
        {"campaign_id": w.revoked}, json=REASON
    ),
    "POST /api/v1/campaigns/{campaign_id}/safe-launch/complete": lambda w, c: Request(
        {"campaign_id": w.pilot}, json={"succeeded": True, **REASON}
    ),
    "POST /api/v1/campaigns/{campaign_id}/safe-launch/start": lambda w, c: Request(
        {"campaign_id": w.launch}, json=REASON
    ),
    "GET /api/v1/campaigns/{campaign_id}/slice-pauses": lambda w, c: Request(
        {"campaign_id": w.launch}
    ),
    "POST /api/v1/csp/campaigns/{campaign_id}/activation-results": lambda w, c: Request(
        {"campaign_id": w.launch},
        json={
            "results": [
                {
                    "guid": w.hubs[w.launch][2],
                    "outcome": "distributed",
                    "at": (START + timedelta(hours=1)).isoformat(),
                }
            ]
        },
        owned=True,
    ),
    "POST /api/v1/csp/campaigns/{campaign_id}/default-pilot-list": lambda w, c: Request(
        {"campaign_id": w.pilot},
        content=_csv(w.hubs[w.pilot][3:5]),
        media="text/csv",
        owned=True,
    ),
    "POST /api/v1/csp/campaigns/{campaign_id}/default-pilot-schedule": lambda w, c: Request(
        {"campaign_id": w.pilot},
        content=_schedule_csv(w, w.hubs[w.pilot][3:5]),
        media="text/csv",
        owned=True,
    ),
    "POST /api/v1/csp/campaigns/{campaign_id}/safe-launch-schedule": lambda w, c: Request(
        {"campaign_id": w.launch},
        content=_schedule_csv(w, w.hubs[w.launch][3:5]),
        media="text/csv",
        owned=True,
    ),
    "GET /api/v1/csp/campaigns/{campaign_id}/uploads": lambda w, c: Request(
        {"campaign_id": w.pilot}
    ),
    "GET /api/v1/feed": lambda w, c: Request(),
    "POST /api/v1/feed/ack": lambda w, c: Request(json={"cursor": "0"}),
    "GET /api/v1/hubs": lambda w, c: Request(),
    "GET /api/v1/hubs/{guid}": lambda w, c: Request({"guid": w.hubs[w.launch][0]}, owned=True),
    "GET /api/v1/incidents": lambda w, c: Request(),
    "POST /api/v1/incidents/{incident_id}/triage": lambda w, c: Request(
        {"incident_id": w.incident}, json={"decision": "proceed", **REASON}
    ),
    "POST /api/v1/inventory/imports": lambda w, c: Request(
        content=csv_body(hub_line(w.hubs[w.launch][5], gas=SUPPLIER_A, model="KC-300")),
        media="text/csv",
    ),
    "DELETE /api/v1/keys/{key_id}": lambda w, c: Request(
        {"key_id": _fresh_key(w)}, json=REASON, owner=SUPPLIER_E
    ),
    "GET /api/v1/parties": lambda w, c: Request(),
    "POST /api/v1/parties": lambda w, c: Request(
        json={
            "kind": "supplier",
            "code": f"90-B3-D5-1F-30-7E-00-{next(_unique):02X}",
            "name": "New",
            "roles": ["IS"],
        }
    ),
    "GET /api/v1/parties/{code}": lambda w, c: Request({"code": SUPPLIER_A}),
    "GET /api/v1/email/dead-letters": lambda w, c: Request(),
    "POST /api/v1/email/dead-letters/replay": lambda w, c: Request(json={"ids": [1]}),
    "GET /api/v1/parties/{code}/email-contacts": lambda w, c: Request(
        {"code": SUPPLIER_A}, owned=True
    ),
    "POST /api/v1/parties/{code}/email-contacts": lambda w, c: Request(
        {"code": SUPPLIER_A}, json={"address": f"matrix{next(_unique)}@alpha.example"}
    ),
    "DELETE /api/v1/parties/{code}/email-contacts/{contact_id}": lambda w, c: Request(
        {"code": SUPPLIER_A, "contact_id": _fresh_contact(w)}
    ),
    "PATCH /api/v1/parties/{code}/email-contacts/{contact_id}": lambda w, c: Request(
        {"code": SUPPLIER_A, "contact_id": _fresh_contact(w)}, json={"notices": ["N70"]}
    ),
    "PUT /api/v1/parties/{code}/certificate": lambda w, c: Request(
        {"code": SUPPLIER_B},
        json={"certificate_pem": w.b_certificate},
        owner=SUPPLIER_B,
    ),
    "GET /api/v1/parties/{code}/keys": lambda w, c: Request({"code": SUPPLIER_A}),
    "POST /api/v1/parties/{code}/keys": lambda w, c: Request({"code": SUPPLIER_E}, json={}),
    "PUT /api/v1/parties/{code}/status": lambda w, c: Request(
        {"code": SUPPLIER_E}, json={"status": "active", **REASON}, owner=SUPPLIER_E
    ),
    "GET /api/v1/releases": lambda w, c: Request(),
    "POST /api/v1/releases": lambda w, c: Request(
        json={**RELEASE, "model": f"KC-9{next(_unique):02d}"}
    ),
    "GET /api/v1/releases/{release_id}": lambda w, c: Request(
        {"release_id": w.release_ids["KC-200"]}
    ),
    "GET /api/v1/reports/{report_id}": lambda w, c: Request({"report_id": w.report}, owned=True),
    "POST /api/v1/serviceD": lambda w, c: Request(
        content=_dashboard_sr(c), media="application/xml"
    ),
    "POST /api/v1/slice-pauses/{pause_id}/lift": lambda w, c: Request(
        {"pause_id": w.pause}, json=REASON
    ),
    "GET /api/v1/webhooks/dead-letters": lambda w, c: Request(),
    "POST /api/v1/webhooks/dead-letters/replay": lambda w, c: Request(
        json={
            "since": START.isoformat(),
            "until": (START + timedelta(days=1)).isoformat(),
        }
    ),
    "POST /api/v1/webhooks/dead-letters/{delivery_id}/replay": lambda w, c: Request(
        {"delivery_id": w.dead_letter}, owner=SUPPLIER_B, owned=True
    ),
    "GET /api/v1/webhooks/endpoints": lambda w, c: Request(),
    "POST /api/v1/webhooks/endpoints": lambda w, c: Request(
        json={"url": authz_world.HOOK_URL, "codes": ["N70"]}
        | ({"party": SUPPLIER_A} if c == "dcc" else {})
    ),
    "DELETE /api/v1/webhooks/endpoints/{endpoint_id}": lambda w, c: Request(
        {"endpoint_id": _fresh_endpoint(w)}, owned=True
    ),
    "GET /api/v1/webhooks/endpoints/{endpoint_id}": lambda w, c: Request(
        {"endpoint_id": w.endpoints[SUPPLIER_A]}, owned=True
    ),
    "PATCH /api/v1/webhooks/endpoints/{endpoint_id}": lambda w, c: Request(
        {"endpoint_id": w.endpoints[SUPPLIER_A]}, json={"description": "matrix"}, owned=True
    ),
    "POST /api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret": lambda w, c: Request(
        {"endpoint_id": w.endpoints[SUPPLIER_A]}, json={"overlap_seconds": 60}, owned=True
    ),
    "GET /api/v1/webhooks/stats": lambda w, c: Request(),
    "GET /healthz": lambda w, c: Request(),
    "GET /metrics": lambda w, c: Request(),
    "GET /readyz": lambda w, c: Request(),
}


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[authz_world.World]:
    """The world, in a database of this module's own, built once per backend."""
    tmp = tmp_path_factory.mktemp("matrix")
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'chfw.db'}"
    else:
        url, admin = _create_pg_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    container: Container = build(
        Settings(
            database_url=url,
            max_body_bytes=64 * 1024,
            gateway_root=tmp / "gateway",
            reports_dir=tmp / "reports",
            webhook_allowed_networks=["127.0.0.0/8"],
            pilot_max_size=8,
            # The world's clock runs hours ahead of undelivered alerts: readiness is about
            # who may call /readyz here, not the outbox lag (test_observability.py).
            ready_max_outbox_lag_seconds=None,
        ),
        clock=FakeClock(START),
    )
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            yield authz_world.build(client, container, tmp)
    finally:
        container.dispose()
        if admin is not None:
            with admin.connect() as conn:
                name = make_url(url).database
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_every_operation_has_a_request_here() -> None:
    assert sorted(REQUESTS) == sorted(f"{m} {p}" for m, p in OPERATIONS)


def _caller_code(caller: str, req: Request) -> str:
    other = SUPPLIER_B if req.owner != SUPPLIER_B else SUPPLIER_A
    return {
        "no key": "",
        "dcc": DCC_ID,
        "owner": req.owner,
        "other supplier": other,
        "csp in region": req.region_csp,
        "csp out of region": "CSP-N" if req.region_csp == "CSP-C" else "CSP-C",
    }[caller]


def expected(op: dict[str, Any], caller: str, req: Request) -> str:
    """`admitted`, or the refusal the document promises this caller."""
    if not op.get("security"):
        return "admitted"
    if caller == "no key":
        return "401"
    scope = op["x-chfw-access"].get(KIND[caller])
    if scope is None:
        return "403"
    outside = (scope, caller) in (("own", "other supplier"), ("region", "csp out of region"))
    if outside and req.owned:
        return outcome(op.get("x-chfw-access-outside", 404))
    return "admitted"


def outcome(status: int) -> str:
    return "admitted" if 200 <= status < 300 or status == 409 else str(status)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_each_caller_gets_the_documented_outcome(
    world: authz_world.World, method: str, path: str, caller: str
) -> None:
    # covers: X2
    op = SPEC["paths"][path][method.lower()]
    req = REQUESTS[f"{method} {path}"](world, caller)
    code = _caller_code(caller, req)
    headers = dict(world.keys[code]) if code else {}
    if req.media:
        headers["Content-Type"] = req.media
    r = world.client.request(
        method,
        path.format(**req.path),
        headers=headers,
        params=req.query,
        json=req.json if req.content is None else None,
        content=req.content,
    )
    assert str(r.status_code) in op["responses"], (r.status_code, "undocumented", r.text[:300])
    want = expected(op, caller, req)
    assert outcome(r.status_code) == want, (code, r.status_code, r.text[:300])
