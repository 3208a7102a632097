"""Models and migrations agree on every backend (CI also runs `chfw db check`)."""

from __future__ import annotations

from chfw_api.persistence.database import make_engine
from chfw_api.persistence.migrations import current_revision, drift


def test_database_at_head_matches_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is not None
        assert drift(engine) == []
    finally:
        engine.dispose()
