"""A pilot sample by selection rules reads its supplier's hubs a band at a time (issue #12.4),
and must pick exactly the sample the domain defines over all of them, on each backend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import bindparam, text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.pilot import PilotCandidate, SelectionRules, choose_by_rules, pilot_band
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import pilot_campaign_over
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate, hub_line

HUBS = 3_000
REGIONS = ("North", "Central", "South")


def _estate_lines() -> list[str]:
    lines = []
    for i in range(HUBS):
        flags = f"{int(i % 211 == 0)},{int(i % 13 == 0)},{int(i % 97 == 0)}"
        gas = (SUPPLIER_B, SUPPLIER_A, "")[i % 3]
        importer = SUPPLIER_B if i % 10 == 0 else SUPPLIER_A
        lines.append(
            hub_line(
                guid_from_int(10_000 + i),
                importer=importer,
                gas=gas,
                region=REGIONS[i % 7 % 3],
                flags=flags,
            )
        )
    return lines


def _pilot_campaign(
    client: TestClient, estate: Estate, container: Container
) -> tuple[str, int, int]:
    """The estate imported, a pilot campaign over it: its id, row id and supplier A's id."""
    cid = pilot_campaign_over(client, estate, _estate_lines())
    with container.engine.connect() as conn:
        row_id = conn.execute(
            text("SELECT id FROM campaigns WHERE campaign_id = :c"), {"c": cid}
        ).scalar_one()
        supplier_id = conn.execute(
            text("SELECT id FROM parties WHERE code = :c"), {"c": SUPPLIER_A}
        ).scalar_one()
    return cid, row_id, supplier_id


def test_a_rules_sample_is_the_defined_sample_of_all_the_suppliers_hubs(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR2.2, AD05, RA03, AD10
    cid, row_id, supplier_id = _pilot_campaign(client, estate, container)
    with container.engine.connect() as conn:
        stored = conn.execute(text("SELECT guid, pilot_band FROM hubs")).all()
        assert len(stored) == HUBS and all(band == pilot_band(guid) for guid, band in stored)
        rows = conn.execute(
            text(
                "SELECT ch.guid, h.import_supplier_id, h.gas_supplier_id, ch.csp_region, ch.model, "
                "h.production_proving, h.friendly_customer, h.pilot_excluded FROM campaign_hubs ch "
                "JOIN hubs h ON h.guid = ch.guid WHERE ch.campaign_id = :c AND "
                "(h.import_supplier_id = :s OR h.gas_supplier_id = :s)"
            ),
            {"c": row_id, "s": supplier_id},
        )
        candidates = [
            PilotCandidate(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]), bool(r[7]))
            for r in rows
            if not r[5]
        ]
    assert len(candidates) > 2_000 and sum(c.friendly_customer for c in candidates) > 150
    for count, seed, region in (
        (300, 1, None),
        (40, 7, "Central"),
        (250, 123, "North"),
        (5, 99, None),
        (300, 3, "South"),
    ):
        body = sr.pilot_rules(cid, count=count, seed=seed, region=region)
        r, doc = sr.post(client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.5", body))
        assert sr.code(doc) == "I0", r.text
        rules = SelectionRules(
            hub_count=count, seed=seed, regions=frozenset({region} if region else ())
        )
        expected = sorted(c.guid for c in choose_by_rules(candidates, rules))
        with container.uow() as uow:
            listed = uow.pilot.preferred_lists(cid)[supplier_id]
        assert sorted(listed) == expected, (count, seed, region)
        assert len(expected) == min(
            count,
            sum(
                1
                for c in candidates
                if not c.pilot_excluded and (not region or c.csp_region == region)
            ),
        )


def _share(cid: str, percentage: str, *, region: str, exclude: Sequence[str], seed: int) -> str:
    excluded = "".join(f"<sr:ExcludeDeviceID>{g}</sr:ExcludeDeviceID>" for g in exclude)
    return (
        f"<sr:SubmitPreferredPilotList><sr:CampaignID>{cid}</sr:CampaignID><sr:SelectionRules>"
        f"<sr:Percentage>{percentage}</sr:Percentage><sr:CSPRegion>{region}</sr:CSPRegion>"
        f"{excluded}<sr:Seed>{seed}</sr:Seed></sr:SelectionRules></sr:SubmitPreferredPilotList>"
    )


def test_a_share_is_taken_of_the_pool_counted_from_the_tallies(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR2.2, RA03, AD10
    # The pool of a share is summed from the campaign's tally rows less the flagged hubs and
    # the excluded GUIDs that would be in it, not counted over the supplier's hubs: the share
    # must be the same number of hubs a count over every candidate gives.
    cid, row_id, supplier_id = _pilot_campaign(client, estate, container)
    hubs = [guid_from_int(10_000 + i) for i in range(HUBS)]
    # excluded GUIDs: some in the pool, production-proving (633) and pilot-excluded (97)
    # ones, one of another supplier only, one in another region
    in_north = [g for i, g in enumerate(hubs) if REGIONS[i % 7 % 3] == "North"]
    exclude = [*in_north[1:40:3], hubs[0], hubs[97], hubs[633], hubs[10 * 7 * 3], hubs[1]]
    with container.engine.connect() as conn:
        in_pool = (
            "SELECT count(*) FROM campaign_hubs ch JOIN hubs h ON h.guid = ch.guid WHERE "
            "ch.campaign_id = :c AND (h.import_supplier_id = :s OR h.gas_supplier_id = :s) "
            "AND ch.csp_region = 'North' AND NOT h.production_proving AND NOT h.pilot_excluded"
        )
        pool = conn.execute(text(in_pool), {"c": row_id, "s": supplier_id}).scalar_one()
        excluded_in_pool = conn.execute(
            text(in_pool + " AND ch.guid IN :g").bindparams(bindparam("g", expanding=True)),
            {"c": row_id, "s": supplier_id, "g": exclude},
        ).scalar_one()
    assert 0 < excluded_in_pool < len(exclude)
    size = pool - excluded_in_pool

    def share(pct: Decimal, of: int) -> int:
        return math.ceil(of * pct / 100)

    # shares at which one hub fewer, or one more, in the pool changes the number chosen
    shares = [Decimal(k) / 100 for k in range(1, 2_500)]
    fewer = [p for p in shares if share(p, size - 1) < share(p, size)]
    more = [p for p in shares if share(p, size) < share(p, size + 1)]
    assert len(fewer) >= 2 and len(more) >= 2
    sharp = [fewer[0], fewer[-1], more[0], more[-1]]
    for seed, percentage in enumerate(sharp, start=11):
        body = _share(cid, str(percentage), region="North", exclude=exclude, seed=seed)
        r, doc = sr.post(client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.5", body))
        assert sr.code(doc) == "I0", r.text
        with container.uow() as uow:
            listed = uow.pilot.preferred_lists(cid)[supplier_id]
        assert len(listed) == share(percentage, size), percentage
        assert not listed & set(exclude)
