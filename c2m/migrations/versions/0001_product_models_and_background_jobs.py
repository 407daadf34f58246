"""product models and background jobs

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:18:54.908390
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c2m.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "background_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "QUEUED",
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                name="jobstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "product_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("label_zh", sa.String(length=200), nullable=False),
        sa.Column("base_price", sa.String(length=32), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("loaded_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model", "version"),
    )
    with op.batch_alter_table("product_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_models_model"), ["model"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("product_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_models_model"))

    op.drop_table("product_models")
    op.drop_table("background_jobs")
