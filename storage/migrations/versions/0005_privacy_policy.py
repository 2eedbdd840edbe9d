"""the organisation's privacy policy (what retention does, what a chef's erasure keeps); a round
remembers when retention ran; an invitation can be detached from its chef, keeping a snapshot of
the chef's department (and why they could not be reached) so the round's digest still adds up

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        # existing organisations get the defaults: anonymise, keep identified statuses
        batch_op.add_column(
            sa.Column(
                "retention_action",
                sa.String(length=12),
                nullable=False,
                server_default="anonymise",
            )
        )
        batch_op.add_column(
            sa.Column(
                "keep_identified_statuses",
                sa.Boolean(),
                nullable=False,
                server_default=sa.true(),
            )
        )
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retained_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unreachable_code", sa.String(length=80), nullable=True))
        batch_op.create_foreign_key(
            "fk_invitation_department_id", "department", ["department_id"], ["id"]
        )
        batch_op.alter_column("chef_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    detached = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM invitation WHERE chef_id IS NULL"))
        .scalar_one()
    )
    if detached:
        # 0004 has no place for an answer without its chef; better stop than delete answers
        raise RuntimeError(
            f"{detached} invitations were anonymised by retention; 0004 cannot hold them"
        )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.alter_column("chef_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("fk_invitation_department_id", type_="foreignkey")
        batch_op.drop_column("unreachable_code")
        batch_op.drop_column("department_id")
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("retained_at")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("keep_identified_statuses")
        batch_op.drop_column("retention_action")
