"""plan versions store what changed: runs carry a version, planned operations the versions
they are valid in

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.create_index("uq_plan_runs_version", ["version"], unique=True)
    with op.batch_alter_table("planned_operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_from", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Integer(), nullable=True))
    _number_the_stored_versions()
    with op.batch_alter_table("planned_operations", schema=None) as batch_op:
        batch_op.alter_column("valid_from", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            "ix_planned_operations_versions", ["valid_to", "valid_from"], unique=False
        )


def _number_the_stored_versions() -> None:
    """Each run that stored rows (a full copy each, before) becomes a version, in run order;
    its rows are valid in it alone, the current run's from its version on."""
    connection = op.get_bind()
    runs = connection.execute(
        sa.text(
            "SELECT id, is_current FROM plan_runs WHERE id IN "
            "(SELECT DISTINCT plan_run_id FROM planned_operations) ORDER BY id"
        )
    ).all()
    for version, (run_id, is_current) in enumerate(runs, start=1):
        connection.execute(
            sa.text("UPDATE plan_runs SET version = :v WHERE id = :id"),
            {"v": version, "id": run_id},
        )
        connection.execute(
            sa.text(
                "UPDATE planned_operations SET valid_from = :v, valid_to = :until "
                "WHERE plan_run_id = :id"
            ),
            {"v": version, "until": None if is_current else version + 1, "id": run_id},
        )


def downgrade() -> None:
    _copy_every_version_in_full()
    with op.batch_alter_table("planned_operations", schema=None) as batch_op:
        batch_op.drop_index("ix_planned_operations_versions")
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")
    with op.batch_alter_table("plan_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_plan_runs_version")
        batch_op.drop_column("version")


def _copy_every_version_in_full() -> None:
    """The older schema reads a run's rows by its id alone: give each run a copy of the rows
    it inherited, so going back loses no version."""
    connection = op.get_bind()
    runs = connection.execute(
        sa.text("SELECT id, version FROM plan_runs WHERE version IS NOT NULL ORDER BY version")
    ).all()
    columns = 'order_line_id, operation_key, operation_id, machine, start, "end", setup_minutes, fixed'
    for run_id, version in runs:
        connection.execute(
            sa.text(
                f"INSERT INTO planned_operations (plan_run_id, valid_from, {columns}) "
                f"SELECT :id, :v, {columns} FROM planned_operations "
                "WHERE valid_from <= :v AND (valid_to IS NULL OR valid_to > :v) "
                "AND plan_run_id != :id"
            ),
            {"id": run_id, "v": version},
        )
