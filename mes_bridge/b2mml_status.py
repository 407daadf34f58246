"""Status back from the MES as B2MML V0701 `SyncOperationsPerformance`: parse into Events, and
build one from an Event (the simulator and tests speak it).

Conventions (agree them with the MES vendor):
- one OperationsResponse per work order report; `OperationsRequestID` = work-order id,
  `Version` = the per-work-order event sequence number, `ResponseState` = what happened
  (Ready/Waiting = accepted, Running = started or progress, Held/Paused/Suspended = interrupted,
  Completed/Closed = completed, Aborted = aborted; `Other` + OtherValue may name any event kind);
- one SegmentResponse per operation (`SegmentRequirementID` = "<work order>-<operation>"), with
  actual times, the machine in EquipmentActual and running totals in MaterialActual: Produced =
  good, `Other`/OtherValue="Scrapped" = scrap. The work order's own totals (finished product)
  sit in a SegmentResponse without SegmentRequirementID;
- the event id is the BODID (suffixed "/<response ID>" when a message holds several responses).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from lxml import etree

from mes_bridge import bounds
from mes_bridge.b2mml import decimal_text, utc_text
from mes_bridge.b2mml_schema import NS_V0701, B2mmlSchema, serialize, validate
from mes_bridge.errors import EventParseError, PayloadInvalid
from mes_bridge.lifecycle import B2MML_RESPONSE_EVENT, EventKind
from mes_bridge.model import Event, OperationActual

SOURCE = "SyncOperationsPerformance"
_Q = f"{{{NS_V0701}}}"
_MISSING = {
    "Version": "missing: our convention puts the per-work-order event sequence number here",
    "OperationsRequestID": "missing: names the work order this response is about",
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_untrusted(body: bytes, source: str) -> etree._Element:
    """The root of an XML document from outside. A DOCTYPE is refused outright: B2MML needs
    none, and its internal subset is where entity-expansion and external-entity attacks live
    (the parser resolves no entities and loads nothing anyway; this keeps it that way)."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise EventParseError(source, "document", str(error), error.lineno) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise EventParseError(source, "DOCTYPE", "a document type declaration is not accepted", 1)
    return root


def _child(element: etree._Element, tag: str) -> etree._Element | None:
    return element.find(_Q + tag)


def _text(element: etree._Element, tag: str) -> str | None:
    found = _child(element, tag)
    return found.text.strip() if found is not None and found.text else None


def _required(element: etree._Element, tag: str, where: str) -> str:
    value = _text(element, tag)
    if value is None:
        raise EventParseError(
            SOURCE, f"{where}/{tag}", _MISSING.get(tag, "missing"), element.sourceline
        )
    return value


def _time(element: etree._Element, tag: str, where: str) -> datetime | None:
    value = _text(element, tag)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise EventParseError(
            SOURCE, f"{where}/{tag}", f"not a date-time: {value!r}", element.sourceline
        ) from None
    if moment.tzinfo is None:
        raise EventParseError(
            SOURCE, f"{where}/{tag}", "date-time without a time zone", element.sourceline
        )
    return moment


def parse_sync_operations_performance(body: bytes) -> list[Event]:
    """Events from a SyncOperationsPerformance document; EventParseError says what and where."""
    root = parse_untrusted(body, SOURCE)
    if root.tag != _Q + "SyncOperationsPerformance":
        raise EventParseError(
            SOURCE,
            "root",
            f"expected SyncOperationsPerformance in {NS_V0701}, got {root.tag}",
            root.sourceline,
        )
    try:
        validate(root, B2mmlSchema.OPERATIONS_PERFORMANCE, keep_lines=True)
    except PayloadInvalid as error:
        raise EventParseError(SOURCE, error.path, error.reason, error.line) from None
    # Checked here too: without an installed schema set the document is not validated.
    area = root.find(_Q + "ApplicationArea")
    if area is None:
        raise EventParseError(SOURCE, "ApplicationArea", "missing", root.sourceline)
    bod_id = _required(area, "BODID", "ApplicationArea")
    occurred = _time(area, "CreationDateTime", "ApplicationArea")
    if occurred is None:
        raise EventParseError(
            SOURCE, "ApplicationArea/CreationDateTime", "missing", area.sourceline
        )
    responses = root.findall(f"{_Q}DataArea/{_Q}OperationsPerformance/{_Q}OperationsResponse")
    return [
        _event(
            response,
            bod_id
            if len(responses) == 1
            else f"{bod_id}/{_required(response, 'ID', 'OperationsResponse')}",
            occurred,
        )
        for response in responses
    ]


