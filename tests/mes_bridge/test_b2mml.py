from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from mes_bridge import b2mml, b2mml_schema, payloads
from mes_bridge.b2mml_schema import (
    ENGINE_ENV,
    NS_V0701,
    B2mmlSchema,
    Engine,
    missing_schemas,
    schema,
    standards_dir,
    validate,
)
from mes_bridge.b2mml_status import parse_sync_operations_performance, sync_operations_performance
from mes_bridge.errors import EventParseError, PayloadInvalid
from mes_bridge.lifecycle import EventKind
from mes_bridge.model import Event, OperationActual, PayloadFormat

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # the sample work order's start

Q = f"{{{NS_V0701}}}"
EXAMPLES = standards_dir() / "examples"


def test_a_work_order_as_process_operations_schedule_validates_and_carries_the_bodid(work_order):
    body = b2mml.process_operations_schedule(work_order, "msg-42", T0, "mes.plant1")
    root = etree.fromstring(body)
    assert schema(B2mmlSchema.OPERATIONS_SCHEDULE).is_valid(root)
    assert root.findtext(f"{Q}ApplicationArea/{Q}BODID") == "msg-42"
    request = root.find(f".//{Q}OperationsRequest")
    assert request.findtext(f"{Q}ID") == "WO-1001" and request.findtext(f"{Q}Version") == "1"
    segments = request.findall(f"{Q}SegmentRequirement")
    assert [s.findtext(f"{Q}ID") for s in segments] == ["WO-1001-OP10", "WO-1001-OP20"]
    assert segments[0].findtext(f"{Q}Duration") == "PT45M"
    assert segments[1].findtext(f"{Q}Duration") == "PT1H30M"


def test_configuration_and_bom_lines_land_on_each_operation(work_order):
    root = etree.fromstring(b2mml.process_operations_schedule(work_order, "m", T0))
    cut = root.find(f".//{Q}SegmentRequirement")
    params = {
        p.findtext(f"{Q}ID"): p.findtext(f"{Q}Value/{Q}ValueString")
        for p in cut.findall(f"{Q}SegmentParameter")
    }
    assert params == {
        "width_mm": "1600",
        "lift": "true",
        "top_thickness": "2.5",
        "finish": "oiled oak",
        "program": "P-1600x800",
    }
    materials = [
        (
            m.findtext(f"{Q}MaterialDefinitionID"),
            m.findtext(f"{Q}MaterialUse"),
            m.findtext(f"{Q}Quantity/{Q}QuantityString"),
        )
        for m in cut.findall(f"{Q}MaterialRequirement")
    ]
    assert materials == [("PANEL-OAK-25MM", "Consumed", "2"), ("TOP-OAK-1600x800", "Produced", "2")]
    last = root.findall(f".//{Q}SegmentRequirement")[-1]
    produced = [
        m.findtext(f"{Q}MaterialDefinitionID")
        for m in last.iter(f"{Q}MaterialRequirement")
        if m.findtext(f"{Q}MaterialUse") == "Produced"
    ]
    assert produced == ["DESK-CFG-8f3a"]


@pytest.mark.parametrize("using", list(Engine))
@pytest.mark.parametrize("fmt", [PayloadFormat.B2MML_V0701, PayloadFormat.B2MML_V0600])
def test_both_validators_accept_what_we_render(work_order, monkeypatch, using, fmt):
    monkeypatch.setenv(ENGINE_ENV, using.value)
    body = payloads.render(work_order, fmt, "m", T0)
    which = (
        B2mmlSchema.OPERATIONS_SCHEDULE
        if fmt is PayloadFormat.B2MML_V0701
        else B2mmlSchema.PRODUCTION_SCHEDULE_V0600
    )
    validate(etree.fromstring(body), which, Engine.XMLSCHEMA)
    validate(etree.fromstring(body), which, Engine.LIBXML2)


def test_a_legacy_v0600_production_schedule_validates(work_order):
    body = b2mml.process_production_schedule(work_order, "msg-43", T0)
    assert schema(B2mmlSchema.PRODUCTION_SCHEDULE_V0600).is_valid(etree.fromstring(body))


