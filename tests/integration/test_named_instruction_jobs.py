"""A named SR 11.7 of more than one chunk is screened at once (each rejected GUID answered with
its reason, BR5.2), answered I99 and completed by the worker in chunks, as a large AllEligible
is (issue #12: a 300,000-GUID list held the campaign lock for 38.6 s in one transaction)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import create_campaign, create_release, load_hubs
from tests.integration.conftest import SUPPLIER_A, Estate
from tests.integration.test_instruction_jobs import _votes

A = SUPPLIER_A
NS = sr.NS
WHEN = START + timedelta(days=120)


def _rejected(doc: object) -> dict[str, str]:
    return {
        e.findtext("sr:DeviceID", namespaces=NS): e.findtext("sr:ReasonCode", namespaces=NS)
        for e in doc.iterfind(".//sr:RejectedDevice", NS)  # type: ignore[attr-defined]
    }


def test_a_guid_named_twice_is_instructed_once_and_its_repeat_rejected(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR5.2, BR3.5
    # The repeat is rejected; the first naming stands, with its vote and plan like any other.
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    mine = hubs.a_only + hubs.split_ab
    named = [*mine, mine[0]]
    r, doc = sr.post(
        client, estate.supplier_a, sr.envelope(A, "11.7", sr.instruction(cid, WHEN, named))
    )
    assert r.status_code == 200, r.text
    assert doc.findtext(".//sr:AcceptedCount", namespaces=NS) == str(len(mine))
    assert list(_rejected(doc)) == [mine[0]]
    assert _votes(container, A) == Counter(mine)
    with container.engine.connect() as conn:
        planned = conn.execute(
            text("SELECT status FROM campaign_hubs WHERE guid = :g"), {"g": mine[0]}
        ).scalar_one()
    assert planned == "instructed"
