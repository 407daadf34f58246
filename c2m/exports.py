"""The tables planners export (schedule, work orders, BOM, cut list): plain data in, plain
rows out, one function per export. Writing them as CSV or Excel happens at the web edge
(c2m.web.export_files); times are the factory's local time, with the zone in the header."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

Cell = str | int | Decimal

EXPORTS = ("schedule", "work-orders", "bom", "cut-list")


@dataclass(frozen=True)
class Table:
    name: str  # the sheet's and the file's name
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class ScheduledOperation:
    order: str
    product: str
    operation_id: str
    operation: str  # the operation's name in the planner's language
    machine: str
    start: datetime  # aware UTC, as stored
    end: datetime
    setup_minutes: int
    fixed: bool


@dataclass(frozen=True)
class WorkOrderEntry:
    number: str
    order: str
    product: str
    quantity: int
    state: str
    released_at: datetime
    start: datetime | None  # its first and last planned operation
    end: datetime | None


@dataclass(frozen=True)
class LineSnapshot:
    """An order line's BOM snapshot (`parts`, `cut_list`) with what names it."""

    order: str
    product: str
    quantity: int
    bom: Mapping[str, Any]


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """ "2026-01-31 14:05" in the factory's zone (stored naive datetimes are UTC)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def quantity(value: Any) -> Cell:
    """A number as the quantity it is (770, not 770.0), exactly; absent is empty."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else number.normalize()


def schedule_table(operations: Sequence[ScheduledOperation], zone: ZoneInfo) -> Table:
    ordered = sorted(operations, key=lambda op: (op.start, op.machine, op.order))
    return Table(
        "schedule",
        (
            "order",
            "product",
            "operation_id",
            "operation",
            "machine",
            f"start ({zone.key})",
            f"end ({zone.key})",
            "setup_min",
            "fixed",
        ),
        tuple(
            (
                op.order,
                op.product,
                op.operation_id,
                op.operation,
                op.machine,
                local_time(op.start, zone),
                local_time(op.end, zone),
                op.setup_minutes,
                "yes" if op.fixed else "no",
            )
            for op in ordered
        ),
    )


def work_orders_table(entries: Sequence[WorkOrderEntry], zone: ZoneInfo) -> Table:
    return Table(
        "work-orders",
        (
            "work_order",
            "order",
            "product",
            "quantity",
            "state",
            f"released ({zone.key})",
            f"start ({zone.key})",
            f"end ({zone.key})",
        ),
        tuple(
            (
                e.number,
                e.order,
                e.product,
                e.quantity,
                e.state,
                local_time(e.released_at, zone),
                local_time(e.start, zone),
                local_time(e.end, zone),
            )
            for e in sorted(entries, key=lambda e: e.number)
        ),
    )


def bom_table(lines: Sequence[LineSnapshot]) -> Table:
    return Table(
        "bom",
        ("order", "product", "item", "name", "quantity", "unit"),
        tuple(
            (
                line.order,
                line.product,
                part.get("item", ""),
                part.get("name") or "",
                quantity(part.get("gross")),
                part.get("unit") or "",
            )
            for line in lines
            for part in line.bom.get("parts", [])
        ),
    )


def cut_list_table(lines: Sequence[LineSnapshot]) -> Table:
    return Table(
        "cut-list",
        (
            "order",
            "product",
            "part",
            "material",
            "length_mm",
            "width_mm",
            "thickness_mm",
            "pieces",
            "operation",
        ),
        tuple(
            (
                line.order,
                line.product,
                row.get("line", ""),
                row.get("material") or "",
                quantity(row.get("length_mm")),
                quantity(row.get("width_mm")),
                quantity(row.get("thickness_mm")),
                quantity(row.get("pieces")),
                row.get("operation") or "",
            )
            for line in lines
            for row in line.bom.get("cut_list", [])
        ),
    )
