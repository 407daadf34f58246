"""Migrations build exactly the schema the models describe, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from c2m import migrate, plan_versions
from c2m.db import make_engine, make_session_factory, unit_of_work
from c2m.models import (
    BackgroundJob,
    Base,
    Order,
    OrderLine,
    PlannedOperation,
    PlanRun,
    PlanRunStatus,
    ProductModelRecord,
)
from mes_bridge.lifecycle import WorkOrderState


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


def _two_versions(url: str) -> tuple[int, int]:
    """Version 1 plans a and b; version 2 moves b and adds c (it writes b and c only)."""
    sessions = make_session_factory(make_engine(url))
    at = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    with unit_of_work(sessions) as session:
        model = ProductModelRecord(model="m", version="1", content_hash="h", label_en="M",
                                   label_zh="M", base_price="1", source={})
        order = Order(number="C2M-V", idempotency_key="versions-migration", customer_name="A",
                      email="a@example.com", phone="1", address="x", total_price="1",
                      tracking_token="t-versions", status=WorkOrderState.PLANNED)
        session.add_all([model, order])
        session.flush()
        line = OrderLine(order_id=order.id, product_model_id=model.id, model="m",
                         model_version="1", choices={}, price={}, bom={}, routing={})
        session.add(line)
        session.flush()
        runs = []
        for current, ops in ((False, "ab"), (True, "abc")):
            run = PlanRun(kind="insert", status=PlanRunStatus.SUCCEEDED, origin=at,
                          frozen_until=at, is_current=False)
            session.add(run)
            session.flush()
            late = timedelta(minutes=30 if current else 0)  # version 2 moves b later
            plan_versions.store(session, run, [
                plan_versions.Row(f"{line.id}/{op}", line.id, op, "M1",
                                  at + timedelta(hours=k) + (late if op == "b" else timedelta()),
                                  at + timedelta(hours=k + 1), False)
                for k, op in enumerate(ops)
            ])
            runs.append(run.id)
        session.get_one(PlanRun, runs[1]).is_current = True
    return runs[0], runs[1]


def _rows_by_run(url: str) -> dict[int, set[tuple[str, str]]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT plan_run_id, operation_key, start FROM planned_operations")
        ).all()
    engine.dispose()
    out: dict[int, set[tuple[str, str]]] = {}
    for run, key, start in rows:
        out.setdefault(run, set()).add((key.split("/")[1], str(start)[:16]))
    return out


def test_going_back_gives_every_version_its_full_copy_and_coming_up_numbers_them_again(
    migrated_database: str,
) -> None:
    first, second = _two_versions(migrated_database)
    assert {k for k, _ in _rows_by_run(migrated_database)[second]} == {"b", "c"}
    migrate.downgrade(migrated_database, "0009")
    full = _rows_by_run(migrated_database)
    assert {k for k, _ in full[first]} == {"a", "b"}
    assert {k for k, _ in full[second]} == {"a", "b", "c"}
    b_starts = {dict(full[run])["b"] for run in (first, second)}
    assert len(b_starts) == 2, "each copy keeps b where its own version had it"
    migrate.upgrade(migrated_database)
    sessions = make_session_factory(make_engine(migrated_database))
    with sessions() as session:
        for run_id, ops in ((first, {"a", "b"}), (second, {"a", "b", "c"})):
            run = session.get_one(PlanRun, run_id)
            keys = session.scalars(
                select(PlannedOperation.operation_id).where(plan_versions.rows_of(run))
            )
            assert set(keys) == ops
