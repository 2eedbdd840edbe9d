"""one language per person: the organisation's default (Swedish) and a person's own choice

A person's choice sits on their conversation reference: one per person in Teams, HR admins who
are no chefs included, removed with it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("default_language", sa.String(length=2), server_default="sv", nullable=False)
        )
    with op.batch_alter_table("conversation_ref", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chosen_language", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation_ref", schema=None) as batch_op:
        batch_op.drop_column("chosen_language")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("default_language")
