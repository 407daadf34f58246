"""Migrations build exactly the schema the models describe, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from c2m import migrate
from c2m.db import make_engine, make_session_factory, unit_of_work
from c2m.models import BackgroundJob, Base


def test_head_migration_matches_the_models(migrated_database: str) -> None:
    engine = make_engine(migrated_database)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_go_down_to_nothing_and_back_up(migrated_database: str) -> None:
    migrate.downgrade(migrated_database, "base")
    migrate.upgrade(migrated_database)
    engine = make_engine(migrated_database)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is not None
    engine.dispose()


def test_times_come_back_timezone_aware_utc(clean_database: str) -> None:
    sessions = make_session_factory(make_engine(clean_database))
    shanghai_morning = datetime(2026, 11, 22, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    with unit_of_work(sessions) as session:
        job = BackgroundJob(kind="probe", created_at=shanghai_morning)
        session.add(job)
        session.flush()
        job_id = job.id
    with unit_of_work(sessions) as session:
        stored = session.get_one(BackgroundJob, job_id).created_at
    assert stored.tzinfo is not None
    assert stored == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def test_naive_times_are_refused(clean_database: str) -> None:
    sessions = make_session_factory(make_engine(clean_database))
    with pytest.raises(Exception, match="naive datetime"), unit_of_work(sessions) as session:
        session.add(BackgroundJob(kind="probe", created_at=datetime(2026, 1, 1)))
        session.flush()


def test_a_failed_unit_of_work_leaves_nothing_behind(clean_database: str) -> None:
    sessions = make_session_factory(make_engine(clean_database))
    with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
        session.add(BackgroundJob(kind="half-written"))
        session.flush()
        raise RuntimeError("crash after the write")
    with unit_of_work(sessions) as session:
        assert session.query(BackgroundJob).count() == 0
