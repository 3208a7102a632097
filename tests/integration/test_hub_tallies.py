"""The campaign hub tallies stay exact: after every kind of change, they equal a recount.

Reads (GET campaign, the DCC dashboard, SR 11.9, N74 progress) come from the tallies, which
database triggers keep in the same statement as each change (persistence/tables/tallies.py).
These tests change campaign hubs and suppliers by every route the triggers must see (set-based
status and pilot updates, changes of supplier through a real re-import and by hand, concurrent
writers on PostgreSQL, the fold) and compare with a recount each time.
"""

from __future__ import annotations

import threading
from collections import Counter

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, bindparam, text

from chfw_api.bootstrap import Container
from chfw_api.services.hub_tallies import fold_hub_tallies
from tests.integration.campaign_fixtures import create_campaign, create_release, load_hubs
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate, csv_body, hub_line

STATUSES = ("eligible", "instructed", "distributed", "activated", "failed")
KEY = (
    "campaign_id, import_supplier_id, gas_supplier_id, notified_import_id, notified_gas_id, "
    "model, csp_region, in_pilot, status"
)
RECOUNT = (
    "SELECT ch.campaign_id, coalesce(h.import_supplier_id, 0), coalesce(h.gas_supplier_id, 0), "
    "coalesce(ch.import_supplier_id, 0), coalesce(ch.gas_supplier_id, 0), ch.model, "
    "ch.csp_region, ch.in_pilot, ch.status, count(*) "
    "FROM campaign_hubs ch LEFT JOIN hubs h ON h.guid = ch.guid "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
)
TALLY = f"SELECT {KEY}, sum(hubs) FROM campaign_hub_tallies GROUP BY {KEY}"


