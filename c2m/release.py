"""Use case: a planner releases the current schedule. In ONE transaction every newly planned
order line becomes a work order with its outbox message; a dispatcher delivers them later."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m import plan_versions
from c2m.errors import Conflict, NotFound
from c2m.logging_setup import get_logger
from c2m.models import (
    Order,
    OrderLine,
    OutboxMessage,
    OutboxStatus,
    PlannedOperation,
    PlanRun,
    PlanRunStatus,
    WorkOrder,
    utc_now,
)
from mes_bridge import b2mml_schema
from mes_bridge import model as mes
from mes_bridge.errors import PayloadInvalid
from mes_bridge.lifecycle import WorkOrderState, transition
from mes_bridge.payloads import render, work_order_document

if TYPE_CHECKING:
    from c2m.settings import Settings

log = get_logger(__name__)
RELEASABLE = (WorkOrderState.PLANNED,)


def use_b2mml_schemas(settings: Settings) -> str:
    """Point B2MML validation at the configured schema set (C2M_B2MML_DIR). Returns "ok", or
    the one line, logged here once, saying that B2MML goes out unvalidated and why: c2m runs
    wherever it is installed, and a missing schema set must not stop releases."""
    b2mml_schema.use_standards_dir(settings.b2mml_dir)
    missing = b2mml_schema.missing_schemas()
    if not missing:
        return "ok"
    if settings.b2mml_dir is None:
        where = "C2M_B2MML_DIR is not set"
    else:
        where = f"C2M_B2MML_DIR={settings.b2mml_dir} lacks {', '.join(missing)}"
    line = f"B2MML schemas not found ({where}): B2MML is sent without XSD validation"
    log.warning(line)
    return line


def release(session: Session, plan_run_id: int, fmt: mes.PayloadFormat) -> list[int]:
    """Release the current plan: returns the ids of the work orders created."""
    run = session.get(PlanRun, plan_run_id)
    if run is None:
        raise NotFound(f"no plan run {plan_run_id}")
    if not run.is_current or run.status is not PlanRunStatus.SUCCEEDED:
        raise Conflict(f"plan run {plan_run_id} is not the current schedule; review the newest")
    created = [_release_line(session, run, line, fmt) for line in _releasable_lines(session, run)]
    run.released_at = utc_now()
    return created


def _releasable_lines(session: Session, run: PlanRun) -> Sequence[OrderLine]:
    in_plan = select(PlannedOperation.order_line_id).where(plan_versions.rows_of(run))
    query = (
        select(OrderLine)
        .join(Order)
        .where(OrderLine.id.in_(in_plan), Order.status.in_(RELEASABLE))
        .order_by(OrderLine.id)
        .with_for_update()
    )
    return session.scalars(query).all()


def _release_line(session: Session, run: PlanRun, line: OrderLine, fmt: mes.PayloadFormat) -> int:
    line.order.status = transition(line.order.status, WorkOrderState.RELEASED)
    count = len(session.scalars(select(WorkOrder.id).filter_by(order_line_id=line.id)).all())
    work_order = WorkOrder(
        number=f"WO-{line.order.number}-{line.id}-{count + 1}",
        order_line_id=line.id,
        plan_run_id=run.id,
        state=WorkOrderState.RELEASED,
        last_sequence_out=1,
        payload={},
    )
    session.add(work_order)
    session.flush()
    snapshot = work_order_data(session, run, line, work_order)
    message_id, now = uuid.uuid4().hex, utc_now()
    try:
        work_order.payload = work_order_document(snapshot, message_id, now)
    except PayloadInvalid as error:
        work_order.payload = {"invalid": str(error)}
    session.add(outbox_message(work_order.id, snapshot, fmt, message_id))
    return work_order.id


def outbox_message(
    work_order_id: int, snapshot: mes.WorkOrder, fmt: mes.PayloadFormat, message_id: str
) -> OutboxMessage:
    """The message to send; a payload that fails its schema is dead-lettered, never sent."""
    row = OutboxMessage(
        id=message_id,
        work_order_id=work_order_id,
        sequence=snapshot.sequence,
        kind="release",
        format=fmt.value,
        body="",
        status=OutboxStatus.PENDING,
    )
    try:
        row.body = render(snapshot, fmt, message_id, utc_now()).decode()
    except PayloadInvalid as error:
        row.status, row.last_error = OutboxStatus.DEAD, str(error)
    return row


def work_order_data(
    session: Session, run: PlanRun, line: OrderLine, work_order: WorkOrder
) -> mes.WorkOrder:
    planned = session.scalars(
        select(PlannedOperation)
        .where(plan_versions.rows_of(run), PlannedOperation.order_line_id == line.id)
        .order_by(PlannedOperation.start)
    ).all()
    return mes.WorkOrder(
        id=work_order.number,
        sequence=1,
        order_id=line.order.number,
        order_line_id=str(line.id),
        product_model=line.model,
        product_version=line.model_version,
        finished_material_id=finished_material(line),
        quantity=line.quantity,
        routing_id=f"{line.model}-{line.model_version}",
        operations=tuple(_operation(line, row) for row in planned),
        configuration=tuple(
            _parameter(name, value) for name, value in sorted(line.choices.items())
        ),
        schedule_id=f"plan-{run.id}",
    )


def finished_material(line: OrderLine) -> str:
    digest = hashlib.sha256(json.dumps(line.choices, sort_keys=True).encode()).hexdigest()[:8]
    return f"{line.model.upper()}-{line.model_version}-CFG-{digest}"


def _parameter(name: str, value: object) -> mes.Parameter:
    if isinstance(value, bool | int):
        return mes.Parameter(name, value)
    return mes.Parameter(name, str(value))


def _routing_operation(line: OrderLine, operation_id: str) -> dict[str, Any]:
    for op in line.routing["routing"]["operations"]:
        if op["id"] == operation_id:
            return dict(op)
    raise NotFound(f"operation {operation_id} is not in the routing of line {line.id}")


def _operation(line: OrderLine, row: PlannedOperation) -> mes.Operation:
    op = _routing_operation(line, row.operation_id)
    return mes.Operation(
        id=row.operation_id,
        process_segment=op["capability"],
        machine_id=row.machine,
        planned_start=row.start,
        planned_end=row.end,
        description=op["name"]["en"],
        materials=_materials(line, row.operation_id),
    )


def _materials(line: OrderLine, operation_id: str) -> tuple[mes.MaterialLine, ...]:
    totals: dict[tuple[str, str], Decimal] = {}
    for requirement in line.bom.get("requirements", []):
        if requirement.get("operation") == operation_id:
            key = (requirement["item"], requirement["unit"])
            totals[key] = totals.get(key, Decimal(0)) + Decimal(str(requirement["quantity"]))
    return tuple(
        mes.MaterialLine(item, quantity, unit) for (item, unit), quantity in sorted(totals.items())
    )


def pending_messages(session: Session, work_order_ids: Sequence[int]) -> list[str]:
    query = select(OutboxMessage.id).where(
        OutboxMessage.work_order_id.in_(work_order_ids),
        OutboxMessage.status == OutboxStatus.PENDING,
    )
    return list(session.scalars(query))
