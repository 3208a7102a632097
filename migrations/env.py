"""Alembic environment: the engine comes from the caller (chfw db upgrade) or CHFW_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from chfw_api.config import Settings
from chfw_api.persistence.database import make_engine
from chfw_api.persistence.tables import Base

config = context.config
target_metadata = Base.metadata

engine = config.attributes.get("engine")
if engine is None:
    engine = make_engine(Settings().database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
