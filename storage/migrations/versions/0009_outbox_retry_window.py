"""outbox retry window: since when a message has failed, and how often it was queued again

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failing_since", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("requeues", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("requeues")
        batch_op.drop_column("failing_since")
