"""webhook endpoints, deliveries, feed cursors

Deliveries keep 30% free room per page on PostgreSQL so that claims (which touch no indexed
column) are HOT updates.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:57:55.565869
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chfw_api.persistence.tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_cursors",
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_feed_cursors_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_feed_cursors")),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disabled_reason", sa.String(length=300), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column(
            "previous_secret_expires_at",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'disabled')", name=op.f("ck_webhook_endpoints_status")
        ),
        sa.CheckConstraint("batch_size >= 1", name=op.f("ck_webhook_endpoints_batch_size")),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_webhook_endpoints_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoints_party_id"), ["party_id"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_row_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "due_at", chfw_api.persistence.tables.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "leased_until",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("lease_token", sa.String(length=40), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "delivered_at",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("latency_ms", sa.BigInteger(), nullable=True),
        sa.Column(
            "dead_at", chfw_api.persistence.tables.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'delivered', 'dead')", name=op.f("ck_deliveries_state")
        ),
        sa.ForeignKeyConstraint(
            ["alert_row_id"], ["alerts.id"], name=op.f("fk_deliveries_alert_row_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("alert_row_id", "endpoint_id", name=op.f("uq_deliveries_alert_row_id")),
        postgresql_with={"fillfactor": 70},
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_claim", ["endpoint_id", "state", "due_at"], unique=False
        )

    op.create_table(
        "webhook_endpoint_codes",
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_endpoint_codes_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("endpoint_id", "code", name=op.f("pk_webhook_endpoint_codes")),
    )


def downgrade() -> None:
    op.drop_table("webhook_endpoint_codes")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_claim")

    op.drop_table("deliveries")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_endpoints_party_id"))

    op.drop_table("webhook_endpoints")
    op.drop_table("feed_cursors")
