"""HR's analysis and next steps kept with a round, for the board's report

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("analysis", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("next_steps", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("analysis_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("analysis_at")
        batch_op.drop_column("next_steps")
        batch_op.drop_column("analysis")
