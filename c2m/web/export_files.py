"""The edge of the planners' exports: what a plan run (or one factory-local day of it) holds,
read from the database into c2m.exports' plain data, and its tables written as CSV or Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import exports, plan_versions
from c2m.documents import line_name
from c2m.models import OrderLine, PlannedOperation, PlanRun, WorkOrder

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def operations_of(
    session: Session, run_id: int, span: tuple[datetime, datetime] | None
) -> list[PlannedOperation]:
    """The run's operations, or those overlapping `span` (a factory-local day, in UTC)."""
    query = select(PlannedOperation).where(plan_versions.rows_of(session.get_one(PlanRun, run_id)))
    if span is not None:
        query = query.where(PlannedOperation.end > span[0], PlannedOperation.start < span[1])
    return list(session.scalars(query.order_by(PlannedOperation.start)).all())


def table(
    session: Session,
    kind: str,
    run_id: int,
    span: tuple[datetime, datetime] | None,
    zone: ZoneInfo,
    lang: str,
) -> exports.Table:
    operations = operations_of(session, run_id, span)
    lines = {op.order_line_id: session.get_one(OrderLine, op.order_line_id) for op in operations}
    names = {line_id: line_name(session, line, lang) for line_id, line in lines.items()}
    if kind == "schedule":
        return exports.schedule_table(
            [_scheduled(op, lines[op.order_line_id], names, lang) for op in operations], zone
        )
    if kind == "work-orders":
        return exports.work_orders_table(
            _work_orders(session, run_id, operations, lines, names), zone
        )
    snapshots = [
        exports.LineSnapshot(line.order.number, names[line_id], line.quantity, line.bom)
        for line_id, line in sorted(lines.items())
    ]
    return exports.bom_table(snapshots) if kind == "bom" else exports.cut_list_table(snapshots)


def _scheduled(
    op: PlannedOperation, line: OrderLine, names: dict[int, str], lang: str
) -> exports.ScheduledOperation:
    routing = {o["id"]: o.get("name", {}) for o in line.routing["routing"]["operations"]}
    name = routing.get(op.operation_id, {})
    return exports.ScheduledOperation(
        line.order.number,
        names[line.id],
        op.operation_id,
        name.get(lang) or name.get("en") or op.operation_id,
        op.machine,
        op.start,
        op.end,
        op.setup_minutes,
        op.fixed,
    )


def _work_orders(
    session: Session,
    run_id: int,
    operations: list[PlannedOperation],
    lines: dict[int, OrderLine],
    names: dict[int, str],
) -> list[exports.WorkOrderEntry]:
    spans: dict[int, tuple[datetime, datetime]] = {}
    for op in operations:
        first, last = spans.get(op.order_line_id, (op.start, op.end))
        spans[op.order_line_id] = (min(first, op.start), max(last, op.end))
    found = session.scalars(
        select(WorkOrder).where(
            WorkOrder.plan_run_id == run_id, WorkOrder.order_line_id.in_(list(lines))
        )
    ).all()
    return [
        exports.WorkOrderEntry(
            wo.number,
            lines[wo.order_line_id].order.number,
            names[wo.order_line_id],
            lines[wo.order_line_id].quantity,
            wo.state.value,
            wo.released_at,
            *spans[wo.order_line_id],
        )
        for wo in found
    ]


def as_csv(data: exports.Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens 中文 names as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(data.header)
    writer.writerows(data.rows)
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(data: exports.Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = data.name
    sheet.append(list(data.header))
    for row in data.rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WRITERS: dict[str, Callable[[exports.Table], bytes]] = {"csv": as_csv, "xlsx": as_xlsx}
