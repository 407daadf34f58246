"""orders planning work orders and the MES outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:25:34.924827
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c2m.models  # noqa: F401  (custom column types)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "configured",
                "engineered",
                "planned",
                "released",
                "dispatched",
                "accepted",
                "running",
                "interrupted",
                "completed",
                "closed",
                "rejected",
                "cancelled",
                "aborted",
                name="workorderstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_price", sa.String(length=32), nullable=False),
        sa.Column("promised_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tracking_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("tracking_token"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_model_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("price", sa.JSON(), nullable=False),
        sa.Column("bom", sa.JSON(), nullable=False),
        sa.Column("routing", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_model_id"],
            ["product_models.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)

    op.create_table(
        "plan_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="planrunstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("origin", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("frozen_until", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("kpis", sa.JSON(), nullable=False),
        sa.Column("moves", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("released_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["plan_runs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["background_jobs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "planned_operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_run_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("operation_key", sa.String(length=120), nullable=False),
        sa.Column("operation_id", sa.String(length=80), nullable=False),
        sa.Column("machine", sa.String(length=64), nullable=False),
        sa.Column("start", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("end", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("setup_minutes", sa.Integer(), nullable=False),
        sa.Column("fixed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_run_id"],
            ["plan_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_run_id", "operation_key"),
    )
    with op.batch_alter_table("planned_operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planned_operations_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planned_operations_plan_run_id"), ["plan_run_id"], unique=False
        )

    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("plan_run_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "configured",
                "engineered",
                "planned",
                "released",
                "dispatched",
                "accepted",
                "running",
                "interrupted",
                "completed",
                "closed",
                "rejected",
                "cancelled",
                "aborted",
                name="workorderstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("last_sequence_out", sa.Integer(), nullable=False),
        sa.Column("last_sequence_in", sa.Integer(), nullable=False),
        sa.Column("quantity_good", sa.Integer(), nullable=False),
        sa.Column("quantity_scrap", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("released_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_run_id"],
            ["plan_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_orders_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "mes_events",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occurred_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("received_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mes_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mes_events_work_order_id"), ["work_order_id"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "in_flight",
                "delivered",
                "dead",
                name="outboxstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_order_id", "sequence"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_work_order_id"), ["work_order_id"], unique=False
        )

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_work_order_id"), ["work_order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_work_order_id"))

    op.drop_table("units")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_work_order_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_next_attempt_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("mes_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mes_events_work_order_id"))

    op.drop_table("mes_events")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_orders_order_line_id"))

    op.drop_table("work_orders")
    with op.batch_alter_table("planned_operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_operations_plan_run_id"))
        batch_op.drop_index(batch_op.f("ix_planned_operations_order_line_id"))

    op.drop_table("planned_operations")
    op.drop_table("plan_runs")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))

    op.drop_table("order_lines")
    op.drop_table("users")
    op.drop_table("orders")
    op.drop_table("api_clients")
