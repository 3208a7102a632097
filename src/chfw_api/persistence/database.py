"""Engine construction: SQLite tuned for a concurrent service, PostgreSQL through psycopg 3."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

IMMEDIATE = "chfw_sqlite_immediate"


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them to psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        )
        _tune_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"options": f"-c random_page_cost={PG_RANDOM_PAGE_COST}"},
    )


PG_RANDOM_PAGE_COST = 1.1
"""The planner's price of a random page read, for chfw's own sessions (the server default is 4,
a spinning disk's). Chunked writes join 50,000 rows to estate-sized tables: priced at 4, an
index probe per row looks dearer than hashing the whole of `hubs` or `campaign_hubs`, so every
chunk (and every trigger on it) scanned the estate: at 1,000,000 hubs the tally trigger hashed
all of `hubs` for each 46,507-row chunk (320 ms of 467). At 1.1, the usual figure for SSDs and
for a working set in memory, it probes, and a chunk costs its own size."""


SQLITE_CACHE_KIB = 64 * 1024
"""Page cache per SQLite connection, allocated as used. Measured on a 1,000,000-hub estate:
the inventory import peaks at 245 MB RSS with it (156 MB with SQLite's 2 MB default, budget
300 MB) and runs 1.56x its floor instead of 1.76x; a 50,000-result CSP upload stops spilling
dirty pages mid-statement. 32 MiB gave 204 MB but 1.83x."""


def _md5_hex(value: str | None) -> str | None:
    if value is None:
        return None
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers, a busy timeout for writers, FKs on, and explicit BEGIN.

    pysqlite's own transaction handling defers BEGIN and cannot do BEGIN IMMEDIATE; we take it
    over (the documented SQLAlchemy recipe) so writers can claim the lock up front.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # A 50,000-hub upload dirties tens of MB of pages: with SQLite's default 2 MB cache
        # they spill to the WAL mid-statement and are read back. Allocated only as used.
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()
        # PostgreSQL's md5() (hex text): the pilot group's seeded order is read in SQL on both.
        dbapi_conn.create_function("md5", 1, _md5_hex, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that reads and then
        # writes can fail with SQLITE_BUSY when another writer committed in between.
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
