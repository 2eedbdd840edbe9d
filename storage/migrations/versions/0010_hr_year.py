"""a real HR year: invitations remember the chef's department and unit, answers changed after
sending wait as drafts, HR's files from Teams wait for confirmation, activities can be ended

Existing invitations get the department and unit their chef has now (the best there is: the
chef's department when they were invited was never recorded before).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit", sa.String(length=200), server_default="", nullable=False)
        )
    op.execute(
        sa.text(
            "UPDATE invitation SET"
            " department_id = (SELECT chef.department_id FROM chef"
            " WHERE chef.id = invitation.chef_id),"
            " unit = COALESCE((SELECT chef.unit FROM chef WHERE chef.id = invitation.chef_id), '')"
            " WHERE chef_id IS NOT NULL AND department_id IS NULL"
        )
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "answer_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id", "step"),
    )
    op.create_index(
        op.f("ix_answer_draft_invitation_id"), "answer_draft", ["invitation_id"], unique=False
    )
    op.create_table(
        "pending_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index(
        op.f("ix_pending_import_organisation_id"),
        "pending_import",
        ["organisation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_import_organisation_id"), table_name="pending_import")
    op.drop_table("pending_import")
    op.drop_index(op.f("ix_answer_draft_invitation_id"), table_name="answer_draft")
    op.drop_table("answer_draft")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("unit")
