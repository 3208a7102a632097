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
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, bindparam, text

from chfw_api.bootstrap import Container
from chfw_api.services import instructions
from chfw_api.services.hub_tallies import fold_hub_tallies
from chfw_api.services.instruction_jobs import advance_instruction_jobs
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import create_campaign, create_release, load_hubs
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate, csv_body, hub_line

STATUSES = ("eligible", "instructed", "distributed", "activated", "failed")
KEY = (
    "campaign_id, import_supplier_id, gas_supplier_id, notified_import_id, notified_gas_id, "
    "model, csp_region, in_pilot, import_voted, gas_voted, status"
)
_STAGE = "CASE WHEN ch.in_pilot THEN 'Pilot' ELSE 'SafeLaunch' END"
# Recounted from the votes themselves, not from the campaign hubs' stored flags.
_VOTED = (
    "EXISTS (SELECT 1 FROM campaigns c JOIN instruction_votes v ON v.campaign_id = c.campaign_id "
    f"WHERE c.id = ch.campaign_id AND v.guid = ch.guid AND v.stage = {_STAGE} "
    "AND v.supplier_id = h.{role}_supplier_id)"
)
RECOUNT = (
    "SELECT ch.campaign_id, coalesce(h.import_supplier_id, 0), coalesce(h.gas_supplier_id, 0), "
    "coalesce(ch.import_supplier_id, 0), coalesce(ch.gas_supplier_id, 0), ch.model, "
    f"ch.csp_region, ch.in_pilot, {_VOTED.format(role='import')}, {_VOTED.format(role='gas')}, "
    "ch.status, count(*) FROM campaign_hubs ch LEFT JOIN hubs h ON h.guid = ch.guid "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"
)
TALLY = f"SELECT {KEY}, sum(hubs) FROM campaign_hub_tallies GROUP BY {KEY}"
REINSERTED = (
    "campaign_id, guid, model, csp_region, from_version, import_supplier_id, gas_supplier_id, "
    "in_pilot, in_default_list, status, planned_activation_at, result_at, failure_reason"
)
# The scans SR 11.9 ran before the vote flags (issue #12), kept as the recount. Uninstructed:
# verbatim. Split: a vote counts only from the hub's current other supplier for the stage of
# the hub's group (RA04, as the SR 11.8 report), where the old scan took any other supplier's.
UNINSTRUCTED_SCAN = (
    "SELECT count(*) FROM campaign_hubs ch JOIN hubs h ON h.guid = ch.guid "
    "WHERE ch.campaign_id = :cid AND ch.in_pilot = :p AND "
    "(h.import_supplier_id = :s OR h.gas_supplier_id = :s) AND NOT EXISTS ("
    "SELECT 1 FROM instruction_votes v WHERE v.campaign_id = :c AND "
    "v.stage = :st AND v.guid = ch.guid AND v.supplier_id = :s)"
)
SPLIT_SCAN = (
    "SELECT sum(CASE WHEN o.guid IS NOT NULL AND m.guid IS NULL THEN 1 ELSE 0 END), "
    "sum(CASE WHEN m.guid IS NOT NULL AND o.guid IS NULL THEN 1 ELSE 0 END) "
    "FROM campaign_hubs ch JOIN hubs h ON h.guid = ch.guid "
    "LEFT JOIN instruction_votes m ON m.campaign_id = :c AND m.guid = ch.guid "
    f"AND m.stage = {_STAGE} AND m.supplier_id = :s "
    "LEFT JOIN instruction_votes o ON o.campaign_id = :c AND o.guid = ch.guid "
    f"AND o.stage = {_STAGE} AND o.supplier_id = CASE WHEN h.import_supplier_id = :s "
    "THEN h.gas_supplier_id ELSE h.import_supplier_id END "
    "WHERE ch.campaign_id = :cid AND h.import_supplier_id IS NOT NULL "
    "AND h.gas_supplier_id IS NOT NULL AND h.import_supplier_id <> h.gas_supplier_id "
    "AND (h.import_supplier_id = :s OR h.gas_supplier_id = :s)"
)