@pytest.mark.parametrize("fmt", list(PayloadFormat))
def test_a_work_order_without_operations_is_never_rendered(work_order, fmt):
    with pytest.raises(PayloadInvalid, match="has no operations"):
        payloads.render(dataclasses.replace(work_order, operations=()), fmt, "m", T0)


def _built(work_order) -> etree._Element:
    return etree.fromstring(b2mml.process_operations_schedule(work_order, "m", T0))


def _drop(root: etree._Element, tag: str) -> etree._Element:
    for element in root.findall(f".//{Q}{tag}"):
        element.getparent().remove(element)
    return root


def _set(root: etree._Element, tag: str, text: str) -> etree._Element:
    root.find(f".//{Q}{tag}").text = text
    return root


@pytest.mark.parametrize(
    "breaking,where",
    [
        (lambda root: _drop(root, "ProcessSegmentID"), "ProcessSegmentID"),
        (lambda root: _drop(root, "CreationDateTime"), "CreationDateTime"),
        (lambda root: _set(root, "RequestState", "Started"), "RequestState"),
        (lambda root: _set(root, "EarliestStartTime", "23.11.2026 06:00"), "EarliestStartTime"),
        (lambda root: _drop(root, "SegmentRequirement"), "SegmentRequirement"),
    ],
)
@pytest.mark.parametrize("using", list(Engine))
def test_a_schedule_that_breaks_the_schema_is_refused_with_the_validators_message(
    work_order, breaking, where, using
):
    with pytest.raises(PayloadInvalid) as caught:
        validate(breaking(_built(work_order)), B2mmlSchema.OPERATIONS_SCHEDULE, using)
    assert caught.value.schema == "B2MML-OperationsSchedule.xsd"
    assert where in caught.value.reason or where in caught.value.path


def test_text_that_cannot_be_xml_is_refused_not_crashed_on(work_order):
    bad = dataclasses.replace(work_order, description="note\x00with a NUL")
    with pytest.raises(PayloadInvalid, match="Description"):
        payloads.render(bad, PayloadFormat.B2MML_V0701, "m", T0)


@pytest.mark.parametrize("fmt", list(PayloadFormat))
def test_a_naive_planned_time_is_refused_with_the_operation_named(work_order, fmt):
    op = dataclasses.replace(
        work_order.operations[1], planned_start=T0.replace(hour=7, tzinfo=None)
    )
    bad = dataclasses.replace(work_order, operations=(work_order.operations[0], op))
    with pytest.raises(PayloadInvalid, match="OP20.planned_start: naive datetime"):
        payloads.render(bad, fmt, "m", T0)


@pytest.mark.parametrize(
    "name,xsd",
    [
        ("ProcessOperationsSchedule-WO-1001.V0701.xml", B2mmlSchema.OPERATIONS_SCHEDULE),
        ("SyncOperationsPerformance-WO-1001.V0701.xml", B2mmlSchema.OPERATIONS_PERFORMANCE),
        ("ProcessProductionSchedule-WO-1001.V0600.xml", B2mmlSchema.PRODUCTION_SCHEDULE_V0600),
    ],
)
def test_the_shared_examples_validate_with_our_compiled_schemas(name, xsd):
    assert schema(xsd).is_valid(str(EXAMPLES / name))


@pytest.fixture()
def schema_choice(monkeypatch):
    """The schema folder is chosen per process; each test here starts and ends unchosen."""
    monkeypatch.setattr(b2mml_schema._Choice, "made", False)
    monkeypatch.setattr(b2mml_schema._Choice, "folder", None)


def test_the_standards_folder_can_be_moved_with_an_environment_variable(
    monkeypatch, tmp_path, schema_choice
):
    monkeypatch.setenv("C2M_B2MML_DIR", str(tmp_path))
    assert standards_dir() == Path(tmp_path)
    assert set(missing_schemas()) == {which.value for which in B2mmlSchema}
    with pytest.raises(FileNotFoundError, match="C2M_B2MML_DIR"):
        schema(B2mmlSchema.OPERATIONS_SCHEDULE)


def test_the_applications_setting_wins_over_the_environment(monkeypatch, tmp_path, schema_choice):
    installed = standards_dir()
    monkeypatch.setenv("C2M_B2MML_DIR", str(tmp_path))
    b2mml_schema.use_standards_dir(installed)
    assert standards_dir() == installed and missing_schemas() == []


