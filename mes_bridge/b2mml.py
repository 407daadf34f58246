"""Work orders as ISA-95 B2MML: V0701 `ProcessOperationsSchedule` and legacy V0600
`ProcessProductionSchedule`. Every document is validated against the official XSDs before it is
returned; an invalid one raises PayloadInvalid and must be dead-lettered, never sent.

Mapping (see standards README): one work order = one OperationsRequest (ID = work-order id,
Version = sequence); one operation = one SegmentRequirement (ID = "<wo>-<op>"); the machine an
EquipmentRequirement; BOM lines MaterialRequirement/Consumed; the configured product (last
operation) or an intermediate MaterialRequirement/Produced; configuration and machine settings
SegmentParameter. BODID = the message id (idempotency key).

The B2MML used here is courtesy of MESA International.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from lxml import etree

from mes_bridge.b2mml_schema import NS_V0600, NS_V0701, B2mmlSchema, serialize, validate
from mes_bridge.errors import PayloadInvalid
from mes_bridge.lifecycle import B2MML_REQUEST_STATE, WorkOrderState
from mes_bridge.model import Operation, Parameter, ParameterValue, WorkOrder

SENDER = "c2m.mes_bridge"


def utc_text(moment: datetime, field: str = "datetime") -> str:
    """xs:dateTime in UTC with a Z; naive datetimes are refused (storage is tz-aware UTC)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PayloadInvalid("work order", field, f"naive datetime {moment.isoformat()}")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def duration_text(span: timedelta) -> str:
    """xs:duration, e.g. PT1H30M."""
    seconds = int(span.total_seconds())
    if seconds < 0:
        raise PayloadInvalid("work order", "duration", f"negative duration {span}")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return "PT" + parts + (f"{secs}S" if secs or not parts else "")


def decimal_text(value: Decimal | int) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def value_text(value: ParameterValue) -> tuple[str, str]:
    if isinstance(value, bool):
        return ("true" if value else "false"), "boolean"
    if isinstance(value, int):
        return str(value), "integer"
    if isinstance(value, Decimal):
        return decimal_text(value), "decimal"
    return str(value), "string"


class _Builder:
    """Appends namespaced children in schema order; keeps the builders short."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def root(self, tag: str, release: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{tag}", nsmap={None: self.ns}, releaseID=release)

    def add(
        self, parent: etree._Element, tag: str, text: str | None = None, **attrs: str
    ) -> etree._Element:
        child = etree.SubElement(parent, f"{{{self.ns}}}{tag}", **attrs)
        if text is not None:
            try:
                child.text = text
            except ValueError as error:  # control characters cannot be put in XML at all
                raise PayloadInvalid("B2MML", tag, f"{error}: {text!r}") from None
        return child

    def application_area(
        self, parent: etree._Element, message_id: str, created: datetime, receiver: str | None
    ) -> None:
        area = self.add(parent, "ApplicationArea")
        self.add(self.add(area, "Sender"), "LogicalID", SENDER)
        if receiver:
            self.add(self.add(area, "Receiver"), "LogicalID", receiver)
        self.add(area, "CreationDateTime", utc_text(created, "CreationDateTime"))
        self.add(area, "BODID", message_id)

    def value(self, parent: etree._Element, param: Parameter) -> None:
        text, data_type = value_text(param.value)
        value = self.add(parent, "Value")
        self.add(value, "ValueString", text)
        self.add(value, "DataType", data_type)
        if param.unit:
            self.add(value, "UnitOfMeasure", param.unit)

    def quantity(self, parent: etree._Element, amount: Decimal | int, unit: str) -> None:
        quantity = self.add(parent, "Quantity")
        self.add(quantity, "QuantityString", decimal_text(amount))
        self.add(quantity, "UnitOfMeasure", unit)


def describe(order: WorkOrder) -> str:
    text = (
        f"order {order.order_id} line {order.order_line_id}: "
        f"{order.product_model} {order.product_version}"
    )
    return f"{text}; {order.description}" if order.description else text


def segment_parameters(order: WorkOrder, op: Operation) -> Iterable[Parameter]:
    """The configuration travels with every operation (machines read their settings from it);
    an operation's own parameter wins over a configuration value of the same name."""
    own = {p.name for p in op.parameters}
    return [*(p for p in order.configuration if p.name not in own), *op.parameters]


