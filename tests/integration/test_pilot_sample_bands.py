"""A pilot sample by selection rules reads its supplier's hubs a band at a time (issue #12.4),
and must pick exactly the sample the domain defines over all of them, on each backend."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.pilot import SelectionRules, choose_by_rules, pilot_band
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import create_campaign, create_release, pilot_window
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate, csv_body, hub_line

HUBS = 3_000
REGIONS = ("North", "Central", "South")


def _estate_lines() -> list[str]:
    lines = []
    for i in range(HUBS):
        flags = f"{int(i % 211 == 0)},{int(i % 13 == 0)},{int(i % 97 == 0)}"
        gas = (SUPPLIER_B, SUPPLIER_A, "")[i % 3]
        importer = SUPPLIER_B if i % 10 == 0 else SUPPLIER_A
        lines.append(hub_line(guid_from_int(10_000 + i), importer=importer, gas=gas,
                              region=REGIONS[i % 7 % 3], flags=flags))  # fmt: skip
    return lines


def test_a_rules_sample_is_the_defined_sample_of_all_the_suppliers_hubs(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR2.2, AD05, RA03, AD10
    r = client.post("/api/v1/inventory/imports", headers={**estate.dcc, "Content-Type": "text/csv"},
                    content=csv_body(*_estate_lines()))  # fmt: skip
    assert r.status_code == 200, r.text
    with container.engine.connect() as conn:
        stored = conn.execute(text("SELECT guid, pilot_band FROM hubs")).all()
    assert len(stored) == HUBS and all(band == pilot_band(guid) for guid, band in stored)
    window = pilot_window(days_from_start=60, length_days=60)
    release = create_release(client, estate)
    cid = create_campaign(client, estate, release, with_pilot=True, **window)["campaign_id"]
    with container.engine.connect() as conn:
        row_id = conn.execute(text("SELECT id FROM campaigns WHERE campaign_id = :c"),
                              {"c": cid}).scalar_one()  # fmt: skip
        supplier_id = conn.execute(text("SELECT id FROM parties WHERE code = :c"),
                                   {"c": SUPPLIER_A}).scalar_one()  # fmt: skip
    with container.uow() as uow:
        candidates = [c for c in uow.pilot.supplier_candidates(row_id, supplier_id)
                      if not c.production_proving]  # fmt: skip
    assert len(candidates) > 2_000 and sum(c.friendly_customer for c in candidates) > 150
    for count, seed, region in ((300, 1, None), (40, 7, "Central"), (250, 123, "North"),
                                (5, 99, None), (300, 3, "South")):  # fmt: skip
        body = sr.pilot_rules(cid, count=count, seed=seed, region=region)
        r, doc = sr.post(client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.5", body))
        assert sr.code(doc) == "I0", r.text
        rules = SelectionRules(hub_count=count, seed=seed,
                               regions=frozenset({region} if region else ()))  # fmt: skip
        expected = sorted(c.guid for c in choose_by_rules(candidates, rules))
        with container.uow() as uow:
            listed = uow.pilot.preferred_lists(cid)[supplier_id]
        assert sorted(listed) == expected, (count, seed, region)
        assert len(expected) == min(count, sum(
            1 for c in candidates if not c.pilot_excluded and (not region or c.csp_region == region)
        ))  # fmt: skip