def _counts(engine: Engine, sql: str) -> Counter[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    return Counter({(*r[:7], bool(r[7]), r[8]): int(r[9]) for r in rows if int(r[9])})


def assert_exact(engine: Engine) -> None:
    assert _counts(engine, TALLY) == _counts(engine, RECOUNT)


def _campaign(client: TestClient, estate: Estate) -> list[str]:
    hubs = load_hubs(client, estate)
    create_campaign(client, estate, create_release(client, estate))
    return hubs.eligible


def _suppliers(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM parties WHERE kind = 'supplier'"))]


def test_a_new_campaign_is_tallied(
    client: TestClient, estate: Estate, container: Container
) -> None:
    eligible = _campaign(client, estate)
    assert_exact(container.engine)
    assert sum(_counts(container.engine, TALLY).values()) == len(eligible)


change = st.one_of(
    st.tuples(
        st.just("status"), st.sets(st.integers(0, 13), min_size=1), st.sampled_from(STATUSES)
    ),
    st.tuples(st.just("pilot"), st.sets(st.integers(0, 13), min_size=1), st.booleans()),
    st.tuples(
        st.just("region"),
        st.sets(st.integers(0, 13), min_size=1),
        st.sampled_from(("North", "Central", "South")),
    ),
    st.tuples(st.just("supplier"), st.integers(0, 13), st.integers(-1, 3), st.integers(-1, 3)),
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(changes=st.lists(change, min_size=1, max_size=6))
def test_tallies_equal_a_recount_after_any_changes(
    client: TestClient,
    estate: Estate,
    container: Container,
    changes: list[tuple[object, ...]],
) -> None:
    engine = container.engine
    with engine.connect() as conn:
        known = conn.execute(text("SELECT count(*) FROM campaign_hubs")).scalar_one()
    if not known:
        _campaign(client, estate)
    with engine.connect() as conn:
        guids = [r[0] for r in conn.execute(text("SELECT guid FROM campaign_hubs ORDER BY guid"))]
    suppliers = _suppliers(engine)
    for kind, *args in changes:
        with engine.begin() as conn:
            if kind == "status":
                chosen, status = args
                named = [guids[i % len(guids)] for i in chosen]  # type: ignore[attr-defined]
                conn.execute(
                    text("UPDATE campaign_hubs SET status = :s WHERE guid IN :g").bindparams(
                        bindparam("g", expanding=True)
                    ),
                    {"s": status, "g": named},
                )
            elif kind == "pilot":
                chosen, flag = args
                named = [guids[i % len(guids)] for i in chosen]  # type: ignore[attr-defined]
                conn.execute(
                    text("UPDATE campaign_hubs SET in_pilot = :p WHERE guid IN :g").bindparams(
                        bindparam("g", expanding=True)
                    ),
                    {"p": flag, "g": named},
                )
            elif kind == "region":
                chosen, region = args
                named = [guids[i % len(guids)] for i in chosen]  # type: ignore[attr-defined]
                conn.execute(
                    text("UPDATE campaign_hubs SET csp_region = :r WHERE guid IN :g").bindparams(
                        bindparam("g", expanding=True)
                    ),
                    {"r": region, "g": named},
                )
            else:
                which, imp, gas = args
                pick = [None, *suppliers]
                conn.execute(
                    text(
                        "UPDATE hubs SET import_supplier_id = :i, gas_supplier_id = :g "
                        "WHERE guid = :guid"
                    ),
                    {
                        "i": pick[(int(imp) + 1) % len(pick)],  # type: ignore[call-overload]
                        "g": pick[(int(gas) + 1) % len(pick)],  # type: ignore[call-overload]
                        "guid": guids[int(which) % len(guids)],  # type: ignore[call-overload]
                    },
                )
        assert_exact(engine)
    fold_hub_tallies(container.uow)
    assert_exact(engine)


def test_a_change_of_supplier_by_reimport_moves_the_counts(
    client: TestClient, estate: Estate, container: Container
) -> None:
    """The real inventory import (UPSERT on SQLite, COPY + INSERT ... ON CONFLICT on
    PostgreSQL) moves a hub's counts to its new supplier; SR 11.9 and GET campaign follow."""
    hubs = load_hubs(client, estate)
    campaign = create_campaign(client, estate, create_release(client, estate))
    moved = hubs.a_only[:2]
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "text/csv"},
        content=csv_body(*[hub_line(g, importer=SUPPLIER_B, gas=SUPPLIER_B) for g in moved]),
    )
    assert r.status_code == 200, r.text
    assert_exact(container.engine)
    with container.engine.connect() as conn:
        b_id = conn.execute(
            text("SELECT id FROM parties WHERE code = :c"), {"c": SUPPLIER_B}
        ).scalar_one()
        a_id = conn.execute(
            text("SELECT id FROM parties WHERE code = :c"), {"c": SUPPLIER_A}
        ).scalar_one()
    with container.uow() as uow:
        assert uow.campaigns.get(campaign["campaign_id"]) is not None
        row = uow.campaigns.internal_id(campaign["campaign_id"])
        b_counts = uow.estate.campaign_counts(row, b_id)
        a_counts = uow.estate.campaign_counts(row, a_id)
    # B: its 3 own + 4 split + the 2 moved; A: 5 own - 2 moved + 4 split.
    assert sum(b_counts.values()) == len(hubs.b_only) + len(hubs.split_ab) + 2
    assert sum(a_counts.values()) == len(hubs.a_only) - 2 + len(hubs.split_ab)


def test_concurrent_writers_then_fold_stay_exact(
    client: TestClient, estate: Estate, container: Container
) -> None:
    """Two connections changing hubs of one campaign at once (on PostgreSQL each adds into its
    own shard, so neither waits on the other's counter rows); the fold leaves one shard."""
    eligible = _campaign(client, estate)
    engine = container.engine
    halves = [eligible[0::2], eligible[1::2]]
    barrier = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def writer(guids: list[str], status: str) -> None:
        try:
            with engine.connect() as conn:
                trans = conn.begin()
                for g in guids:
                    conn.execute(
                        text("UPDATE campaign_hubs SET status = :s WHERE guid = :g"),
                        {"s": status, "g": g},
                    )
                if engine.dialect.name == "postgresql":
                    barrier.wait()  # both hold their changes uncommitted at once
                trans.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(halves[0], "activated")),
        threading.Thread(target=writer, args=(halves[1], "failed")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert_exact(engine)
    fold_hub_tallies(container.uow)
    assert_exact(engine)
    with engine.connect() as conn:
        shards = {
            r[0] for r in conn.execute(text("SELECT DISTINCT shard FROM campaign_hub_tallies"))
        }
    assert shards == {0}
