"""Models and migrations agree on every backend (CI also runs `chfw db check`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.pilot import pilot_band
from chfw_api.persistence.database import make_engine
from chfw_api.persistence.migrations import current_revision, drift, upgrade
from tests.conftest import BACKENDS, _create_pg_database


def test_database_at_head_matches_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is not None
        assert drift(engine) == []
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of the backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url, admin = _create_pg_database()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


def test_the_pilot_band_of_hubs_already_imported_is_the_domains(fresh_url: str) -> None:
    # covers: BR2.2
    # Migration 0017 fills the band of an existing estate in SQL on PostgreSQL, in Python on
    # SQLite; a sample reads hubs by it, so it must be the domain's band for every hub.
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0016")
        guids = [guid_from_int(i * 7919) for i in range(2_000)]
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO hubs (guid, manufacturer, model, firmware_version, status, "
                     "csp_region, production_proving, friendly_customer, pilot_excluded) VALUES "
                     "(:g, 'M', 'KC-200', '0100A2F3', 'Commissioned', 'North', false, false, "
                     "false)"),
                [{"g": g} for g in guids],
            )  # fmt: skip
        upgrade(engine)
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT guid, pilot_band FROM hubs")).all())
        assert stored == {g: pilot_band(g) for g in guids}
        assert len(set(stored.values())) > 800
        assert drift(engine) == []
    finally:
        engine.dispose()
