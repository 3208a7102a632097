"""A campaign whose firmware has started to go out, as its CSP reports it: what a supplier's
incident (SR 11.10) can be about (BR6.2)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import START
from tests.integration.campaign_fixtures import Hubs, create_campaign, create_release, load_hubs
from tests.integration.conftest import Estate


def report_distributed(
    client: TestClient, csp: dict[str, str], campaign_id: str, guids: list[str]
) -> None:
    """The CSP reports these hubs have received the firmware (at START, when the fixtures'
    campaigns are notified)."""
    results = [{"guid": g, "outcome": "distributed", "at": START.isoformat()} for g in guids]
    r = client.post(
        f"/api/v1/csp/campaigns/{campaign_id}/activation-results",
        headers=csp,
        json={"results": results},
    )
    assert r.status_code == 200 and r.json()["accepted"] == len(guids), r.text


def deployed_campaign(client: TestClient, estate: Estate) -> tuple[Hubs, str]:
    """The small estate and a campaign without a pilot (safe launch deploys from the start)
    where one of supplier A's hubs has received the firmware."""
    hubs = load_hubs(client, estate)
    cid = str(create_campaign(client, estate, create_release(client, estate))["campaign_id"])
    report_distributed(client, estate.csp_central, cid, hubs.a_only[:1])
    return hubs, cid
