"""The DCC dashboard in a real browser: uvicorn on a loopback port over a temporary SQLite
database with a small estate, loaded by Debian's headless Chromium as an operator would load it.

The screenshot is kept at var/screenshots/dashboard.png (git-ignored) for a person to look at.
Chromium is Debian's package: under CI, as root, the set-up installs it; elsewhere the test is
skipped with the reason when it is absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from chfw_api.api.app import create_app
from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.parties import CspRegion, PartyKind, SupplierRole
from chfw_api.persistence.migrations import upgrade
from chfw_api.services import incidents as incident_service
from chfw_api.services import parties as party_service
from tests.conftest import START
from tests.integration.campaign_fixtures import (
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import DCC_ID, SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC, Estate
from tests.integration.deployed_fixtures import report_distributed

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "var" / "screenshots" / "dashboard.png"
CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _chromium() -> str:
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if found:
        return found
    if os.environ.get("CI") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, timeout=900)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"], check=True, env=env, timeout=1800
        )
        return CHROMIUM
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium) and this is not a CI run as "
        "root; install it with `apt-get install -y chromium` to run the browser test"
    )


def _key(c: Container, code: str) -> str:
    return party_service.issue_key(c.uow(), c.clock, party_code=code).key


@dataclass
class Site:
    url: str
    dcc_key: str
    campaign_id: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A served app over a fresh SQLite file: parties, hubs, two campaigns and an incident."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'chfw.db'}"
    container = build(Settings(database_url=url, dashboard_key_in_url=True), clock=FakeClock(START))
    upgrade(container.engine)
    both = [SupplierRole.IMPORT, SupplierRole.GAS]
    for kind, code, name, roles, regions in (
        (PartyKind.DCC, DCC_ID, "DCC", [], []),
        (PartyKind.SUPPLIER, SUPPLIER_A, "Alpha Energy", both, []),
        (PartyKind.SUPPLIER, SUPPLIER_B, "Beta Gas & Power", both, []),
        (PartyKind.SUPPLIER, SUPPLIER_ELEC, "Volt Only", [SupplierRole.IMPORT], []),
        (PartyKind.CSP, "CSP-N", "North CSP", [], [CspRegion.NORTH]),
        (PartyKind.CSP, "CSP-C", "Central CSP", [], [CspRegion.CENTRAL, CspRegion.SOUTH]),
    ):
        party_service.register_party(
            container.uow(), container.clock, kind=kind, code=code, name=name, roles=roles,
            regions=regions,
        )  # fmt: skip
    keys = {code: _key(container, code) for code in (DCC_ID, SUPPLIER_A, "CSP-N", "CSP-C")}
    bearer = {code: {"Authorization": f"Bearer {k}"} for code, k in keys.items()}
    estate = Estate(bearer[DCC_ID], bearer[SUPPLIER_A], {}, {}, bearer["CSP-N"], bearer["CSP-C"])
    app = create_app(container)
    with TestClient(app) as client:
        hubs = load_hubs(client, estate)
        cid = create_campaign(
            client, estate, create_release(client, estate), with_pilot=True, **pilot_window()
        )["campaign_id"]
        other = create_release(client, estate, model="OTHER-1", version="0200B100")
        other_id = create_campaign(client, estate, other)["campaign_id"]
        # The incident is about firmware already out (BR6.2): the campaign without a pilot's.
        report_distributed(client, estate.csp_central, other_id, hubs.other_model[:1])
    supplier = party_service.authenticate(container.uow(read_only=True), key=keys[SUPPLIER_A])
    incident_service.raise_incident(
        container.uow(), container.clock, caller=supplier, campaign_id=other_id, severity="High",
        description="Two pilot hubs lost their HAN after activation <b>not bold</b>",
    )  # fmt: skip
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", keys[DCC_ID], cid)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        container.dispose()


def _browse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _login_url(site: Site) -> str:
    return f"{site.url}/dashboard/login?key={quote(site.dcc_key, safe='')}"


def _text(node: lxml_html.HtmlElement) -> str:
    return " ".join(node.text_content().split())


def test_an_operator_signs_in_and_sees_campaigns_and_deadlines(site: Site, tmp_path: Path) -> None:
    # covers: BR5.4, BR5.5
    dom = _browse(tmp_path, "--dump-dom", _login_url(site)).stdout
    doc = lxml_html.fromstring(dom)
    assert _text(doc.find(".//h1")) == "Firmware campaigns"
    rows = {_text(tr[0]): [_text(td) for td in tr] for tr in doc.iter("tr") if len(tr)}
    campaign = rows[site.campaign_id]
    assert campaign[1] == "Notified"
    assert campaign[4] == "14"  # eligible hubs
    deadlines = doc.get_element_by_id("deadlines").getparent()
    due = [[_text(cell) for cell in tr] for tr in deadlines.iter("tr")]
    assert [
        f"Supplier {SUPPLIER_A}",
        "Submit preferred pilot list",
        "2026-03-05 09:00 UTC",
        "59 d 0 h",
    ] in due
    assert ["DCC", "Start pilot", "2026-01-12 09:00 UTC", "7 d 0 h"] in due
    incidents = _text(doc.get_element_by_id("incidents").getparent())
    assert "<b>not bold</b>" in incidents  # shown as text, not markup
    assert not doc.xpath("//main//b")


def test_without_signing_in_the_browser_gets_the_sign_in_form(site: Site, tmp_path: Path) -> None:
    doc = lxml_html.fromstring(_browse(tmp_path, "--dump-dom", f"{site.url}/dashboard").stdout)
    assert _text(doc.find(".//h1")) == "Sign in"
    assert doc.forms[0].inputs["key"].type == "password"
    assert site.campaign_id not in doc.text_content()


def test_a_screenshot_for_people_to_look_at(site: Site, tmp_path: Path) -> None:
    png = tmp_path / "dashboard.png"
    _browse(
        tmp_path, f"--screenshot={png}", "--window-size=1400,1000", "--hide-scrollbars",
        _login_url(site),
    )  # fmt: skip
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 1000)
    assert len(data) > 20_000  # a rendered page, not a blank one
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.write_bytes(data)
