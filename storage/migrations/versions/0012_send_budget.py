"""a send budget per tenant shared by every replica: each organisation's own rate, the budget's
state (its next slot and Teams' pause) and an index to find a chef's messages

No rows are made here: a tenant's budget row is made the first time a message of it is claimed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_rate", sa.Float(), nullable=True))
    op.create_table(
        "send_budget",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("next_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("paused_until", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chef", ["chef_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chef")
    op.drop_table("send_budget")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("send_rate")
