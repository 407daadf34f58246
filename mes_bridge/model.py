"""Plain data exchanged with an MES: the work order we send and the events we get back.

The app builds a WorkOrder from its database rows (a snapshot of what is released); everything in
mes_bridge works on these frozen dataclasses only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from mes_bridge.lifecycle import EventKind

ParameterValue = str | int | Decimal | bool


class PayloadFormat(enum.StrEnum):
    """How an MES endpoint wants its work orders (a per-endpoint setting)."""

    JSON = "json"
    B2MML_V0701 = "b2mml-v0701"
    B2MML_V0600 = "b2mml-v0600"

    @property
    def content_type(self) -> str:
        return "application/json" if self is PayloadFormat.JSON else "application/xml"


@dataclass(frozen=True)
class Parameter:
    """A configuration choice or machine setting, e.g. width_mm = 1600 (unit 'mm')."""

    name: str
    value: ParameterValue
    unit: str | None = None


@dataclass(frozen=True)
class MaterialLine:
    """A BOM line consumed at an operation (running quantity for the whole work order)."""

    material_id: str
    quantity: Decimal
    unit: str = "EA"
    description: str | None = None


@dataclass(frozen=True)
class Operation:
    """One routing step of a work order, with the planner's machine and window."""

    id: str  # unique within the work order, e.g. "OP10"
    process_segment: str  # generic step, e.g. "cut", "assemble"
    machine_id: str
    planned_start: datetime
    planned_end: datetime
    description: str | None = None
    machine_class: str | None = None
    parameters: tuple[Parameter, ...] = ()
    materials: tuple[MaterialLine, ...] = ()
    produces: str | None = None  # intermediate material made here; the last op makes the product

    @property
    def duration(self) -> timedelta:
        return self.planned_end - self.planned_start


@dataclass(frozen=True)
class WorkOrder:
    """A released customer work order, as sent to the MES.

    `sequence` is the per-work-order message sequence (revision) number; the idempotency key of
    each message is separate (see delivery.OutboundMessage).
    """

    id: str
    sequence: int
    order_id: str
    order_line_id: str
    product_model: str
    product_version: str
    finished_material_id: str  # the configured finished good, e.g. "SOFA-2026.1-CFG-8f3a"
    quantity: int
    routing_id: str
    operations: tuple[Operation, ...]
    configuration: tuple[Parameter, ...] = ()
    priority: int = 0
    schedule_id: str = "release"
    description: str | None = None

    @property
    def planned_start(self) -> datetime:
        return min(op.planned_start for op in self.operations)

    @property
    def planned_end(self) -> datetime:
        return max(op.planned_end for op in self.operations)


@dataclass(frozen=True)
class OperationActual:
    """What the MES reports about one operation: machine used, actual times, running totals."""

    operation_id: str
    state: EventKind
    machine_id: str | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    good: Decimal | None = None
    scrap: Decimal | None = None


@dataclass(frozen=True)
class Event:
    """One status report from the MES about one work order.

    `event_id` is the de-duplication key (webhook-id / BODID). `sequence` orders the events of a
    work order; the app applies an event's state change only if its sequence is above the last
    applied one. `good`/`scrap` are running totals for the finished product.
    """

    event_id: str
    work_order_id: str
    sequence: int
    kind: EventKind
    occurred_at: datetime
    good: Decimal | None = None
    scrap: Decimal | None = None
    reason: str | None = None
    operations: tuple[OperationActual, ...] = field(default=())
