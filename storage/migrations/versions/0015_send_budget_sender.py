"""One replica sends for a tenant at a time: the send budget's sender and its lease

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("send_budget", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sender_until", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("send_budget", schema=None) as batch_op:
        batch_op.drop_column("sender_until")
        batch_op.drop_column("sender")
