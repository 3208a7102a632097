"""instruction jobs: large named instructions, their GUIDs waiting for the worker

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 05:00:00

An SR 11.7 naming hundreds of thousands of GUIDs was one transaction under the campaign lock
(38.6 s for 300,000 on PostgreSQL, bench/large_request.py). Past one chunk it is now screened
and answered I99 at once, and the worker completes it in chunks as it does AllEligible (issue
#12, goal 1): the accepted GUIDs wait in `instruction_job_guids` until their chunk is done.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instruction_jobs") as batch:
        batch.add_column(
            sa.Column("named", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "instruction_job_guids",
        sa.Column("instruction_id", sa.String(length=40), nullable=False),
        sa.Column("guid", sa.String(length=23), nullable=False),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["instruction_jobs.instruction_id"],
            name=op.f("fk_instruction_job_guids_instruction_id_instruction_jobs"),
        ),
        sa.PrimaryKeyConstraint("instruction_id", "guid", name=op.f("pk_instruction_job_guids")),
    )


def downgrade() -> None:
    op.drop_table("instruction_job_guids")
    with op.batch_alter_table("instruction_jobs") as batch:
        batch.drop_column("named")
