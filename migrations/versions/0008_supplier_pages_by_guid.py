"""campaign hubs: supplier indexes carry the GUID, so a supplier's keyset page reads only itself

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 12:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_hubs", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_hubs_import")
        batch_op.drop_index("ix_campaign_hubs_gas")
        batch_op.create_index(
            "ix_campaign_hubs_import", ["campaign_id", "import_supplier_id", "guid"], unique=False
        )
        batch_op.create_index(
            "ix_campaign_hubs_gas", ["campaign_id", "gas_supplier_id", "guid"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_hubs", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_hubs_import")
        batch_op.drop_index("ix_campaign_hubs_gas")
        batch_op.create_index(
            "ix_campaign_hubs_import", ["campaign_id", "import_supplier_id"], unique=False
        )
        batch_op.create_index(
            "ix_campaign_hubs_gas", ["campaign_id", "gas_supplier_id"], unique=False
        )