def _event(response: etree._Element, event_id: str, occurred: datetime) -> Event:
    where = "OperationsResponse"
    work_order = _required(response, "OperationsRequestID", where)
    try:
        sequence = bounds.sequence_text(_required(response, "Version", where))
    except ValueError as error:
        raise EventParseError(
            SOURCE, f"{where}/Version", f"sequence {error}", response.sourceline
        ) from None
    segments = response.findall(_Q + "SegmentResponse")
    operations = [
        _actual(seg, work_order) for seg in segments if _text(seg, "SegmentRequirementID")
    ]
    good, scrap = _work_order_totals(
        seg for seg in segments if not _text(seg, "SegmentRequirementID")
    )
    kind = _kind(response, "ResponseState", where)
    reported = [good, scrap, *(q for op in operations for q in (op.good, op.scrap))]
    if kind is EventKind.STARTED and any(q is not None for q in reported):
        kind = EventKind.PROGRESS  # "Running" with quantities is a progress report
    return Event(
        event_id=event_id,
        work_order_id=work_order,
        sequence=sequence,
        kind=kind,
        occurred_at=occurred,
        good=good,
        scrap=scrap,
        reason=_text(response, "Description"),
        operations=tuple(operations),
    )


def _work_order_totals(segments: Iterable[etree._Element]) -> tuple[Decimal | None, Decimal | None]:
    good: Decimal | None = None
    scrap: Decimal | None = None
    for seg in segments:
        seg_good, seg_scrap = _quantities(seg)
        if seg_good is not None:
            good = (good or Decimal(0)) + seg_good
        if seg_scrap is not None:
            scrap = (scrap or Decimal(0)) + seg_scrap
    try:  # summed over segments, each in bounds: the work order's totals must be too
        checked = [None if q is None else bounds.quantity(q) for q in (good, scrap)]
    except ValueError as error:
        raise EventParseError(SOURCE, "SegmentResponse/MaterialActual", str(error)) from None
    return checked[0], checked[1]


def _kind(element: etree._Element, tag: str, where: str) -> EventKind:
    state = _child(element, tag)
    if state is None or not state.text:
        raise EventParseError(
            SOURCE, f"{where}/{tag}", _MISSING.get(tag, "missing"), element.sourceline
        )
    value = state.text.strip()
    if value == "Other":
        other = (state.get("OtherValue") or "").lower()
        if other in {kind.value for kind in EventKind}:
            return EventKind(other)
    elif value in B2MML_RESPONSE_EVENT:
        return B2MML_RESPONSE_EVENT[value]
    raise EventParseError(
        SOURCE, f"{where}/{tag}", f"state {value!r} means no event we know", state.sourceline
    )


def _actual(seg: etree._Element, work_order: str) -> OperationActual:
    where = "SegmentResponse"
    requirement = _required(seg, "SegmentRequirementID", where)
    good, scrap = _quantities(seg)
    machine = seg.find(f"{_Q}EquipmentActual/{_Q}EquipmentID")
    return OperationActual(
        operation_id=requirement.removeprefix(f"{work_order}-"),
        state=_kind(seg, "SegmentState", where)
        if _child(seg, "SegmentState") is not None
        else EventKind.PROGRESS,
        machine_id=machine.text.strip() if machine is not None and machine.text else None,
        actual_start=_time(seg, "ActualStartTime", where),
        actual_end=_time(seg, "ActualEndTime", where),
        good=good,
        scrap=scrap,
    )


def _quantities(seg: etree._Element) -> tuple[Decimal | None, Decimal | None]:
    totals: dict[str, Decimal] = {}
    for actual in seg.findall(_Q + "MaterialActual"):
        use = _child(actual, "MaterialUse")
        amount = actual.find(f"{_Q}Quantity/{_Q}QuantityString")
        if use is None or amount is None or not amount.text:
            continue
        label = use.get("OtherValue", "") if use.text == "Other" else (use.text or "")
        if label not in ("Produced", "Scrapped"):
            continue  # consumed material is traceability data, not output
        try:
            added = totals.get(label, Decimal(0)) + bounds.quantity(amount.text)
            totals[label] = bounds.quantity(added)  # the sum is a running total too
        except ValueError as error:
            raise EventParseError(
                SOURCE, "MaterialActual/Quantity/QuantityString", str(error), amount.sourceline
            ) from None
    return totals.get("Produced"), totals.get("Scrapped")


