"""planned machine downtime

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c2m.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "machine_downtimes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("start", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("end", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("machine_downtimes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_machine_downtimes_machine"), ["machine"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("machine_downtimes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_machine_downtimes_machine"))
    op.drop_table("machine_downtimes")
