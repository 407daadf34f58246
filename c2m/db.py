"""Engine and sessions: one engine per process, one session per request or task."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Engine, create_engine, event, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from c2m.models import DatabaseLock, LockName, utc_now


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        # The web process and the worker share the file: wait for locks instead of failing.
        engine = create_engine(database_url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit on success, roll back on any error: nothing is half-written."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def session_factory() -> sessionmaker[Session]:
    """The current app's session factory (inside a request or a task)."""
    factory: sessionmaker[Session] = current_app.extensions["c2m.sessions"]
    return factory


def exclusive(session: Session, name: LockName) -> None:
    """Serialise this unit of work with every other that takes the same lock, until it ends.

    `SELECT … FOR UPDATE` does nothing on SQLite, and pysqlite opens a transaction only at the
    first write, so a read-modify-write there reads outside any transaction. Writing to a lock
    row makes this the transaction's first write: on SQLite it takes the database write lock
    (waiting for it), on PostgreSQL a row lock. Call it before the reads the work relies on."""
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    session.execute(insert(DatabaseLock).values(name=name.value, taken=0).on_conflict_do_nothing())
    session.execute(
        update(DatabaseLock)
        .where(DatabaseLock.name == name.value)
        .values(taken=DatabaseLock.taken + 1)
        .execution_options(synchronize_session=False)
    )


def hand_to_broker(
    sessions: sessionmaker[Session],
    table: Any,
    needs_task: ColumnElement[bool],
    send: Callable[[str], object],
    limit: int,
    first: Sequence[Any] = (),
) -> list[str]:
    """An outbox sweep (MES messages, e-mails): mark up to `limit` rows `needs_task` selects as
    enqueued now, in one conditional UPDATE that checks again (what another sweeper marked
    meanwhile is not returned), then hand each marked id to `send` (the broker)."""
    with unit_of_work(sessions) as session:
        waiting = session.scalars(
            select(table.id).where(needs_task).order_by(*first).limit(limit)
        ).all()
        if not waiting:
            return []
        marked = session.execute(
            update(table)
            .where(table.id.in_(waiting), needs_task)
            .values(enqueued_at=utc_now())
            .returning(table.id)
            .execution_options(synchronize_session=False)
        )
        message_ids = sorted(marked.scalars())
    for message_id in message_ids:
        send(message_id)
    return message_ids


def take_claim(
    session: Session,
    table: Any,
    row: Any,
    statuses: tuple[Any, Any],
    claim_timeout: timedelta,
) -> bool:
    """Claim an outbox row (MES message, e-mail) for one attempt: one conditional UPDATE, atomic
    on SQLite and PostgreSQL alike, so of two workers (or two copies of a task) exactly one
    wins. `statuses`: the table's (pending, in flight)."""
    now = utc_now()
    taken = session.execute(
        update(table)
        .where(
            table.id == row.id,
            table.attempts == row.attempts,
            table.status.in_(statuses),
            table.next_attempt_at <= now,
        )
        .values(
            status=statuses[1],
            attempts=row.attempts + 1,
            next_attempt_at=now + claim_timeout,
            enqueued_at=None,  # its task is being consumed: the sweeper may send the next
        )
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]