_STATE_FOR_KIND = {
    EventKind.ACCEPTED: "Ready",
    EventKind.STARTED: "Running",
    EventKind.PROGRESS: "Running",
    EventKind.INTERRUPTED: "Held",
    EventKind.COMPLETED: "Completed",
    EventKind.ABORTED: "Aborted",
}


def _state(parent: etree._Element, tag: str, kind: EventKind) -> None:
    element = etree.SubElement(parent, _Q + tag)
    if kind in _STATE_FOR_KIND:
        element.text = _STATE_FOR_KIND[kind]
    else:
        element.text, element.attrib["OtherValue"] = "Other", kind.value.capitalize()


def _add(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _Q + tag)
    element.text = text
    return element


def sync_operations_performance(event: Event, sender: str = "mes.simulator") -> bytes:
    """The B2MML form of `event` (what an MES would post), validated against the XSD."""
    root, performance = _performance_envelope(event, sender)
    _add(performance, "ID", f"PERF-{event.work_order_id}")
    response = etree.SubElement(performance, _Q + "OperationsResponse")
    _add(response, "ID", f"RESP-{event.event_id}")
    if event.reason:
        _add(response, "Description", event.reason)
    _add(response, "Version", str(event.sequence))
    _add(response, "OperationsRequestID", event.work_order_id)
    _state(response, "ResponseState", event.kind)
    for op in event.operations:
        _segment_response(response, event, op)
    if event.good is not None or event.scrap is not None or not event.operations:
        # Work-order totals ride on a segment response without SegmentRequirementID (the
        # schema also wants at least one SegmentResponse).
        whole = etree.SubElement(response, _Q + "SegmentResponse")
        _add(whole, "ID", f"SR-{event.event_id}-WO")
        _material_actuals(whole, f"{event.work_order_id}-WO", event.good, event.scrap)
    validate(root, B2mmlSchema.OPERATIONS_PERFORMANCE)
    return serialize(root)


def _performance_envelope(event: Event, sender: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(
        _Q + "SyncOperationsPerformance", nsmap={None: NS_V0701}, releaseID="7.0.1"
    )
    area = etree.SubElement(root, _Q + "ApplicationArea")
    _add(etree.SubElement(area, _Q + "Sender"), "LogicalID", sender)
    _add(area, "CreationDateTime", utc_text(event.occurred_at))
    _add(area, "BODID", event.event_id)
    data = etree.SubElement(root, _Q + "DataArea")
    etree.SubElement(
        etree.SubElement(etree.SubElement(data, _Q + "Sync"), _Q + "ActionCriteria"),
        _Q + "ActionExpression",
        actionCode="Change",
    )
    return root, etree.SubElement(data, _Q + "OperationsPerformance")


def _segment_response(parent: etree._Element, event: Event, op: OperationActual) -> None:
    seg_id = f"{event.work_order_id}-{op.operation_id}"
    seg = etree.SubElement(parent, _Q + "SegmentResponse")
    _add(seg, "ID", f"SR-{event.event_id}-{op.operation_id}")
    if op.actual_start:
        _add(seg, "ActualStartTime", utc_text(op.actual_start))
    if op.actual_end:
        _add(seg, "ActualEndTime", utc_text(op.actual_end))
    _add(seg, "OperationsRequestID", event.work_order_id)
    _add(seg, "SegmentRequirementID", seg_id)
    _state(seg, "SegmentState", op.state)
    if op.machine_id:
        equipment = etree.SubElement(seg, _Q + "EquipmentActual")
        _add(equipment, "ID", f"{seg_id}-EQA")
        _add(equipment, "EquipmentID", op.machine_id)
    _material_actuals(seg, seg_id, op.good, op.scrap)


def _material_actuals(
    seg: etree._Element, seg_id: str, good: Decimal | None, scrap: Decimal | None
) -> None:
    for label, amount in (("Produced", good), ("Scrapped", scrap)):
        if amount is None:
            continue
        actual = etree.SubElement(seg, _Q + "MaterialActual")
        _add(actual, "ID", f"{seg_id}-{label}")
        use = _add(actual, "MaterialUse", label if label == "Produced" else "Other")
        if label == "Scrapped":
            use.attrib["OtherValue"] = "Scrapped"
        _add(etree.SubElement(actual, _Q + "Quantity"), "QuantityString", decimal_text(amount))