def test_without_a_schema_set_b2mml_is_still_rendered_and_checked_structurally(
    work_order, schema_choice
):
    b2mml_schema.use_standards_dir(None)
    with pytest.raises(FileNotFoundError, match="C2M_B2MML_DIR"):
        schema(B2mmlSchema.OPERATIONS_SCHEDULE)
    body = b2mml.process_operations_schedule(work_order, "msg-42", T0, "mes.plant1")
    assert etree.fromstring(body).findtext(f"{Q}ApplicationArea/{Q}BODID") == "msg-42"
    naive = dataclasses.replace(
        work_order,
        operations=(
            dataclasses.replace(work_order.operations[0], planned_start=T0.replace(tzinfo=None)),
            *work_order.operations[1:],
        ),
    )
    with pytest.raises(PayloadInvalid, match="naive"):
        b2mml.process_operations_schedule(naive, "msg-43", T0, "mes.plant1")


def test_without_a_schema_set_a_status_document_lacking_its_header_is_a_parse_error(
    schema_choice,
):
    b2mml_schema.use_standards_dir(None)
    body = (
        f'<SyncOperationsPerformance xmlns="{NS_V0701}" releaseID="7.1"><DataArea/>'
        "</SyncOperationsPerformance>"
    ).encode()
    with pytest.raises(EventParseError, match="ApplicationArea"):
        parse_sync_operations_performance(body)


def _example_with_sequence(sequence: str) -> bytes:
    text = (EXAMPLES / "SyncOperationsPerformance-WO-1001.V0701.xml").read_bytes()
    return text.replace(
        b"<ID>RESP-WO-1001</ID>",
        b"<ID>RESP-WO-1001</ID><Version>" + sequence.encode() + b"</Version>",
    )


def test_the_shared_status_example_reads_as_a_progress_event_with_scrap():
    (event,) = parse_sync_operations_performance(_example_with_sequence("4"))
    assert (event.event_id, event.work_order_id, event.sequence, event.kind) == (
        "mes-evt-000000000123",
        "WO-1001",
        4,
        EventKind.PROGRESS,
    )
    (op,) = event.operations
    assert (op.operation_id, op.state, op.machine_id, op.good, op.scrap) == (
        "OP10",
        EventKind.COMPLETED,
        "LINE1-CNC-02",
        Decimal(2),
        Decimal(1),
    )
    assert op.actual_end is not None and op.actual_end.tzinfo is not None


def test_a_status_without_a_sequence_number_names_the_missing_element():
    body = (EXAMPLES / "SyncOperationsPerformance-WO-1001.V0701.xml").read_bytes()
    with pytest.raises(EventParseError) as caught:
        parse_sync_operations_performance(body)
    assert caught.value.field == "OperationsResponse/Version" and caught.value.line


@pytest.mark.parametrize("using", list(Engine))
def test_a_status_that_breaks_the_schema_is_refused_with_the_line(monkeypatch, using):
    monkeypatch.setenv(ENGINE_ENV, using.value)
    body = _example_with_sequence("4").replace(
        b"<ResponseState>Running</ResponseState>", b"<ResponseState>Busy</ResponseState>"
    )
    with pytest.raises(EventParseError) as caught:
        parse_sync_operations_performance(body)
    assert "ResponseState" in str(caught.value) and caught.value.line


def test_garbage_instead_of_xml_is_a_parse_error_not_a_traceback():
    with pytest.raises(EventParseError, match="document"):
        parse_sync_operations_performance(b"<SyncOperationsPerformance>")


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_event_kind_survives_a_b2mml_round_trip(kind):
    has_totals = kind not in (EventKind.ACCEPTED, EventKind.STARTED)
    event = Event(
        "evt-9",
        "WO-1001",
        9,
        kind,
        T0,
        good=Decimal(1) if has_totals else None,
        scrap=Decimal(0) if has_totals else None,
        reason="shift change",
        operations=(OperationActual("OP20", EventKind.STARTED, "LINE1-ASSY-01", T0),),
    )
    body = sync_operations_performance(event)
    assert schema(B2mmlSchema.OPERATIONS_PERFORMANCE).is_valid(etree.fromstring(body))
    assert parse_sync_operations_performance(body) == [event]
