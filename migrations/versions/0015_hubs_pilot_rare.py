"""hubs: a partial index of the rare production-proving and pilot-excluded hubs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 06:10:00

Composing the pilot group reads the hubs someone put forward, production-proving hubs among
them (AD10). It asked for them with one OR across `campaign_hubs` and `hubs`, which no index
can serve, so every SR 11.5 and AD09 read the whole campaign. Each source is now read by its
own index; this one holds the production-proving and pilot-excluded hubs (RA03), about 0.05%
of an estate (issue #12.4: reads cost what they return).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RARE = "production_proving OR pilot_excluded"


def upgrade() -> None:
    op.create_index(
        "ix_hubs_pilot_rare",
        "hubs",
        ["guid"],
        unique=False,
        postgresql_where=sa.text(RARE),
        sqlite_where=sa.text(RARE),
    )


def downgrade() -> None:
    op.drop_index("ix_hubs_pilot_rare", table_name="hubs")
