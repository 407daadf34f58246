"""Persistence: SQLAlchemy 2 mapped tables. Times are timezone-aware UTC."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from mes_bridge.lifecycle import WorkOrderState


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back aware datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class JobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ProductModelRecord(Base):
    """A loaded version of a product model; orders point at the version they were made with."""

    __tablename__ = "product_models"
    __table_args__ = (UniqueConstraint("model", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    label_en: Mapped[str] = mapped_column(String(200))
    label_zh: Mapped[str] = mapped_column(String(200))
    base_price: Mapped[str] = mapped_column(String(32))
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(default=utc_now)


class BackgroundJob(Base):
    """A unit of background work; Celery carries only its id, the row carries the truth."""

    __tablename__ = "background_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=16), default=JobStatus.QUEUED
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


def _enum(kind: type[enum.Enum]) -> Enum:
    """Enums stored by value as plain strings, readable in SQL and portable across databases."""
    return Enum(kind, native_enum=False, length=24, values_callable=_enum_values)


def _enum_values(members: type[enum.Enum]) -> list[str]:
    return [member.value for member in members]


class Order(Base):
    """A customer's order. `status` follows the lifecycle of DESIGN.md (checked in mes_bridge)."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the canonical request that placed it: a key sent again with another body is
    # refused rather than answered with this order. None on orders placed before 0007.
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[WorkOrderState] = mapped_column(_enum(WorkOrderState))
    customer_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    total_price: Mapped[str] = mapped_column(String(32))  # Decimal as text, exact everywhere
    promised_at: Mapped[datetime | None] = mapped_column(default=None)
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id")


