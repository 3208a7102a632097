"""Helpers for the few bulk paths that talk to the driver directly (executemany, COPY).

Driver-level parameters bypass SQLAlchemy's types, so values must already be in the form each
column stores: aware datetimes for PostgreSQL, SQLAlchemy's text format (UTC) for SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from chfw_api.persistence.staged import staged_range
from chfw_api.persistence.tables.base import UtcDateTime


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


def fetch_all(
    conn: Connection, sql: str, params: dict[str, Any] | Sequence[Any]
) -> list[tuple[Any, ...]]:
    """Rows as the driver's plain tuples: for reads of tens of thousands of rows, where
    SQLAlchemy's row objects (and pysqlite's row-at-a-time fetch) would cost several times
    the query. Named parameters (`:name` on SQLite, `%(name)s` on PostgreSQL) from a dict,
    positional ones (`placeholder`) from a sequence."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        cur.close()


def for_guids(
    conn: Connection, sql: str, campaign_key: int, guids: Sequence[str]
) -> tuple[str, dict[str, Any]]:
    """`sql` (with `{mark}` for the campaign key, `{named}` for `IN <the GUIDs>` and `{within}`
    for `BETWEEN <the least and the greatest>`) ready for `fetch_all`: on SQLite the GUIDs are
    one JSON parameter read by `json_each`; on PostgreSQL a temporary table filled by COPY (a
    50,000-element array parameter costs several times more to build and parse, and the planner
    cannot see its size). `{within}` bounds an index scan that a merge join would otherwise
    start at the estate's first GUID (see `persistence/staged.py`)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS chfw_named_guids (guid varchar(23)) "
            "ON COMMIT DELETE ROWS"
        )
        conn.exec_driver_sql("TRUNCATE chfw_named_guids")
        copy_rows(conn, "chfw_named_guids (guid)", ((g,) for g in guids))
        conn.exec_driver_sql("ANALYZE chfw_named_guids")
        named = sql.format(
            mark="%(ck)s",
            named="IN (SELECT guid FROM chfw_named_guids)",
            within=staged_range("chfw_named_guids"),
        )
        return named, {"ck": campaign_key}
    named = sql.format(
        mark=":ck", named="IN (SELECT value FROM json_each(:guids))", within="IS NOT NULL"
    )
    return named, {"ck": campaign_key, "guids": json.dumps(list(guids))}


def datetimes(conn: Connection, *, to_db: bool) -> Callable[[Any], Any]:
    """A converter between datetimes and what a UtcDateTime column holds, for many values (as
    `db_datetime` is for one): SQLite keeps SQLAlchemy's text, converted once per distinct
    value (the rows of one upload share few times); PostgreSQL's driver takes datetimes."""
    if conn.dialect.name == "postgresql":
        return lambda value: value
    impl = UtcDateTime().dialect_impl(conn.dialect)
    process = (
        impl.bind_processor(conn.dialect) if to_db else impl.result_processor(conn.dialect, None)
    )
    assert process is not None
    seen: dict[Any, Any] = {None: None}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            found = seen[value] = process(value)
            return found

    return convert
