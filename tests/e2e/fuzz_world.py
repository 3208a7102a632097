"""A small, real world for whole-API tests: parties with keys, hubs, a release, a campaign,
a webhook endpoint, served by uvicorn on a free local port.

Schemathesis runs as a separate process against it (tests/e2e/test_openapi_fuzz_full.py), so
every request goes over real HTTP through the whole middleware stack, exactly as served.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient

from chfw_api.api.app import create_app
from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.parties import CspRegion, PartyKind, SupplierRole
from chfw_api.persistence.migrations import upgrade
from chfw_api.services import parties as party_service

DCC_ID = "90-B3-D5-1F-30-00-00-02"
SUPPLIER_A = "90-B3-D5-1F-30-01-00-00"
SUPPLIER_B = "90-B3-D5-1F-30-02-00-00"
CSP_NORTH = "CSP-N"
CSP_CENTRAL = "CSP-C"
HEADER = (
    "DeviceID,DeviceManufacturer,DeviceModel,DeviceFirmwareVersion,DeviceStatus,CSPRegion,"
    "ImportSupplier,GasSupplier,ProductionProving,FriendlyCustomer,PilotExcluded"
)
RELEASE = {
    "manufacturer": "Kelvin Cellular",
    "model": "KC-200",
    "version": "0100A300",
    "image_hash": "ab" * 32,
    "release_note_ref": "https://dcc.example/notes/KC-200/0100A300",
    "severity": "High",
    "priority": "Normal",
    "release_type": "PlannedMaintenance",
    "operational_or_security": False,
}


@dataclass
class World:
    """Keys by role, and the resources that exist (what a path may name)."""

    container: Container
    keys: dict[str, str]
    codes: dict[str, str]
    hub_a: str  # Supplier A's, in the North (CSP-N's region)
    hub_b: str  # Supplier B's, in the South (CSP-C's region)
    release_id: int
    campaign_id: str
    endpoint_a: int  # Supplier A's webhook endpoint
    key_ids: dict[str, int]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"} if who in self.keys else {}


def _register(c: Container) -> dict[str, str]:
    both = [SupplierRole.IMPORT, SupplierRole.GAS]
    specs = [
        ("dcc", PartyKind.DCC, DCC_ID, [], []),
        ("supplier_a", PartyKind.SUPPLIER, SUPPLIER_A, both, []),
        ("supplier_b", PartyKind.SUPPLIER, SUPPLIER_B, both, []),
        ("csp_in", PartyKind.CSP, CSP_NORTH, [], [CspRegion.NORTH]),
        ("csp_out", PartyKind.CSP, CSP_CENTRAL, [], [CspRegion.CENTRAL, CspRegion.SOUTH]),
    ]
    codes = {}
    for who, kind, code, roles, regions in specs:
        party_service.register_party(
            c.uow(), c.clock, kind=kind, code=code, name=who, roles=roles, regions=regions
        )
        codes[who] = code
    return codes


def build_world(work: Path, database_url: str | None = None) -> World:
    """Parties, hubs, a release and a campaign in a fresh database under `work`."""
    container = build(
        Settings(
            database_url=database_url or f"sqlite:///{work / 'world.db'}",
            gateway_root=work / "gateway",
            reports_dir=work / "reports",
            max_body_bytes=256 * 1024,
            webhook_allowed_networks=["127.0.0.0/8"],
        )
    )
    upgrade(container.engine)
    codes = _register(container)
    keys: dict[str, str] = {}
    key_ids: dict[str, int] = {}
    for who, code in codes.items():
        issued = party_service.issue_key(container.uow(), container.clock, party_code=code)
        keys[who] = issued.key
        key_ids[who] = issued.id
    hub_a, hub_b = guid_from_int(0x1000), guid_from_int(0x2000)
    lines = [HEADER]
    for i in range(6):
        g = guid_from_int(0x1000 + i)
        lines.append(f"{g},Kelvin Cellular,KC-200,0100A2F3,Commissioned,North,{SUPPLIER_A},,0,0,0")
    for i in range(6):
        g = guid_from_int(0x2000 + i)
        lines.append(f"{g},Kelvin Cellular,KC-200,0100A2F3,Commissioned,South,{SUPPLIER_B},,0,0,0")
    dcc = {"Authorization": f"Bearer {keys['dcc']}"}
    with TestClient(create_app(container)) as client:
        r = client.post(
            "/api/v1/inventory/imports",
            headers={**dcc, "Content-Type": "text/csv"},
            content=("\n".join(lines) + "\n").encode(),
        )
        assert r.status_code == 200, r.text
        r = client.post("/api/v1/releases", headers=dcc, json=RELEASE)
        assert r.status_code == 201, r.text
        release_id = int(r.json()["id"])
        r = client.post(
            "/api/v1/campaigns",
            headers=dcc,
            json={"release_id": release_id, "reason": "CPL entry approved"},
        )
        assert r.status_code == 201, r.text
        campaign_id = r.json()["campaign_id"]
        r = client.post(
            "/api/v1/webhooks/endpoints",
            headers={"Authorization": f"Bearer {keys['supplier_a']}"},
            json={"url": "http://127.0.0.1:9/alerts", "codes": ["*"]},
        )
        assert r.status_code == 201, r.text
        endpoint_a = int(r.json()["id"])
    return World(container, keys, codes, hub_a, hub_b, release_id, campaign_id, endpoint_a, key_ids)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(world: World) -> Iterator[str]:
    """The app over real HTTP on 127.0.0.1; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(world.container), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
