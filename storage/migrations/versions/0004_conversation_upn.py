"""conversation reference keeps the user's UPN (to find HR admins granted by UPN); a round
remembers when its results (digest, feedback) were queued

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_ref", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upn", sa.String(length=320), nullable=True))
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("results_queued_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("results_queued_at")
    with op.batch_alter_table("conversation_ref", schema=None) as batch_op:
        batch_op.drop_column("upn")
