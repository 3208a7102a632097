"""Helpers for the few bulk paths that talk to the driver directly (executemany, COPY).

Driver-level parameters bypass SQLAlchemy's types, so values must already be in the form each
column stores: aware datetimes for PostgreSQL, SQLAlchemy's text format (UTC) for SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection


def placeholder(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def db_datetime(conn: Connection, at: datetime) -> object:
    if conn.dialect.name == "postgresql":
        return at
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def copy_rows(conn: Connection, target: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """PostgreSQL only: `COPY target FROM STDIN` of `rows` (target: `table (col, ...)`), the
    fastest way in, several times psycopg's executemany."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fetch_all(conn: Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows as the driver's plain tuples: for reads of tens of thousands of rows, where
    SQLAlchemy's row objects (and pysqlite's row-at-a-time fetch) would cost several times
    the query. Named parameters: `:name` on SQLite, `%(name)s` on PostgreSQL."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        cur.close()
