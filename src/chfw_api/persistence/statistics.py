"""Planner statistics refreshed right after a bulk write, on PostgreSQL.

PostgreSQL plans from statistics that autovacuum refreshes only after a delay (its naptime, a
minute by default, then a share of the table's rows changed): right after an inventory import,
a campaign's creation or an AllEligible instruction, the planner still believes the table holds
a handful of rows and picks nested loops over what are now millions. Measured on a 20,000-hub
estate just after every supplier instructed AllEligible (bench/soak.py): SR 11.9's split-hub
query took 10.1 s with the stale figures and 16 ms after ANALYZE. ANALYZE samples a fixed
number of rows (cost flat in the table's size, ~0.1-0.3 s) and, run inside the writing
transaction, counts that transaction's own rows and commits with it.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

LOCK_NOT_AVAILABLE = "55P03"

BULK_ROWS = 10_000
"""Writes smaller than this leave the statistics to autovacuum."""


def refresh_after_bulk_write(conn: Connection, table: str, rows_written: int) -> bool:
    """ANALYZE `table` when `rows_written` is at least BULK_ROWS and at least a tenth of the rows
    the planner believes it holds; returns whether it did."""
    if conn.dialect.name != "postgresql" or rows_written < BULK_ROWS:
        return False
    believed = conn.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = %(t)s::regclass", {"t": table}
    ).scalar()
    if believed is not None and believed >= 0 and rows_written * 10 < believed:
        return False
    # ANALYZE holds its lock until this transaction ends; two writers each analysing while
    # waiting on the other's rows would deadlock (bench/soak.py found it). So it waits 50 ms at
    # most, in a savepoint, and is left to the next bulk write or autovacuum when it cannot.
    savepoint = conn.begin_nested()
    try:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
        conn.exec_driver_sql(f"ANALYZE {table}")
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        savepoint.rollback()  # (which also undoes the SET LOCAL made inside it)
        return False
    savepoint.commit()
    conn.exec_driver_sql("SET LOCAL lock_timeout TO DEFAULT")
    return True