def _counts(engine: Engine, sql: str) -> Counter[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    return Counter({(*r[:7], *map(bool, r[7:10]), r[10]): int(r[11]) for r in rows if int(r[11])})


def assert_exact(engine: Engine, container: Container | None = None) -> None:
    """Tallies equal a recount; with `container`, SR 11.9's vote counts equal the scans too."""
    assert _counts(engine, TALLY) == _counts(engine, RECOUNT)
    if container is not None:
        assert_vote_counts(container)


def assert_vote_counts(container: Container) -> None:
    with container.engine.connect() as conn:
        campaigns = conn.execute(text("SELECT id, campaign_id FROM campaigns")).all()
    suppliers = _suppliers(container.engine)
    with container.uow() as uow:
        conn = uow.session.connection()
        for row_id, cid in campaigns:
            for s in suppliers:
                ids = {"c": cid, "cid": row_id, "s": s}
                split = conn.execute(text(SPLIT_SCAN), ids).one()
                assert uow.estate.split_waiting(row_id, cid, s) == tuple(int(n or 0) for n in split)
                for pilot, stage in ((True, "Pilot"), (False, "SafeLaunch")):
                    scan = conn.execute(text(UNINSTRUCTED_SCAN), {**ids, "p": pilot, "st": stage})
                    n = uow.instructions.uninstructed_count(
                        campaign_row_id=row_id, campaign_id=cid, stage=stage, supplier_id=s,
                        pilot=pilot,
                    )  # fmt: skip
                    assert n == scan.scalar_one(), (cid, s, pilot)


def vote(container: Container, guids: list[str], supplier: int, stage: str) -> None:
    """The supplier's votes on these hubs of every campaign, through the repository's upsert."""
    with container.engine.connect() as conn:
        campaigns = conn.execute(text("SELECT campaign_id FROM campaigns")).scalars().all()
    with container.uow() as uow:
        for cid in campaigns:
            uow.instructions.record_votes(
                campaign_id=cid, stage=stage, supplier_id=supplier, instruction_id="T-1",
                requested_at=datetime(2026, 1, 1, tzinfo=UTC),
                hubs=[(g, True, False) for g in guids],
            )  # fmt: skip
        uow.commit()


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
    st.tuples(
        st.just("vote"),
        st.sets(st.integers(0, 13), min_size=1),
        st.integers(0, 3),
        st.sampled_from(("Pilot", "SafeLaunch")),
    ),
    st.tuples(st.just("retract"), st.sets(st.integers(0, 13), min_size=1)),
    st.tuples(st.just("recreate"), st.sets(st.integers(0, 13), min_size=1)),
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
        if kind == "vote":
            chosen, who, stage = args
            named = [guids[i % len(guids)] for i in chosen]  # type: ignore[attr-defined]
            vote(container, named, suppliers[int(who) % len(suppliers)], str(stage))  # type: ignore[call-overload]
            assert_exact(engine, container)
            continue
        with engine.begin() as conn:
            if kind == "recreate":
                (chosen,) = args
                named = [guids[i % len(guids)] for i in chosen]  # type: ignore[attr-defined]
                _recreate(conn, named)
            elif kind == "retract":
                (chosen,) = args
                named = [guids[i % len(guids)] for i in chosen]  # type: ignore[attr-defined]
                conn.execute(
                    text("DELETE FROM instruction_votes WHERE guid IN :g").bindparams(
                        bindparam("g", expanding=True)
                    ),
                    {"g": named},
                )
            elif kind == "status":
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
        assert_exact(engine, container)
    fold_hub_tallies(container.uow)
    assert_exact(engine, container)


def _recreate(conn: Connection, guids: list[str]) -> None:
    """Delete these campaign hubs and insert them again, flags left to the triggers: a hub
    inserted into a campaign that already has votes on it."""
    saved = [
        r._asdict()
        for r in conn.execute(
            text(f"SELECT {REINSERTED} FROM campaign_hubs WHERE guid IN :g").bindparams(
                bindparam("g", expanding=True)
            ),
            {"g": guids},
        )
    ]
    conn.execute(
        text("DELETE FROM campaign_hubs WHERE guid IN :g").bindparams(
            bindparam("g", expanding=True)
        ),
        {"g": guids},
    )
    marks = ", ".join(f":{c.strip()}" for c in REINSERTED.split(","))
    conn.execute(text(f"INSERT INTO campaign_hubs ({REINSERTED}) VALUES ({marks})"), saved)


def test_a_change_of_supplier_by_reimport_moves_the_counts(
    client: TestClient, estate: Estate, container: Container
) -> None:
    """The real inventory import (UPSERT on SQLite, COPY + INSERT ... ON CONFLICT on
    PostgreSQL) moves a hub's counts to its new supplier; SR 11.9 and GET campaign follow."""
    hubs = load_hubs(client, estate)
    campaign = create_campaign(client, estate, create_release(client, estate))
    a_id, b_id = (_party(container.engine, code) for code in (SUPPLIER_A, SUPPLIER_B))
    # Votes on both sides of split hubs and on the hubs that move, before the re-import.
    vote(container, hubs.split_ab[:3] + hubs.a_only[:2], a_id, "SafeLaunch")
    vote(container, hubs.split_ab[1:] + hubs.a_only[1:2], b_id, "SafeLaunch")
    assert_exact(container.engine, container)
    moved = hubs.a_only[:2]
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "text/csv"},
        content=csv_body(*[hub_line(g, importer=SUPPLIER_B, gas=SUPPLIER_B) for g in moved]),
    )
    assert r.status_code == 200, r.text
    assert_exact(container.engine, container)
    with container.uow() as uow:
        assert uow.campaigns.get(campaign["campaign_id"]) is not None
        row = uow.campaigns.internal_id(campaign["campaign_id"])
        b_counts = uow.estate.campaign_counts(row, b_id)
        a_counts = uow.estate.campaign_counts(row, a_id)
    # B: its 3 own + 4 split + the 2 moved; A: 5 own - 2 moved + 4 split.
    assert sum(b_counts.values()) == len(hubs.b_only) + len(hubs.split_ab) + 2
    assert sum(a_counts.values()) == len(hubs.a_only) - 2 + len(hubs.split_ab)
    # Pilot composition moves hubs between stages: their safe-launch votes stop counting.
    with container.uow() as uow:
        uow.pilot.set_members(row, hubs.split_ab[:2] + moved)
        uow.commit()
    assert_exact(container.engine, container)
    with container.uow() as uow:
        uow.pilot.set_members(row, hubs.split_ab[1:2])
        uow.commit()
    assert_exact(container.engine, container)
    # Split hubs with both suppliers' votes, one of them in the pilot, swap sides; on
    # PostgreSQL the import writes such moves set-based (migration 0016), not row by row.
    r = client.post(
        "/api/v1/inventory/imports",
        headers={**estate.dcc, "Content-Type": "text/csv"},
        content=csv_body(
            *[hub_line(g, importer=SUPPLIER_B, gas=SUPPLIER_A) for g in hubs.split_ab[1:3]]
        ),
    )
    assert r.status_code == 200, r.text
    assert_exact(container.engine, container)


