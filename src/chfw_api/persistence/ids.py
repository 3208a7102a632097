"""Allocating primary keys before insert, so a row's public ID can be built from its key."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session


def next_ids(session: Session, column: InstrumentedAttribute[int], n: int) -> list[int]:
    """`n` fresh keys for `column`: the sequence on PostgreSQL; max+1.. on SQLite, which is safe
    because every writing unit of work holds SQLite's write lock (BEGIN IMMEDIATE)."""
    conn = session.connection()
    table = column.class_.__tablename__
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', '{column.key}')) "
            "FROM generate_series(1, %(n)s)",
            {"n": n},
        )
        return [int(r[0]) for r in rows]
    top = session.scalar(select(func.coalesce(func.max(column), 0))) or 0
    return list(range(top + 1, top + n + 1))
