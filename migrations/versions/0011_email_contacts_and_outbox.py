"""email contacts and outbox: who gets process-level notices by email, and the queue
(issue #14)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 14:54:46.983053
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chfw_api.persistence.tables

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("notices", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_email_contacts_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_contacts")),
        sa.UniqueConstraint("party_id", "address", name=op.f("uq_email_contacts_party_id")),
    )
    with op.batch_alter_table("email_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_contacts_party_id"), ["party_id"], unique=False)

    op.create_table(
        "email_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("campaign_id", sa.String(length=40), nullable=True),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "due_at", chfw_api.persistence.tables.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "leased_until",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("lease_token", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            chfw_api.persistence.tables.base.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "sent_at", chfw_api.persistence.tables.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "dead_at", chfw_api.persistence.tables.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'dead')", name=op.f("ck_email_outbox_state")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["email_contacts.id"],
            name=op.f("fk_email_outbox_contact_id_email_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_email_outbox_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_email_outbox_message_id")),
    )
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_email_outbox_claim", ["state", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_email_outbox_contact_id"), ["contact_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("email_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_outbox_contact_id"))
        batch_op.drop_index("ix_email_outbox_claim")

    op.drop_table("email_outbox")
    with op.batch_alter_table("email_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_contacts_party_id"))

    op.drop_table("email_contacts")
