"""hubs: a pilot band per hub, indexed by supplier, so that a pilot sample reads one band

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 10:00:00

A pilot sample by selection rules (SR 11.5, and DCC's own for a silent supplier, AD09) read
every one of the supplier's hubs to pick 300 of them (issue #12.4: at most 100 ms at
10,000,000 hubs). Each hub now carries a band, the first 14 bits of the MD5 of its GUID
(`domain.pilot.pilot_band`), and each role's supplier index leads to it, so a sample reads
its supplier's hubs of a band or two (1/16,384 of them each) and only reads more when that is
not enough. Equal keys share one index entry (deduplicated), so the index stays small enough
for a bulk import to write it in memory (an index ordered by a hash of each hub made a first
import of 2,000,000 hubs 38% slower).

Composing the pilot group read every production-proving hub (5,000 at 10,000,000 hubs) with
its row and probed each in the campaign; a covering partial index now gives them in the
group's order, and only the first few hundred are looked up in the campaign.
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The first 14 bits of MD5(guid): byte 0, then the top six bits of byte 1.
_PG_BAND = (
    "get_byte(decode(md5(guid), 'hex'), 0) * 64 + (get_byte(decode(md5(guid), 'hex'), 1) >> 2)"
)


def _band(guid: str) -> int:
    return int(hashlib.md5(guid.encode(), usedforsecurity=False).hexdigest()[:4], 16) >> 2


PROVING = "production_proving AND NOT pilot_excluded"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.add_column("hubs", sa.Column("pilot_band", sa.SmallInteger(), nullable=True))
        op.execute(f"UPDATE hubs SET pilot_band = {_PG_BAND}")
        op.alter_column("hubs", "pilot_band", existing_type=sa.SmallInteger(), nullable=False)
    else:
        # SQLite adds a NOT NULL column only with a default, and drops one only by rebuilding
        # the table (which would drop its triggers): the default stays, every writer sets it.
        op.execute("ALTER TABLE hubs ADD COLUMN pilot_band SMALLINT NOT NULL DEFAULT 0")
        guids = [row[0] for row in bind.execute(sa.text("SELECT guid FROM hubs"))]
        for start in range(0, len(guids), 10_000):
            bind.execute(
                sa.text("UPDATE hubs SET pilot_band = :b WHERE guid = :g"),
                [{"b": _band(g), "g": g} for g in guids[start : start + 10_000]],
            )
    op.create_index(
        "ix_hubs_import_pilot_band",
        "hubs",
        ["import_supplier_id", "friendly_customer", "pilot_band"],
        unique=False,
    )
    op.create_index(
        "ix_hubs_gas_pilot_band",
        "hubs",
        ["gas_supplier_id", "friendly_customer", "pilot_band"],
        unique=False,
    )
    op.create_index(
        "ix_hubs_proving",
        "hubs",
        ["guid"],
        unique=False,
        postgresql_include=["import_supplier_id", "gas_supplier_id", "friendly_customer"],
        postgresql_where=sa.text(PROVING),
        sqlite_where=sa.text(PROVING),
    )


def downgrade() -> None:
    op.drop_index("ix_hubs_proving", table_name="hubs")
    op.drop_index("ix_hubs_gas_pilot_band", table_name="hubs")
    op.drop_index("ix_hubs_import_pilot_band", table_name="hubs")
    op.drop_column("hubs", "pilot_band")
