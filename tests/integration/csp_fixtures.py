"""Helpers for the CSP gateway tests: a campaign over the small estate, alerts, hub state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import text

from chfw_api.bootstrap import Container
from tests.integration.campaign_fixtures import (
    Hubs,
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import Estate

NS_SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
NS = {"sr": NS_SR}


@dataclass
class Setup:
    hubs: Hubs
    campaign_id: str


def campaign(client: TestClient, estate: Estate, *, pilot: bool = True) -> Setup:
    hubs = load_hubs(client, estate)
    body: dict[str, Any] = {"with_pilot": True, **pilot_window()} if pilot else {}
    created = create_campaign(client, estate, create_release(client, estate), **body)
    return Setup(hubs, created["campaign_id"])


@dataclass
class Alert:
    code: str
    recipient: str
    doc: etree._Element

    def body(self, name: str) -> etree._Element:
        found = self.doc.find(f"sr:Body/sr:DCCAlertMessage/sr:DCCAlert/sr:{name}", NS)
        assert found is not None, f"{self.code} has no {name}"
        return found

    def texts(self, path: str) -> list[str]:
        return [str(e.text) for e in self.doc.iterfind(f".//{path}", NS)]


def alerts(container: Container, code: str | None = None) -> list[Alert]:
    with container.uow(read_only=True) as uow:
        bodies = uow.outbox.bodies(limit=1_000_000)
    out = []
    for c, body in bodies:
        doc = etree.fromstring(body.encode())
        rid = str(doc.findtext("sr:Header/sr:ResponseID", namespaces=NS))
        if code is None or c == code:
            out.append(Alert(c, rid.split(":")[1], doc))
    return out


def hub_row(container: Container, campaign_id: str, guid: str) -> dict[str, Any]:
    with container.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ch.status, ch.in_default_list, ch.failure_reason, h.firmware_version "
                "FROM campaign_hubs ch JOIN campaigns c ON c.id = ch.campaign_id "
                "JOIN hubs h ON h.guid = ch.guid WHERE c.campaign_id = :c AND ch.guid = :g"
            ),
            {"c": campaign_id, "g": guid},
        ).one()
    return dict(row._mapping)


def set_in_pilot(container: Container, campaign_id: str, guids: list[str]) -> None:
    """Put hubs in the pilot group directly (pilot composition is another use case's job)."""
    with container.engine.begin() as conn:
        for g in guids:
            conn.execute(
                text(
                    "UPDATE campaign_hubs SET in_pilot = true WHERE guid = :g AND campaign_id = "
                    "(SELECT id FROM campaigns WHERE campaign_id = :c)"
                ),
                {"g": g, "c": campaign_id},
            )


def result(guid: str, outcome: str, at: datetime, **extra: str) -> dict[str, str]:
    return {"guid": guid, "outcome": outcome, "at": at.isoformat(), **extra}


def post_results(
    client: TestClient, key: dict[str, str], campaign_id: str, results: list[dict[str, str]]
) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/csp/campaigns/{campaign_id}/activation-results",
        headers=key,
        json={"results": results},
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def schedule_xml(root: str, campaign_id: str, periods: list[tuple[str, str, list[str]]]) -> bytes:
    parts = [f'<sr:{root} xmlns:sr="{NS_SR}"><sr:CampaignID>{campaign_id}</sr:CampaignID>']
    for i, (start, end, guids) in enumerate(periods, 1):
        ids = "".join(f"<sr:DeviceID>{g}</sr:DeviceID>" for g in guids)
        parts.append(
            f"<sr:SchedulePeriod><sr:PeriodStart>{start}</sr:PeriodStart>"
            f"<sr:PeriodEnd>{end}</sr:PeriodEnd><sr:GroupLabel>wave {i}</sr:GroupLabel>"
            f"<sr:DeviceIDList>{ids}</sr:DeviceIDList></sr:SchedulePeriod>"
        )
    parts.append(f"</sr:{root}>")
    return "".join(parts).encode()


def list_xml(campaign_id: str, guids: list[str]) -> bytes:
    ids = "".join(f"<sr:DeviceID>{g}</sr:DeviceID>" for g in guids)
    return (
        f'<sr:CSPDefaultPilotList xmlns:sr="{NS_SR}"><sr:CampaignID>{campaign_id}</sr:CampaignID>'
        f"<sr:DeviceIDList>{ids}</sr:DeviceIDList></sr:CSPDefaultPilotList>"
    ).encode()
