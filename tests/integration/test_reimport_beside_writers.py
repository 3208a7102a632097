"""A re-import that changes hubs' suppliers, beside a writer of the same campaign's hubs.

A change of supplier rewrites the moved hub's campaign hubs (counts and vote flags), while an
SR, an upload or an instruction chunk writes the same campaign hubs in an order of its own.
Every such writer takes the campaign row first, so two of them never cross; the import must
too (it did not: its row trigger wrote them one hub at a time in the file's order, and
PostgreSQL aborted one of the pair as a deadlock; issue #12, several processes). SQLite has
one writer at a time: nothing to cross.
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


class _Reimport:
    """Split hubs `first` and `second`, both voted by their gas supplier B, in a campaign; a
    file moving both to A alone (clearing both campaign hubs' gas vote flags), posted from a
    thread of its own once `start` is called."""

    def __init__(self, client: TestClient, estate: Estate, container: Container) -> None:
        if container.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers with its one write lock")
        hubs = load_hubs(client, estate)
        self.campaign = create_campaign(client, estate, create_release(client, estate))
        self.first, self.second = hubs.split_ab[0], hubs.split_ab[1]
        vote(container, [self.first, self.second], _party(container.engine, SUPPLIER_B),
             "SafeLaunch")  # fmt: skip
        self._body = csv_body(
            *[hub_line(g, importer=SUPPLIER_A, gas=SUPPLIER_A) for g in (self.first, self.second)]
        )
        self._client, self._estate, self._container = client, estate, container
        self._outcome: list[object] = []
        self._thread = threading.Thread(target=self._post)

    def _post(self) -> None:
        try:
            self._outcome.append(
                self._client.post(
                    "/api/v1/inventory/imports",
                    headers={**self._estate.dcc, "Content-Type": "text/csv"},
                    content=self._body,
                )
            )
        except BaseException as exc:  # reported by `assert_imported`
            self._outcome.append(exc)

    def start(self) -> None:
        self._thread.start()

    def assert_imported(self) -> None:
        self._thread.join(timeout=60)
        assert not self._thread.is_alive()
        response = self._outcome[0]
        assert not isinstance(response, BaseException), response
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]
        engine = self._container.engine
        with engine.connect() as conn:
            gas_voted = conn.execute(
                text("SELECT guid, gas_voted FROM campaign_hubs WHERE guid IN (:a, :b)"),
                {"a": self.first, "b": self.second},
            ).all()
        assert {g: v for g, v in gas_voted} == {self.first: False, self.second: False}
        assert_exact(engine, self._container)


def _hold_campaign(writer: Connection, campaign_id: str) -> tuple[int, int]:
    """What every writer of a campaign's hubs takes first; (its backend pid, the row id)."""
    me = writer.execute(text("SELECT pg_backend_pid()")).scalar_one()
    row = writer.execute(
        text("SELECT id FROM campaigns WHERE campaign_id = :c FOR UPDATE"), {"c": campaign_id}
    ).scalar_one()
    return me, row


def test_a_reimport_moving_suppliers_waits_for_a_writer_of_the_campaign(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # An SR or instruction chunk: it holds the campaign and writes campaign hubs. The
    # import, moving the first hub then the second, must not take the first before waiting.
    reimport = _Reimport(client, estate, container)
    # A counted change (status), made while the import has written the new suppliers but
    # not yet moved the counts: the writer keys it by the old suppliers, which it still sees.
    touch = text("UPDATE campaign_hubs SET status = 'failed' WHERE campaign_id = :r AND guid = :g")
    with container.engine.connect() as writer, container.engine.connect() as watcher:
        trans = writer.begin()
        me, row = _hold_campaign(writer, reimport.campaign["campaign_id"])
        writer.execute(touch, {"r": row, "g": reimport.second})
        reimport.start()
        _waiting_on_a_lock(watcher, besides=me)
        writer.execute(touch, {"r": row, "g": reimport.first})  # a deadlock would be found here
        trans.commit()
    reimport.assert_imported()


def test_a_reimport_lets_an_upload_waiting_on_its_hubs_through(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # An activation upload: it holds the campaign, then writes a hub's firmware version. The
    # import holds every hub row of its file from its upsert on, and then waits for the
    # campaign: each waits on the other. The import must yield (undo its upsert, wait for the
    # campaign, upsert again), not fail after all its work, nor leave the upload to fail.
    reimport = _Reimport(client, estate, container)
    with container.engine.connect() as writer, container.engine.connect() as watcher:
        trans = writer.begin()
        # PostgreSQL aborts whichever waiter looks for the deadlock first; the upload looks
        # late here (a test connection may set this), so the import is the one that finds it.
        writer.execute(text("SET LOCAL deadlock_timeout = '30s'"))
        me, _row = _hold_campaign(writer, reimport.campaign["campaign_id"])
        reimport.start()
        _waiting_on_a_lock(watcher, besides=me)
        writer.execute(
            text("UPDATE hubs SET firmware_version = 'FFFF0001' WHERE guid = :g"),
            {"g": reimport.first},
        )  # waits until the import lets go of the hub
        trans.commit()
    reimport.assert_imported()
