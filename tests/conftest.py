"""Shared fixtures: a real database per backend (SQLite file, PostgreSQL database) per run.

Backends come from CHFW_TEST_BACKENDS (default "sqlite,postgresql"). PostgreSQL is found at
CHFW_TEST_PG_URL (default the local cluster's `test` database); each run creates and drops its
own database there. Locally an unreachable PostgreSQL skips its tests; under CI=true it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from chfw_api.persistence.database import make_engine
from chfw_api.persistence.migrations import upgrade
from chfw_api.persistence.tables import Base

PG_ADMIN_URL = os.environ.get("CHFW_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
BACKENDS = [b.strip() for b in os.environ.get("CHFW_TEST_BACKENDS", "sqlite,postgresql").split(",")]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# The product definition and the published DUIS schema live beside the repository (never
# copied in); CHFW_SHARED_DIR points elsewhere when the checkout is not beside them.
SHARED = Path(
    os.environ.get("CHFW_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared"
)
DUIS_5_4 = SHARED / "duis" / "duis-5.4.xsd"


def duis_5_4_path() -> Path:
    """The published DUIS 5.4 XSD, or a skip saying where it was looked for."""
    if not DUIS_5_4.exists():
        pytest.skip(f"the published DUIS schema is not at {DUIS_5_4} (set CHFW_SHARED_DIR)")
    return DUIS_5_4


def _create_pg_database() -> tuple[str, Engine]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"chfw_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_URL} under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return url, admin


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for this run, one per backend."""
    backend = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "chfw.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    url, admin = _create_pg_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


def wipe(engine: Engine) -> None:
    """Empty every table, children first, so each test starts from a clean database."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # Deleting campaign hubs fires the tally triggers (0006), which write tallies:
            # delete the hubs first so the tallies go with the rest.
            conn.execute(text("DELETE FROM campaign_hubs"))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
