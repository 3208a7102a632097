"""DCC's HTML dashboard on each backend: what an operator sees, who may see it, and escaping."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from lxml import html as lxml_html

from chfw_api.bootstrap import Container
from chfw_api.domain.clock import FakeClock
from chfw_api.services import incidents as incident_service
from chfw_api.services import parties as party_service
from tests.integration.campaign_fixtures import (
    MODEL,
    NEW_VERSION,
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC, Estate
from tests.integration.deployed_fixtures import report_distributed

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _key(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _row(page: str, first_cell: str) -> list[str]:
    """The cells' text of the table row whose header cell starts with `first_cell`."""
    doc = lxml_html.fromstring(page)
    for tr in doc.iter("tr"):
        cells = [" ".join(c.text_content().split()) for c in tr if c.tag in ("th", "td")]
        if cells and cells[0].startswith(first_cell):
            return cells
    raise AssertionError(f"no row starting {first_cell!r}")


def _rows(page: str, section_id: str) -> list[list[str]]:
    doc = lxml_html.fromstring(page)
    section = doc.get_element_by_id(section_id).getparent()
    return [
        [" ".join(c.text_content().split()) for c in tr if c.tag in ("th", "td")]
        for tr in section.iter("tr")
    ]


def _campaign(client: TestClient, estate: Estate, **body: object) -> str:
    load_hubs(client, estate)
    return str(
        create_campaign(client, estate, create_release(client, estate), **body)["campaign_id"]
    )


def _deploy_one(client: TestClient, estate: Estate, cid: str) -> None:
    """The Central CSP reports its first hub of the campaign has received the firmware."""
    page = client.get(f"/api/v1/campaigns/{cid}/eligible-hubs", headers=estate.dcc).json()
    first = next(h["guid"] for h in page["items"] if h["csp_region"] == "Central")
    report_distributed(client, estate.csp_central, cid, [first])


def test_overview_shows_campaign_stage_counts_and_each_actors_deadlines(
    client: TestClient, estate: Estate
) -> None:
    # covers: BR5.4, BR5.5
    cid = _campaign(client, estate, with_pilot=True, **pilot_window(7, 45))
    r = client.get("/dashboard", headers=estate.dcc)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none'
    assert r.headers["cache-control"] == "no-store"
    page = r.text
    row = _row(page, cid)
    assert row[1] == "Notified"
    assert row[2] == f"Kelvin Cellular {MODEL} {NEW_VERSION}"
    assert row[3] == "2026-07-05 09:00 UTC"  # automatic deployment: +6 calendar months
    assert row[4:9] == ["14", "0", "0", "0", "0"]  # eligible .. failed
    assert "Hubs by status: eligible 14" in page  # the SVG bar's accessible name
    assert row[10] == "Start pilot 2026-01-12 09:00 UTC 7 d 0 h"  # DCC next
    assert row[11].startswith("Send default pilot list and schedule 2026-01-12 09:00 UTC")
    assert row[12] == "6"  # two per supplier: the preferred list and the safe-launch instruction
    actions = _rows(page, "deadlines")
    for supplier in (SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC):
        # AD09: a preferred pilot list is due two months after notification.
        assert [
            f"Supplier {supplier}",
            "Submit preferred pilot list",
            "2026-03-05 09:00 UTC",
            "59 d 0 h",
        ] in actions
        assert any(
            a[:2] == [f"Supplier {supplier}", "May instruct safe launch deployment"]
            and a[2] == "2026-06-05 09:00 UTC"  # one month before the automatic date (BR3.4)
            for a in actions
        )
    assert ["DCC", "Start pilot", "2026-01-12 09:00 UTC", "7 d 0 h"] in actions
    assert ["DCC", "Automatic safe launch activation", "2026-07-05 09:00 UTC", "181 d 0 h"] in (
        actions
    )
    assert "N70" in _rows(page, "alerts")[1]  # the notification alerts, newest first


def test_overdue_actions_say_so_and_ended_campaigns_owe_nothing(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR5.4
    cid = _campaign(client, estate, with_pilot=True, **pilot_window(70, 45))
    clock = container.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(days=61))  # past the preferred-list date, before the pilot
    page = client.get("/dashboard", headers=estate.dcc).text
    row = _row(page, f"Supplier {SUPPLIER_A}")
    assert row[1:] == ["Submit preferred pilot list", "2026-03-05 09:00 UTC", "overdue by 2 d 0 h"]
    assert 'class="overdue"' in page
    r = client.post(
        f"/api/v1/campaigns/{cid}/revoke", headers=estate.dcc, json={"reason": "withdrawn"}
    )
    assert r.status_code == 200, r.text
    page = client.get("/dashboard", headers=estate.dcc).text
    assert _row(page, cid)[1] == "Revoked"  # recently ended: still listed
    assert "1 recently ended" in " ".join(page.split())
    assert f"Supplier {SUPPLIER_A}" not in page  # nobody owes anything on it


