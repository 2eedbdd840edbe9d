"""consortium: one programme shared by several organisations (its owner, its members and the
members' copies of the plan) and what it published per half-year, compiled across members

No personal data: organisations, programmes and figures after the privacy rules only.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consortium",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id"),
    )
    with op.batch_alter_table("consortium", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consortium_organisation_id"), ["organisation_id"], unique=False
        )
    op.create_table(
        "consortium_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("left_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["consortium_id"], ["consortium.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consortium_id", "organisation_id"),
    )
    with op.batch_alter_table("consortium_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consortium_member_consortium_id"), ["consortium_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consortium_member_organisation_id"), ["organisation_id"], unique=False
        )
    op.create_table(
        "consortium_publication",
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("published_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["consortium_id"], ["consortium.id"]),
        sa.PrimaryKeyConstraint("consortium_id", "period"),
    )


def downgrade() -> None:
    op.drop_table("consortium_publication")
    with op.batch_alter_table("consortium_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consortium_member_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_consortium_member_consortium_id"))
    op.drop_table("consortium_member")
    with op.batch_alter_table("consortium", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consortium_organisation_id"))
    op.drop_table("consortium")
