"""Composing the pilot group reads only the first production-proving hubs in the group's
order (issue #12.4), and must give the group the domain composes from all of them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.pilot import PilotCandidate, compose
from chfw_api.services.pilot_lists import PilotSettings, recompose
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import pilot_campaign_over
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate, hub_line

HUBS = 2_000


def _lines() -> list[str]:
    lines = []
    for i in range(HUBS):
        proving = i % 4 != 0
        flags = f"{int(proving)},{int(i % 7 == 0)},{int(i % 53 == 0)}"
        # two in three production-proving hubs are of a model outside the campaign
        model = "OTHER-1" if proving and i % 3 != 0 else "KC-200"
        gas = SUPPLIER_B if i % 5 == 0 else ""
        lines.append(
            hub_line(
                guid_from_int(50_000 + i), importer=SUPPLIER_A, gas=gas, model=model, flags=flags
            )
        )
    return lines


def test_the_group_is_composed_from_the_first_proving_hubs_as_from_all_of_them(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: AD10, C3, AD05, RA03
    cid = pilot_campaign_over(client, estate, _lines())
    listed = [guid_from_int(50_000 + i) for i in range(0, 400, 8)]
    r, doc = sr.post(
        client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.5", sr.pilot_list(cid, listed))
    )
    assert sr.code(doc) in ("I0", "W110501"), r.text
    with container.engine.connect() as conn:
        (row_id,) = conn.execute(
            text("SELECT id FROM campaigns WHERE campaign_id = :c"), {"c": cid}
        ).one()
        everyone = [
            PilotCandidate(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]), bool(r[7]))
            for r in conn.execute(
                text(
                    "SELECT ch.guid, h.import_supplier_id, h.gas_supplier_id, ch.csp_region, "
                    "ch.model, h.production_proving, h.friendly_customer, h.pilot_excluded "
                    "FROM campaign_hubs ch JOIN hubs h ON h.guid = ch.guid "
                    "WHERE ch.campaign_id = :c"
                ),
                {"c": row_id},
            )
        ]
    proving = [c for c in everyone if c.production_proving and not c.pilot_excluded]
    assert 450 < len(proving) < 550 and any(c.friendly_customer for c in proving)
    seed = int(cid.rsplit("-", 1)[-1])
    # caps under, around and over the campaign's production-proving hubs; the first reads a
    # page of the proving order holding too few of the campaign's, and reads a second
    for cap in (300, 20, 490, 700):
        with container.uow() as uow:
            campaign = uow.campaigns.get(cid)
            assert campaign is not None
            preferred = uow.pilot.preferred_lists(cid)
            got = recompose(uow, campaign, row_id, PilotSettings(max_size=cap))
            uow.commit()
        expected = compose(
            everyone, default_list=None, preferred=preferred, max_size=cap, seed=seed
        )
        assert got.members == expected.members, cap
        proving_guids = {c.guid for c in proving}
        if cap <= len(proving):
            assert len(got.members) == cap and set(got.members) <= proving_guids
        else:
            assert proving_guids < set(got.members)
        with container.engine.connect() as conn:
            stored = conn.execute(
                text(
                    "SELECT guid FROM campaign_hubs WHERE campaign_id = :c "
                    "AND in_pilot ORDER BY guid"
                ),
                {"c": row_id},
            ).scalars()
            assert tuple(stored) == got.members
