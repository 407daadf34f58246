"""order-status e-mails to customers wait in their own outbox

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import c2m.models  # noqa: F401  (custom column types)

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Orders placed before the upgrade get no e-mails for what already happened to them, only
    # for their next change.
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "placed",
                "scheduled",
                "completed",
                "cancelled",
                name="mailkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("promised_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "in_flight",
                "sent",
                "dead",
                name="mailstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("enqueued_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", c2m.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", c2m.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "kind"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_outbox_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_outbox_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_order_id"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_next_attempt_at"))
    op.drop_table("mail_outbox")
