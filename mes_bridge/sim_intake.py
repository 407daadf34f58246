"""What the reference MES simulator reads from a pushed work order (JSON or B2MML), strictly:
XML must validate against the official XSDs, as a picky MES would insist."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from mes_bridge.b2mml_schema import NS_V0600, NS_V0701, B2mmlSchema, validate
from mes_bridge.errors import PayloadInvalid


class IntakeError(ValueError):
    """The pushed work order is unreadable; the simulator answers 400/422 with this text."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        self.status = status
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class PlannedStep:
    operation_id: str
    machine_id: str
    planned_start: datetime
    planned_end: datetime


@dataclass(frozen=True)
class ReceivedWorkOrder:
    work_order_id: str
    sequence: int
    quantity: int
    steps: tuple[PlannedStep, ...]
    format: str
    cancelled: bool = False  # a revision with request state Cancelled: do not run it


def read_work_order(body: bytes, content_type: str) -> ReceivedWorkOrder:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        return _from_json(body)
    if media in ("application/xml", "text/xml"):
        return _from_xml(body)
    raise IntakeError(415, "Content-Type", f"unsupported media type {media!r}")


def _from_json(body: bytes) -> ReceivedWorkOrder:
    try:
        order: dict[str, Any] = json.loads(body)["work_order"]
        steps = tuple(
            PlannedStep(
                op["id"], op["machine_id"], _when(op["planned_start"]), _when(op["planned_end"])
            )
            for op in order["operations"]
        )
        return ReceivedWorkOrder(
            str(order["id"]),
            int(order["sequence"]),
            int(order["quantity"]),
            steps,
            "json",
            cancelled=order.get("state") == "cancelled",
        )
    except (ValueError, KeyError, TypeError) as error:
        raise IntakeError(400, "work_order", f"unreadable JSON work order: {error!r}") from None


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"date-time without zone: {text}")
    return moment


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _from_xml(body: bytes) -> ReceivedWorkOrder:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise IntakeError(400, "document", str(error)) from None
    if root.tag == f"{{{NS_V0701}}}ProcessOperationsSchedule":
        which, ns, request_tag = B2mmlSchema.OPERATIONS_SCHEDULE, NS_V0701, "OperationsRequest"
    elif root.tag == f"{{{NS_V0600}}}ProcessProductionSchedule":
        which, ns = B2mmlSchema.PRODUCTION_SCHEDULE_V0600, NS_V0600
        request_tag = "ProductionRequest"
    else:
        raise IntakeError(422, "root", f"not a work-order schedule: {root.tag}")
    try:
        validate(root, which, keep_lines=True)
    except PayloadInvalid as problem:
        raise IntakeError(422, f"{problem.path} (line {problem.line})", problem.reason) from None
    requests = root.findall(f".//{{{ns}}}{request_tag}")
    if len(requests) != 1:
        raise IntakeError(422, request_tag, f"expected one work order, got {len(requests)}")
    return _xml_request(requests[0], ns, "b2mml-v0701" if ns == NS_V0701 else "b2mml-v0600")


def _xml_request(request: etree._Element, ns: str, fmt: str) -> ReceivedWorkOrder:
    q = f"{{{ns}}}"
    work_order = request.findtext(q + "ID", "").strip()
    version = request.findtext(q + "Version", "1").strip()
    steps = []
    quantity = 1
    for seg in request.findall(q + "SegmentRequirement"):
        seg_id = seg.findtext(q + "ID", "").strip()
        try:
            steps.append(
                PlannedStep(
                    seg_id.removeprefix(f"{work_order}-"),
                    seg.findtext(f"{q}EquipmentRequirement/{q}EquipmentID", "").strip(),
                    _when(seg.findtext(q + "EarliestStartTime", "")),
                    _when(seg.findtext(q + "LatestEndTime", "")),
                )
            )
        except ValueError as error:
            raise IntakeError(422, f"SegmentRequirement {seg_id}", str(error)) from None
        for produced in seg.iter(q + "MaterialRequirement", q + "MaterialProducedRequirement"):
            if (
                produced.tag.endswith("Produced")
                or produced.findtext(q + "MaterialUse") == "Produced"
            ):
                quantity = int(float(produced.findtext(f"{q}Quantity/{q}QuantityString", "1")))
    if not work_order or not steps:
        raise IntakeError(422, "OperationsRequest", "work order without ID or operations")
    sequence = int(version) if version.isdigit() else 1
    cancelled = _requested_state(request, q) == "Cancelled"
    return ReceivedWorkOrder(work_order, sequence, quantity, tuple(steps), fmt, cancelled)


def _requested_state(request: etree._Element, q: str) -> str:
    state = request.find(q + "RequestState")
    said = "" if state is None else (state.text or "").strip()
    if said == "Other" and state is not None:  # V0600 has no Cancelled: Other + OtherValue
        said = state.get("OtherValue", "").strip()
    return said