def produced_material(order: WorkOrder, op: Operation) -> str | None:
    return order.finished_material_id if op is order.operations[-1] else op.produces


def process_operations_schedule(
    order: WorkOrder, message_id: str, created: datetime, receiver: str | None = None
) -> bytes:
    """B2MML V0701 ProcessOperationsSchedule for one work order, validated."""
    check_order(order, "ProcessOperationsSchedule")
    b = _Builder(NS_V0701)
    root = b.root("ProcessOperationsSchedule", "7.0.1")
    b.application_area(root, message_id, created, receiver)
    data = b.add(root, "DataArea")
    b.add(data, "Process", acknowledgeCode="OnError")
    schedule = b.add(data, "OperationsSchedule")
    b.add(schedule, "ID", order.schedule_id)
    b.add(schedule, "PublishedDate", utc_text(created, "PublishedDate"))
    b.add(schedule, "StartTime", utc_text(order.planned_start, "planned_start"))
    b.add(schedule, "EndTime", utc_text(order.planned_end, "planned_end"))
    b.add(schedule, "OperationsType", "Production")
    b.add(schedule, "ScheduleState", "Released")
    _operations_request(b, schedule, order)
    validate(root, B2mmlSchema.OPERATIONS_SCHEDULE)
    return serialize(root)


def _operations_request(b: _Builder, parent: etree._Element, order: WorkOrder) -> None:
    request = b.add(parent, "OperationsRequest")
    b.add(request, "ID", order.id)
    b.add(request, "Description", describe(order))
    b.add(request, "Version", str(order.sequence))
    b.add(request, "StartTime", utc_text(order.planned_start, "planned_start"))
    b.add(request, "EndTime", utc_text(order.planned_end, "planned_end"))
    b.add(request, "OperationsType", "Production")
    b.add(request, "Priority", str(order.priority))
    b.add(request, "RequestState", B2MML_REQUEST_STATE[WorkOrderState.RELEASED])
    b.add(request, "OperationsDefinitionID", order.routing_id)
    for op in order.operations:
        _segment_requirement(b, request, order, op)


def _segment_requirement(
    b: _Builder, parent: etree._Element, order: WorkOrder, op: Operation
) -> None:
    seg_id = f"{order.id}-{op.id}"
    seg = b.add(parent, "SegmentRequirement")
    b.add(seg, "ID", seg_id)
    if op.description:
        b.add(seg, "Description", op.description)
    b.add(seg, "EarliestStartTime", utc_text(op.planned_start, f"{op.id}.planned_start"))
    b.add(seg, "LatestEndTime", utc_text(op.planned_end, f"{op.id}.planned_end"))
    b.add(seg, "OperationsType", "Production")
    b.add(seg, "ProcessSegmentID", op.process_segment)
    b.add(seg, "Duration", duration_text(op.duration))
    b.add(seg, "OperationsDefinitionID", order.routing_id)
    b.add(seg, "OperationsSegmentID", op.id)
    b.add(seg, "SegmentState", "Released")
    for param in segment_parameters(order, op):
        parameter = b.add(seg, "SegmentParameter")
        b.add(parameter, "ID", param.name)
        b.value(parameter, param)
    _equipment_requirement(b, seg, op, seg_id)
    _material_requirements(b, seg, order, op, seg_id)


def _equipment_requirement(b: _Builder, seg: etree._Element, op: Operation, seg_id: str) -> None:
    equipment = b.add(seg, "EquipmentRequirement")
    b.add(equipment, "ID", f"{seg_id}-EQ1")
    if op.machine_class:
        b.add(equipment, "EquipmentClassID", op.machine_class)
    b.add(equipment, "EquipmentID", op.machine_id)


def _material_requirements(
    b: _Builder, seg: etree._Element, order: WorkOrder, op: Operation, seg_id: str
) -> None:
    lines = [(m.material_id, m.description, "Consumed", m.quantity, m.unit) for m in op.materials]
    made = produced_material(order, op)
    if made:
        lines.append((made, None, "Produced", Decimal(order.quantity), "EA"))
    for number, (material, description, use, amount, unit) in enumerate(lines, start=1):
        requirement = b.add(seg, "MaterialRequirement")
        b.add(requirement, "ID", f"{seg_id}-M{number}")
        b.add(requirement, "MaterialDefinitionID", material)
        if description:
            b.add(requirement, "Description", description)
        b.add(requirement, "MaterialUse", use)
        b.quantity(requirement, amount, unit)


