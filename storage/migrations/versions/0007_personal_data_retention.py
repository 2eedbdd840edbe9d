"""personal data with an end: a chef remembers when they left the roster and when retention
removed their identity; an organisation has its own retention for the audit log, whose rows
are found by organisation and time

Chefs who were already off the roster get the time of their last change as the time they left:
the roster import that deactivated them is the last thing that touched them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chef", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("left_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("removed_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(sa.text("UPDATE chef SET left_at = updated_at WHERE NOT active"))
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        # existing organisations get the default: three years
        batch_op.add_column(
            sa.Column("audit_retention_months", sa.Integer(), nullable=False, server_default="36")
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_event_organisation_at", ["organisation_id", "at"], unique=False
        )


def downgrade() -> None:
    # a tombstone stays a chef off the roster, without a name: 0006 holds it as it is
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_organisation_at")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("audit_retention_months")
    with op.batch_alter_table("chef", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
        batch_op.drop_column("left_at")
