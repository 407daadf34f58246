"""Database migrations with Alembic, driven from code: `c2m db upgrade` (once per deployment,
before its servers start) and `c2m serve` on the embedded default. Elsewhere the servers only
check that the database is at this code's head revision (`require_head`): hosts starting at
once must not race to migrate it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Developers: autogenerate a migration from the models (`c2m db revision -m ...`)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


class MigrationNeeded(RuntimeError):
    """The database is not at this code's head revision; the message says what to run."""


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "c2m ships at least one migration"
    return head


def current_revision(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def require_head(database_url: str) -> None:
    current, head = current_revision(database_url), head_revision()
    if current == head:
        return
    known = {script.revision for script in _scripts().walk_revisions()}
    if current is not None and current not in known:
        raise MigrationNeeded(
            f"the database is at revision {current}, which this c2m does not know (a newer "
            f"c2m migrated it; this one needs {head})"
        )
    at = f"at revision {current}" if current else "not migrated yet"
    raise MigrationNeeded(
        f"the database is {at}, this c2m needs {head}: run `c2m db upgrade` first"
    )
