"""Planner statistics follow a bulk write (persistence/statistics.py): right after a large write
on PostgreSQL, the table's statistics already count the new rows, so the next query is planned
for millions, not for the handful autovacuum last saw."""

from __future__ import annotations

from sqlalchemy import text

from chfw_api.bootstrap import Container
from chfw_api.persistence.statistics import BULK_ROWS, refresh_after_bulk_write


def test_a_bulk_write_refreshes_the_statistics_and_a_small_one_does_not(
    container: Container,
) -> None:
    with container.engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            assert refresh_after_bulk_write(conn, "hubs", 10**9) is False  # SQLite: nothing to do
            return
        conn.execute(text("ANALYZE hubs"))
        conn.execute(
            text(
                "INSERT INTO hubs (guid, manufacturer, model, firmware_version, status, "
                "csp_region, production_proving, friendly_customer, pilot_excluded, pilot_band) "
                "SELECT lpad(to_hex(n), 23, '0'), 'M', 'X', '00000001', 'Commissioned', "
                "'North', false, false, false, n % 1024 FROM generate_series(1, :n) AS n"
            ),
            {"n": BULK_ROWS},
        )
        assert refresh_after_bulk_write(conn, "hubs", BULK_ROWS - 1) is False
        before = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'hubs'"))
        assert (before.scalar() or 0) < BULK_ROWS
        assert refresh_after_bulk_write(conn, "hubs", BULK_ROWS) is True
        after = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'hubs'"))
        assert (after.scalar() or 0) >= BULK_ROWS * 0.9
        conn.rollback()
