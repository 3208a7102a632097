"""A re-import that changes hubs' suppliers, beside a writer of the same campaign's hubs.

The import's supplier trigger rewrites each moved hub's campaign hubs (their vote flags) one
hub at a time in the file's order, while an SR, an upload or an instruction chunk writes the
same campaign hubs in an order of its own. Every such writer takes the campaign row first, so
two of them never cross; the import must too, or PostgreSQL aborts one of the pair as a
deadlock (issue #12, several processes). SQLite has one writer at a time: nothing to cross.
"""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from chfw_api.bootstrap import Container
from tests.integration.campaign_fixtures import create_campaign, create_release, load_hubs
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate, csv_body, hub_line
from tests.integration.test_hub_tallies import _party, assert_exact, vote


def _waiting_on_a_lock(conn: Connection, besides: int, timeout: float = 30.0) -> None:
    """Returns once a backend other than `besides` waits for a lock (the import, blocked)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                 "AND pid <> :me AND datname = current_database()"), {"me": besides},
        ).scalar_one()  # fmt: skip
        conn.rollback()  # pg_stat_activity is read once per transaction
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the import never waited for the writer")


def test_a_reimport_moving_suppliers_waits_for_a_writer_of_the_campaign(
    client: TestClient, estate: Estate, container: Container
) -> None:
    if container.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with its one write lock")
    hubs = load_hubs(client, estate)
    campaign = create_campaign(client, estate, create_release(client, estate))
    cid = campaign["campaign_id"]
    first, second = hubs.split_ab[0], hubs.split_ab[1]
    # B (gas) has voted on both, so moving their gas supply to A clears the gas vote flag of
    # both campaign hubs: the import's trigger must write both rows.
    vote(container, [first, second], _party(container.engine, SUPPLIER_B), "SafeLaunch")
    body = csv_body(*[hub_line(g, importer=SUPPLIER_A, gas=SUPPLIER_A) for g in (first, second)])
    outcome: list[object] = []

    def reimport() -> None:
        try:
            outcome.append(
                client.post(
                    "/api/v1/inventory/imports",
                    headers={**estate.dcc, "Content-Type": "text/csv"},
                    content=body,
                )
            )
        except BaseException as exc:  # reported by the assertion below
            outcome.append(exc)

    engine = container.engine
    with engine.connect() as writer, engine.connect() as watcher:
        trans = writer.begin()
        me = writer.execute(text("SELECT pg_backend_pid()")).scalar_one()
        row = writer.execute(
            text("SELECT id FROM campaigns WHERE campaign_id = :c FOR UPDATE"), {"c": cid}
        ).scalar_one()
        touch = text(
            "UPDATE campaign_hubs SET failure_reason = NULL WHERE campaign_id = :r AND guid = :g"
        )
        # The writer holds the campaign and the second hub; the import, moving the first hub
        # then the second, must not take the first before waiting.
        writer.execute(touch, {"r": row, "g": second})
        thread = threading.Thread(target=reimport)
        thread.start()
        _waiting_on_a_lock(watcher, besides=me)
        writer.execute(touch, {"r": row, "g": first})  # a deadlock would be found here
        trans.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    response = outcome[0]
    assert not isinstance(response, BaseException), response
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    with engine.connect() as conn:
        gas_voted = conn.execute(
            text("SELECT guid, gas_voted FROM campaign_hubs WHERE guid IN (:a, :b)"),
            {"a": first, "b": second},
        ).all()
    assert {g: v for g, v in gas_voted} == {first: False, second: False}
    assert_exact(engine, container)
