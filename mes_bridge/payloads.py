"""Work-order payloads in every format an MES endpoint may ask for, and the JSON form of work
orders and events (with JSON-Schema dicts for the OpenAPI spec).

`render(order, fmt, message_id, created)` is the single entry the dispatcher calls: it returns the
body bytes or raises PayloadInvalid (dead-letter, never send).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from mes_bridge import b2mml
from mes_bridge.b2mml import decimal_text, produced_material, utc_text
from mes_bridge.model import Event, Operation, Parameter, PayloadFormat, WorkOrder

SCHEMA_VERSION = 1


def render(
    order: WorkOrder,
    fmt: PayloadFormat,
    message_id: str,
    created: datetime,
    receiver: str | None = None,
) -> bytes:
    """The body to send for `order` in `fmt`; XML is schema-validated (PayloadInvalid)."""
    if fmt is PayloadFormat.B2MML_V0701:
        return b2mml.process_operations_schedule(order, message_id, created, receiver)
    if fmt is PayloadFormat.B2MML_V0600:
        return b2mml.process_production_schedule(order, message_id, created, receiver)
    return json.dumps(
        work_order_document(order, message_id, created), sort_keys=True, ensure_ascii=False
    ).encode()


def work_order_document(order: WorkOrder, message_id: str, created: datetime) -> dict[str, Any]:
    """The JSON work-order message (see WORK_ORDER_MESSAGE_SCHEMA)."""
    b2mml.check_order(order, "json work order")
    return {
        "schema_version": SCHEMA_VERSION,
        "message_id": message_id,
        "created_at": utc_text(created, "created_at"),
        "work_order": {
            "id": order.id,
            "sequence": order.sequence,
            "order_id": order.order_id,
            "order_line_id": order.order_line_id,
            "product": {
                "model": order.product_model,
                "version": order.product_version,
                "material_id": order.finished_material_id,
            },
            "quantity": order.quantity,
            "priority": order.priority,
            "routing_id": order.routing_id,
            "schedule_id": order.schedule_id,
            "description": order.description,
            "planned_start": utc_text(order.planned_start, "planned_start"),
            "planned_end": utc_text(order.planned_end, "planned_end"),
            "configuration": [_parameter(p) for p in order.configuration],
            "operations": [_operation(order, op) for op in order.operations],
        },
    }


def _parameter(param: Parameter) -> dict[str, Any]:
    value: Any = param.value
    text, data_type = b2mml.value_text(param.value)
    if isinstance(value, Decimal):
        value = text  # decimals travel as strings so no float ever touches them
    return {"name": param.name, "value": value, "data_type": data_type, "unit": param.unit}


def _operation(order: WorkOrder, op: Operation) -> dict[str, Any]:
    return {
        "id": op.id,
        "process_segment": op.process_segment,
        "description": op.description,
        "machine_id": op.machine_id,
        "machine_class": op.machine_class,
        "planned_start": utc_text(op.planned_start, f"{op.id}.planned_start"),
        "planned_end": utc_text(op.planned_end, f"{op.id}.planned_end"),
        "duration_seconds": int(op.duration.total_seconds()),
        "parameters": [_parameter(p) for p in b2mml.segment_parameters(order, op)],
        "materials": [
            {
                "material_id": m.material_id,
                "quantity": decimal_text(m.quantity),
                "unit": m.unit,
                "description": m.description,
            }
            for m in op.materials
        ],
        "produces": produced_material(order, op),
    }


def event_document(event: Event) -> dict[str, Any]:
    """The JSON status event an MES posts to /api/mes/v1/events (see EVENT_SCHEMA)."""
    return {
        "id": event.event_id,
        "work_order_id": event.work_order_id,
        "sequence": event.sequence,
        "kind": str(event.kind),
        "occurred_at": utc_text(event.occurred_at, "occurred_at"),
        "good": _quantity(event.good),
        "scrap": _quantity(event.scrap),
        "reason": event.reason,
        "operations": [
            {
                "operation_id": op.operation_id,
                "state": str(op.state),
                "machine_id": op.machine_id,
                "actual_start": utc_text(op.actual_start) if op.actual_start else None,
                "actual_end": utc_text(op.actual_end) if op.actual_end else None,
                "good": _quantity(op.good),
                "scrap": _quantity(op.scrap),
            }
            for op in event.operations
        ],
    }


def _quantity(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


_DATE_TIME = {"type": "string", "format": "date-time"}
_DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
_NULLABLE_STR = {"type": ["string", "null"]}

PARAMETER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "value", "data_type"],
    "properties": {
        "name": {"type": "string"},
        "value": {
            "type": ["string", "integer", "boolean"],
            "description": "decimal values are strings",
        },
        "data_type": {"enum": ["string", "integer", "decimal", "boolean"]},
        "unit": _NULLABLE_STR,
    },
}

OPERATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "process_segment",
        "machine_id",
        "planned_start",
        "planned_end",
        "duration_seconds",
        "parameters",
        "materials",
    ],
    "properties": {
        "id": {"type": "string"},
        "process_segment": {"type": "string"},
        "description": _NULLABLE_STR,
        "machine_id": {"type": "string"},
        "machine_class": _NULLABLE_STR,
        "planned_start": _DATE_TIME,
        "planned_end": _DATE_TIME,
        "duration_seconds": {"type": "integer", "minimum": 0},
        "parameters": {"type": "array", "items": PARAMETER_SCHEMA},
        "materials": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["material_id", "quantity", "unit"],
                "properties": {
                    "material_id": {"type": "string"},
                    "quantity": _DECIMAL,
                    "unit": {"type": "string"},
                    "description": _NULLABLE_STR,
                },
            },
        },
        "produces": {**_NULLABLE_STR, "description": "material made here; last op: the product"},
    },
}

WORK_ORDER_MESSAGE_SCHEMA: dict[str, Any] = {
    "title": "WorkOrderMessage",
    "type": "object",
    "required": ["schema_version", "message_id", "created_at", "work_order"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "message_id": {"type": "string", "description": "idempotency key (= webhook-id, BODID)"},
        "created_at": _DATE_TIME,
        "work_order": {
            "type": "object",
            "required": [
                "id",
                "sequence",
                "order_id",
                "order_line_id",
                "product",
                "quantity",
                "routing_id",
                "planned_start",
                "planned_end",
                "configuration",
                "operations",
            ],
            "properties": {
                "id": {"type": "string"},
                "sequence": {"type": "integer", "minimum": 1},
                "order_id": {"type": "string"},
                "order_line_id": {"type": "string"},
                "product": {
                    "type": "object",
                    "required": ["model", "version", "material_id"],
                    "properties": {
                        "model": {"type": "string"},
                        "version": {"type": "string"},
                        "material_id": {"type": "string"},
                    },
                },
                "quantity": {"type": "integer", "minimum": 1},
                "priority": {"type": "integer"},
                "routing_id": {"type": "string"},
                "schedule_id": {"type": "string"},
                "description": _NULLABLE_STR,
                "planned_start": _DATE_TIME,
                "planned_end": _DATE_TIME,
                "configuration": {"type": "array", "items": PARAMETER_SCHEMA},
                "operations": {"type": "array", "minItems": 1, "items": OPERATION_SCHEMA},
            },
        },
    },
}

_KINDS = ["accepted", "started", "progress", "interrupted", "resumed", "completed", "aborted"]
_NULLABLE_QTY = {
    "type": ["string", "number", "null"],
    "description": "running total (not an increment); decimal string preferred",
}

EVENT_SCHEMA: dict[str, Any] = {
    "title": "MesEvent",
    "type": "object",
    "required": ["id", "work_order_id", "sequence", "kind", "occurred_at"],
    "properties": {
        "id": {"type": "string", "description": "de-duplication key (= webhook-id)"},
        "work_order_id": {"type": "string"},
        "sequence": {"type": "integer", "minimum": 1, "description": "per work order"},
        "kind": {"enum": _KINDS},
        "occurred_at": _DATE_TIME,
        "good": _NULLABLE_QTY,
        "scrap": _NULLABLE_QTY,
        "reason": _NULLABLE_STR,
        "operations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["operation_id", "state"],
                "properties": {
                    "operation_id": {"type": "string"},
                    "state": {"enum": _KINDS},
                    "machine_id": _NULLABLE_STR,
                    "actual_start": {"type": ["string", "null"], "format": "date-time"},
                    "actual_end": {"type": ["string", "null"], "format": "date-time"},
                    "good": _NULLABLE_QTY,
                    "scrap": _NULLABLE_QTY,
                },
            },
        },
    },
}