def process_production_schedule(
    order: WorkOrder, message_id: str, created: datetime, receiver: str | None = None
) -> bytes:
    """Legacy B2MML V0600 ProcessProductionSchedule for one work order, validated.

    V0600 makes nearly everything optional, so the XSD alone proves little; our own check
    (`_require_v0600_content`) insists on what an MES needs to run the order.
    """
    check_order(order, "ProcessProductionSchedule")
    b = _Builder(NS_V0600)
    root = b.root("ProcessProductionSchedule", "6.0")
    b.application_area(root, message_id, created, receiver)
    data = b.add(root, "DataArea")
    b.add(data, "Process")
    schedule = b.add(data, "ProductionSchedule")
    b.add(schedule, "ID", order.schedule_id)
    b.add(schedule, "StartTime", utc_text(order.planned_start, "planned_start"))
    b.add(schedule, "EndTime", utc_text(order.planned_end, "planned_end"))
    _production_request(b, schedule, order)
    b.add(schedule, "ScheduleState", "Released")
    validate(root, B2mmlSchema.PRODUCTION_SCHEDULE_V0600)
    _require_v0600_content(order)
    return serialize(root)


def _production_request(b: _Builder, schedule: etree._Element, order: WorkOrder) -> None:
    request = b.add(schedule, "ProductionRequest")
    b.add(request, "ID", order.id)
    b.add(request, "Description", describe(order))
    b.add(request, "ProductProductionRuleID", order.routing_id)
    b.add(request, "StartTime", utc_text(order.planned_start, "planned_start"))
    b.add(request, "EndTime", utc_text(order.planned_end, "planned_end"))
    b.add(request, "Priority", str(order.priority))
    for op in order.operations:
        _production_segment(b, request, order, op)
    b.add(request, "RequestState", "Released")


def _production_segment(
    b: _Builder, parent: etree._Element, order: WorkOrder, op: Operation
) -> None:
    seg = b.add(parent, "SegmentRequirement")
    b.add(seg, "ID", f"{order.id}-{op.id}")
    b.add(seg, "ProcessSegmentID", op.process_segment)
    b.add(seg, "EarliestStartTime", utc_text(op.planned_start, f"{op.id}.planned_start"))
    b.add(seg, "LatestEndTime", utc_text(op.planned_end, f"{op.id}.planned_end"))
    b.add(seg, "Duration", duration_text(op.duration))
    for param in segment_parameters(order, op):
        production_parameter = b.add(seg, "ProductionParameter")
        parameter = b.add(production_parameter, "Parameter")
        b.add(parameter, "ID", param.name)
        b.value(parameter, param)
    b.add(b.add(seg, "EquipmentRequirement"), "EquipmentID", op.machine_id)
    made = produced_material(order, op)
    if made:
        produced = b.add(seg, "MaterialProducedRequirement")
        b.add(produced, "MaterialDefinitionID", made)
        b.quantity(produced, order.quantity, "EA")
    for line in op.materials:
        consumed = b.add(seg, "MaterialConsumedRequirement")
        b.add(consumed, "MaterialDefinitionID", line.material_id)
        b.quantity(consumed, line.quantity, line.unit)


def check_order(order: WorkOrder, document: str) -> None:
    """What no schema can say: operations exist, times are tz-aware and in order."""
    if not order.operations:
        raise PayloadInvalid(
            document, "SegmentRequirement", f"work order {order.id} has no operations"
        )
    if order.quantity < 1:
        raise PayloadInvalid(document, "quantity", f"must be >= 1, got {order.quantity}")
    for op in order.operations:
        utc_text(op.planned_start, f"{op.id}.planned_start")
        utc_text(op.planned_end, f"{op.id}.planned_end")
        if op.planned_end < op.planned_start:
            raise PayloadInvalid(document, f"{op.id}.planned_end", "ends before it starts")


def _require_v0600_content(order: WorkOrder) -> None:
    if not order.id:
        raise PayloadInvalid("V0600 ProductionSchedule", "ProductionRequest/ID", "empty")
    for op in order.operations:
        if not op.machine_id or not op.process_segment:
            raise PayloadInvalid(
                "V0600 ProductionSchedule",
                f"SegmentRequirement {op.id}",
                "every operation needs a machine and a process segment",
            )
