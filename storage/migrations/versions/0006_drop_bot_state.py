"""drop bot_state: the Bot Framework's conversation and user state held nothing (the check-in
resumes from the answer tables), so the table and its store are gone

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("bot_state")


def downgrade() -> None:
    # the table as 0002 made it, empty: nothing in it was ever read back
    op.create_table(
        "bot_state",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