def test_campaign_page_shows_shares_actions_decisions_incidents_and_alert_counts(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR5.5, BR1.3, BR6.3
    cid = _campaign(client, estate)
    _deploy_one(client, estate, cid)  # an incident is about deployed firmware (BR6.2)
    r = client.post(
        f"/api/v1/campaigns/{cid}/decisions",
        headers=estate.dcc,
        json={"decision": "pause", "reason": "investigating"},
    )
    assert r.status_code == 200, r.text
    supplier = party_service.authenticate(
        container.uow(read_only=True), key=_key(estate.supplier_b)
    )
    incident_service.raise_incident(
        container.uow(), container.clock, caller=supplier, campaign_id=cid, severity="High",
        description="hubs drop off the HAN after activation",
    )  # fmt: skip
    r = client.get(f"/dashboard/campaigns/{cid}", headers=estate.dcc)
    assert r.status_code == 200, r.text
    page = r.text
    assert "Paused (resumes to Notified)" in page
    assert _row(page, SUPPLIER_A)[:3] == [SUPPLIER_A, "9", "5"]
    assert _row(page, SUPPLIER_B)[:3] == [SUPPLIER_B, "3", "4"]
    assert _row(page, "eligible") == ["eligible", "13", "0"]
    assert _row(page, "distributed") == ["distributed", "1", "0"]
    decision = _rows(page, "decisions")[1]
    assert decision[1:5] == ["pause", "Notified → Paused", "Held", "—"]
    assert _row(page, "INC-")[1:3] == [cid, SUPPLIER_B]
    assert _row(page, "N70") == ["N70", "3"]
    assert _row(page, "N81") == ["N81", "3"]
    overview = client.get("/dashboard", headers=estate.dcc).text
    assert _rows(overview, "incidents")[1][:3] == [_row(page, "INC-")[0], cid, SUPPLIER_B]
    assert _rows(overview, "decisions")[1][1:3] == [cid, "pause"]


def test_hostile_text_is_escaped_everywhere(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2
    load_hubs(client, estate)
    release = create_release(client, estate, release_note_ref=HOSTILE)
    cid = create_campaign(client, estate, release)["campaign_id"]
    _deploy_one(client, estate, cid)
    supplier = party_service.authenticate(
        container.uow(read_only=True), key=_key(estate.supplier_a)
    )
    incident_service.raise_incident(
        container.uow(), container.clock, caller=supplier, campaign_id=cid, severity="High",
        description=HOSTILE,
    )  # fmt: skip
    for path in ("/dashboard", f"/dashboard/campaigns/{cid}"):
        page = client.get(path, headers=estate.dcc).text
        assert "<script" not in page and "<img" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        doc = lxml_html.fromstring(page)
        assert not doc.xpath("//script | //img | //*[@onerror]")
        assert HOSTILE in doc.text_content()  # shown to the operator as text


def test_without_a_key_a_login_page_with_401_and_unknown_keys_are_refused(
    client: TestClient, estate: Estate
) -> None:
    # covers: X2
    for path in ("/dashboard", "/dashboard/campaigns/CMP-000001"):
        r = client.get(path)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("text/html")
        form = lxml_html.fromstring(r.text).forms[0]
        assert form.method == "POST" and form.action == "/dashboard/login"
        assert form.inputs["key"].type == "password"
        assert lxml_html.fromstring(r.text).xpath("//label[@for='key']")
    r = client.get("/dashboard", headers={"Authorization": "Bearer chfw_not-a-real-key"})
    assert r.status_code == 401 and "unknown or revoked API key" in r.text
    client.cookies.set("chfw_key", "chfw_stale", path="/dashboard")
    r = client.get("/dashboard")
    assert r.status_code == 401
    assert 'chfw_key=""' in r.headers["set-cookie"]  # a stale cookie is dropped


def test_supplier_and_csp_keys_get_403(client: TestClient, estate: Estate) -> None:
    # covers: X2
    cid = _campaign(client, estate)
    for headers in (estate.supplier_a, estate.csp_north):
        for path in ("/dashboard", f"/dashboard/campaigns/{cid}"):
            r = client.get(path, headers=headers)
            assert r.status_code == 403
            assert r.headers["content-type"].startswith("text/html")
            assert cid not in r.text
    r = client.post(
        "/dashboard/login", data={"key": _key(estate.supplier_a)}, follow_redirects=False
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers


def test_cookie_login_then_browse_then_logout(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2
    cid = _campaign(client, estate)
    r = client.get("/dashboard/login")
    assert r.status_code == 200 and 'name="key"' in r.text
    r = client.post("/dashboard/login", data={"key": _key(estate.dcc)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("chfw_key=chfw_")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/dashboard"):
        assert attribute.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here; set over https
    r = client.get("/dashboard")  # the client keeps the cookie
    assert r.status_code == 200 and cid in r.text
    assert client.get(f"/dashboard/campaigns/{cid}").status_code == 200
    r = client.post("/dashboard/logout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    assert client.get("/dashboard").status_code == 401
    # The scripted-browser flow, off unless configured: a key in a URL lands in logs.
    client.post("/dashboard/logout")
    r = client.get("/dashboard/login", params={"key": _key(estate.dcc)}, follow_redirects=False)
    assert r.status_code == 400 and "set-cookie" not in r.headers and "use the form" in r.text
    assert client.get("/dashboard").status_code == 401
    container.settings.dashboard_key_in_url = True
    r = client.get("/dashboard/login", params={"key": _key(estate.dcc)}, follow_redirects=False)
    assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
    assert client.get("/dashboard").status_code == 200
    r = client.post("/dashboard/login", data={"key": ""}, follow_redirects=False)
    assert r.status_code == 401 and "missing or malformed" in r.text


def test_unknown_campaign_is_an_html_404_and_the_pages_stay_out_of_openapi(
    client: TestClient, estate: Estate
) -> None:
    r = client.get("/dashboard/campaigns/CMP-999999", headers=estate.dcc)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "CMP-999999 does not exist" in r.text
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/dashboard")]
