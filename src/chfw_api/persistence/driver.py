"""Helpers for the few bulk paths that talk to the driver directly (executemany, COPY).

Driver-level parameters bypass SQLAlchemy's types, so values must already be in the form each
column stores: aware datetimes for PostgreSQL, SQLAlchemy's text format (UTC) for SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Connection


def placeholder(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def db_datetime(conn: Connection, at: datetime) -> object:
    if conn.dialect.name == "postgresql":
        return at
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
