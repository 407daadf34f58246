"""Benchmark set-up: a scratch database with many released work orders, made quickly.

Plans here are synthetic (every operation on its first eligible machine, one after another):
these benchmarks measure delivery and persistence, not planning.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from c2m import bootstrap, migrate, orders, release
from c2m.db import make_engine, unit_of_work
from c2m.models import (
    Base,
    OrderLine,
    OutboxMessage,
    OutboxStatus,
    PlannedOperation,
    PlanRun,
    PlanRunStatus,
    WorkOrder,
    utc_now,
)
from c2m.settings import Settings
from mes_bridge.lifecycle import WorkOrderState
from mes_bridge.model import PayloadFormat

CUSTOMER = orders.Customer(
    "Bench", "bench@example.com", "+86 100 0000 0000", "Bench road 1, Foshan"
)


def ensure_database(url: str) -> None:
    """Create the benchmark's own PostgreSQL database when missing (never the test one)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def fresh_database(settings: Settings) -> None:
    ensure_database(settings.database_url)
    engine = make_engine(settings.database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    migrate.upgrade(settings.database_url)
    bootstrap.load_catalogue(settings)


def place_orders(
    sessions: sessionmaker[Session], count: int, choices: dict[str, Any], prefix: str
) -> None:
    with unit_of_work(sessions) as session:
        for number in range(count):
            orders.place_order(
                session,
                model="sofa",
                choices=choices,
                customer=CUSTOMER,
                idempotency_key=f"{prefix}-{number:06d}",
            )


def packed_plan(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Each operation on its first machine at that machine's next free minute (a dense plan);
    returns the plan run id and the number of operations."""
    now = utc_now()
    free: dict[str, datetime] = {}
    count = 0
    with unit_of_work(sessions) as session:
        run = PlanRun(
            kind="insert",
            status=PlanRunStatus.SUCCEEDED,
            origin=now,
            frozen_until=now + timedelta(hours=2),
            is_current=True,
            version=1,
        )
        session.add(run)
        session.flush()
        for line in session.scalars(select(OrderLine)):
            for op in line.routing["planner_operations"]:
                machine, spec = sorted(op["machines"].items())[0]
                start = free.get(machine, now)
                free[machine] = start + timedelta(minutes=spec["duration"])
                session.add(
                    PlannedOperation(
                        plan_run_id=run.id,
                        valid_from=1,
                        order_line_id=line.id,
                        operation_key=f"{line.id}/{op['id']}",
                        operation_id=op["id"],
                        machine=machine,
                        start=start,
                        end=free[machine],
                    )
                )
                count += 1
            line.order.status = WorkOrderState.PLANNED
        return run.id, count


def release_all(sessions: sessionmaker[Session], run_id: int, fmt: PayloadFormat) -> list[str]:
    with unit_of_work(sessions) as session:
        created = release.release(session, run_id, fmt)
        return release.pending_messages(session, created)


def reset_outbox(sessions: sessionmaker[Session]) -> list[str]:
    """Everything undelivered again, as if just released (for the next round)."""
    with unit_of_work(sessions) as session:
        session.execute(
            update(OutboxMessage).values(
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=utc_now(),
                delivered_at=None,
            )
        )
        session.execute(update(WorkOrder).values(state=WorkOrderState.RELEASED))
        return list(session.scalars(select(OutboxMessage.id)))


def delivered_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(OutboxMessage.id).filter_by(status=OutboxStatus.DELIVERED)
        return len(session.scalars(query).all())