class OrderLine(Base):
    """One configured product; its snapshots never change once the order is placed."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_model_id: Mapped[int] = mapped_column(ForeignKey("product_models.id"))
    model: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    choices: Mapped[dict[str, Any]] = mapped_column(JSON)
    price: Mapped[dict[str, Any]] = mapped_column(JSON)
    bom: Mapped[dict[str, Any]] = mapped_column(JSON)
    routing: Mapped[dict[str, Any]] = mapped_column(JSON)

    order: Mapped[Order] = relationship(back_populates="lines")


class PlanRunStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PlanRun(Base):
    """A schedule version. Exactly one succeeded run is current; a failed run changes nothing.

    Two partial unique indexes make the database itself guarantee it, on SQLite and PostgreSQL
    alike: at most one current run, and at most one run computing at a time (runs are
    serialised, so two never build on the same parent)."""

    __tablename__ = "plan_runs"
    __table_args__ = (
        Index(
            "uq_plan_runs_one_current",
            "is_current",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index(
            "uq_plan_runs_one_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index("uq_plan_runs_version", "version", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # insert | replan | breakdown
    # What the run was asked (e.g. a breakdown's machine and window); kept with its result.
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)
    status: Mapped[PlanRunStatus] = mapped_column(_enum(PlanRunStatus))
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("plan_runs.id"), default=None)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("background_jobs.id"), default=None)
    origin: Mapped[datetime] = mapped_column()  # minute 0 of the planner's time axis
    frozen_until: Mapped[datetime] = mapped_column()
    is_current: Mapped[bool] = mapped_column(default=False)
    kpis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    moves: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    # The worker computing the run renews this (wall clock); a run whose lease ran out lost
    # its worker and is queued again (or failed after MAX_PLAN_ATTEMPTS).
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The schedule version this run stored (its parent's plus one), or None: it stored none.
    version: Mapped[int | None] = mapped_column(Integer, default=None)


class PlannedOperation(Base):
    """An assignment of one operation of one order line to a machine and a time window, in
    schedule versions `valid_from` up to (not including) `valid_to`: a version stores only
    what changed (c2m.plan_versions), so the rows of the current one have no `valid_to`."""

    __tablename__ = "planned_operations"
    __table_args__ = (
        UniqueConstraint("plan_run_id", "operation_key"),
        Index("ix_planned_operations_versions", "valid_to", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_run_id: Mapped[int] = mapped_column(ForeignKey("plan_runs.id"), index=True)  # wrote it
    valid_from: Mapped[int] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer, default=None)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    operation_key: Mapped[str] = mapped_column(String(120))  # "<line id>/<operation id>"
    operation_id: Mapped[str] = mapped_column(String(80))
    machine: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column()
    end: Mapped[datetime] = mapped_column()
    setup_minutes: Mapped[int] = mapped_column(Integer, default=0)
    fixed: Mapped[bool] = mapped_column(default=False)


class WorkOrder(Base):
    """What the MES receives for one order line; `payload` is the released snapshot."""

    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    plan_run_id: Mapped[int] = mapped_column(ForeignKey("plan_runs.id"))
    state: Mapped[WorkOrderState] = mapped_column(_enum(WorkOrderState))
    last_sequence_out: Mapped[int] = mapped_column(Integer, default=0)
    last_sequence_in: Mapped[int] = mapped_column(Integer, default=0)
    quantity_good: Mapped[int] = mapped_column(Integer, default=0)
    quantity_scrap: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    released_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class OutboxStatus(enum.Enum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    REJECTED = "rejected"  # the MES refused it (4xx): final, the work order goes back to planning
    DEAD = "dead"  # gave up or never sendable: waits for an operator's replay


class OutboxMessage(Base):
    """A message to the MES, written in the transaction that decided to send it."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("work_order_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # idempotency key = BODID
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))  # release | cancel
    format: Mapped[str] = mapped_column(String(16))  # json | b2mml
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    # When a delivery task was last handed to the broker; the sweeper sends another only
    # once this is older than the redelivery window (c2m.dispatch.REDELIVERY_WINDOW).
    enqueued_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class MailKind(enum.StrEnum):
    """The order-status e-mails a customer gets, one of each at most (c2m.mail)."""

    PLACED = "placed"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class MailStatus(enum.Enum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    DEAD = "dead"  # gave up, or the server refused it for good: kept, with the reason


class MailMessage(Base):
    """An e-mail to a customer, written in the transaction of the order's change that calls
    for it. It holds the facts of that moment; the message is rendered from them when sent."""

    __tablename__ = "mail_outbox"
    # One e-mail per order and kind: a transition taken twice writes nothing twice.
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # also its Message-ID
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[MailKind] = mapped_column(_enum(MailKind))
    recipient: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    promised_at: Mapped[datetime | None] = mapped_column(default=None)  # the promise then
    status: Mapped[MailStatus] = mapped_column(_enum(MailStatus), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    # When a send task was last handed to the broker (as OutboxMessage.enqueued_at).
    enqueued_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class MesEvent(Base):
    """A status event from the MES, kept once per webhook id (duplicates are dropped)."""

    __tablename__ = "mes_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column()
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)


class ApiClient(Base):
    """An MES client: a token (stored hashed) with scopes such as `pull` and `events`."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # planner | admin
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Session cookies live in the browser; one opened at another epoch is void (c2m.auth).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @validates("role", "password_hash")
    def _new_credentials_end_sessions(self, key: str, value: str) -> str:
        """A new role or password voids every session opened under the old one, whichever
        use case changes it (a new user has no epoch yet, nor sessions)."""
        if self.session_epoch is not None and getattr(self, key) != value:
            self.session_epoch += 1
        return value


class Unit(Base):
    """A produced unit with its resolvable identifier (标识解析): /u/<code>."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    serial: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class MachineDowntime(Base):
    """Planned downtime of a machine (maintenance, a holiday of its own): an exception to the
    shift calendar of factory.yaml that every plan run respects."""

    __tablename__ = "machine_downtimes"

    id: Mapped[int] = mapped_column(primary_key=True)
    machine: Mapped[str] = mapped_column(String(64), index=True)
    start: Mapped[datetime] = mapped_column()
    end: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class OperationActual(Base):
    """What the shop floor reported for one operation of one order line: facts of their own,
    overlaid on whichever plan version is current, never edits of a stored version."""

    __tablename__ = "operation_actuals"
    __table_args__ = (UniqueConstraint("order_line_id", "operation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    operation_id: Mapped[str] = mapped_column(String(80))
    machine: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class LockName(enum.StrEnum):
    SCHEDULE = "schedule"
    MES_INTAKE = "mes_intake"


class DatabaseLock(Base):
    """Rows that transactions lock to serialise a read-modify-write (see c2m.db.exclusive)."""

    __tablename__ = "c2m_locks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    taken: Mapped[int] = mapped_column(Integer, default=0)
