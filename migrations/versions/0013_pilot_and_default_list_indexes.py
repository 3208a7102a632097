"""campaign hubs: partial indexes for the pilot group and the CSP's Default Pilot List

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:00:00

SR 11.9 asks whether the CSP's Default Pilot List has arrived, and AD11 monitoring and pilot
selection read the pilot group: a few hundred hubs each, found by scanning every campaign hub
(0.8 s per SR 11.9 at 10,000,000 hubs, bench/national.py). Partial indexes hold only those
rows (issue #12.4: reads cost what they return).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_campaign_hubs_pilot", "in_pilot"),
    ("ix_campaign_hubs_default_list", "in_default_list"),
)


def upgrade() -> None:
    for name, flag in INDEXES:
        op.create_index(
            name,
            "campaign_hubs",
            ["campaign_id", "guid"],
            unique=False,
            postgresql_where=sa.text(flag),
            sqlite_where=sa.text(flag),
        )


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="campaign_hubs")
