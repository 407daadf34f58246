"""one current and one running plan run, plan-run leases, shop-floor actuals, lock rows

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c2m.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _keep_one_current_run()
    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", c2m.models.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index(
            "uq_plan_runs_one_current",
            ["is_current"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.create_index(
            "uq_plan_runs_one_running",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )
    op.create_table(
        "operation_actuals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.String(length=80), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("started_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_lines.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_line_id", "operation_id"),
    )
    with op.batch_alter_table("operation_actuals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operation_actuals_order_line_id"), ["order_line_id"], unique=False
        )
    op.create_table(
        "c2m_locks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def _keep_one_current_run() -> None:
    """Databases forked by the old race hold several current runs: the newest stays current,
    and runs left RUNNING by a lost worker are failed, before the indexes forbid both."""
    op.execute(
        "UPDATE plan_runs SET is_current = false WHERE is_current AND id < "
        "(SELECT max(id) FROM plan_runs WHERE is_current)"
    )
    op.execute(
        "UPDATE plan_runs SET status = 'failed', message = 'worker lost before c2m 0005' "
        "WHERE status = 'running'"
    )


def downgrade() -> None:
    op.drop_table("c2m_locks")
    with op.batch_alter_table("operation_actuals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_actuals_order_line_id"))
    op.drop_table("operation_actuals")
    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_plan_runs_one_running")
        batch_op.drop_index("uq_plan_runs_one_current")
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