def _party(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT id FROM parties WHERE code = :c"), {"c": code}).scalar_one()
        )


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


def test_instructions_mark_their_votes_exactly(
    client: TestClient, estate: Estate, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # covers: BR5.4, BR3.3
    # An instruction marks its supplier's vote in the same row write as the plan (not by the
    # vote trigger's second write): named GUIDs with split hubs left waiting, the other
    # supplier settling them, then an AllEligible done in chunks by the worker. After each,
    # the tallies and SR 11.9's counts equal the scans of the votes themselves.
    monkeypatch.setattr(instructions, "MIN_SAFE_LAUNCH_BATCH", 1)  # small named batches
    hubs = load_hubs(client, estate)
    cid = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    when = START + timedelta(days=120)

    def instruct(headers: dict[str, str], who: str, guids: list[str] | None) -> str:
        body = sr.instruction(cid, when, guids)
        r, doc = sr.post(client, headers, sr.envelope(who, "11.7", body))
        assert r.status_code in (200, 202), r.text
        return sr.code(doc)

    assert instruct(estate.supplier_a, SUPPLIER_A, hubs.a_only[:2] + hubs.split_ab[:2]) == "I0"
    assert_exact(container.engine, container)
    assert instruct(estate.supplier_b, SUPPLIER_B, hubs.split_ab[:1]) == "I0"
    assert_exact(container.engine, container)
    monkeypatch.setattr(instructions, "LARGE_INSTRUCTION_HUBS", 3)
    assert instruct(estate.supplier_b, SUPPLIER_B, None) == "I99"
    advance_instruction_jobs(container.uow, container.clock.now, chunk=2)
    assert_exact(container.engine, container)
    with container.engine.connect() as conn:
        marked = conn.execute(
            text("SELECT count(*) FROM campaign_hubs WHERE import_voted OR gas_voted")
        ).scalar_one()
    assert marked > 0
