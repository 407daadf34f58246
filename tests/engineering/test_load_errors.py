"""Bad BOM, routing, item and factory data: each is a load error naming file, line and item."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from bom.errors import EngineeringError
from configurator.errors import ModelError
from routing.engineer import load_engineering

SOFA = Path(__file__).resolve().parents[2] / "sample_products" / "sofa"

GOOD_BOM = """\
model: sofa
root: sofa
assemblies:
  - id: sofa
    item: SF-SOFA
    lines:
      - id: arm_set
        assembly: arm
        qty: 2
      - id: legs
        item: LEG-OAK-120
        qty: 4
  - id: arm
    item: SF-ARM
    lines:
      - id: arm_board
        item: PLY-15
        cut: {pieces: 2, length: "seat_depth - 40", width: 600}
"""

GOOD_ROUTING = """\
model: sofa
operations:
  - id: cut
    capability: plywood_cut
    consumes: [arm_board]
    run: "1 + area_m2"
  - id: assemble
    capability: furniture_assembly
    consumes: [arm_set, legs]
    run: 10
    after: [cut]
"""


def product(
    tmp_path: Path, bom: str = GOOD_BOM, routing: str = GOOD_ROUTING, factory: str | None = None
) -> Path:
    """A copy of the sofa model with the given BOM and routing, and the shared files."""
    shared = SOFA.parent
    folder = tmp_path / "sofa"
    folder.mkdir()
    shutil.copy(SOFA / "model.yaml", folder / "model.yaml")
    shutil.copy(shared / "items.yaml", tmp_path / "items.yaml")
    if factory is None:
        shutil.copy(shared / "factory.yaml", tmp_path / "factory.yaml")
    else:
        (tmp_path / "factory.yaml").write_text(textwrap.dedent(factory), encoding="utf-8")
    (folder / "bom.yaml").write_text(bom, encoding="utf-8")
    (folder / "routing.yaml").write_text(routing, encoding="utf-8")
    return folder


def load_error(folder: Path) -> EngineeringError:
    with pytest.raises(EngineeringError) as caught:
        load_engineering(folder)
    return caught.value


def test_the_minimal_product_used_below_loads(tmp_path: Path) -> None:
    model = load_engineering(product(tmp_path))
    assert set(model.routing.operations) == {"cut", "assemble"}


def test_unknown_name_in_a_formula_names_file_line_line_id_and_the_name(tmp_path: Path) -> None:
    error = load_error(product(tmp_path, GOOD_BOM.replace("seat_depth - 40", "seat_dept - 40")))
    assert error.file.endswith("bom.yaml") and error.line == 18
    assert "arm_board" in str(error) and "seat_dept" in str(error)
    assert isinstance(error, ModelError)


def test_unknown_name_in_a_routing_time_is_reported_at_the_operation(tmp_path: Path) -> None:
    error = load_error(
        product(tmp_path, routing=GOOD_ROUTING.replace('"1 + area_m2"', '"1 + aera_m2"'))
    )
    assert error.file.endswith("routing.yaml") and error.line == 6
    assert "operation 'cut'" in str(error) and "aera_m2" in str(error)


def test_unit_mismatch_between_line_and_item_is_a_load_error(tmp_path: Path) -> None:
    bom = GOOD_BOM.replace("        qty: 4\n", "        qty: 4\n        unit: m\n")
    error = load_error(product(tmp_path, bom))
    assert error.line == 13 and "legs" in str(error) and "unit mismatch" in str(error)
    assert "LEG-OAK-120" in str(error)


def test_cutting_a_piece_from_an_item_counted_in_pieces_is_a_unit_mismatch(tmp_path: Path) -> None:
    error = load_error(product(tmp_path, GOOD_BOM.replace("item: PLY-15", "item: LEG-OAK-120")))
    assert "unit mismatch" in str(error) and "arm_board" in str(error)


@pytest.mark.parametrize("quantity", ["0", "-2"])
def test_zero_or_negative_constant_quantity_is_a_load_error(tmp_path: Path, quantity: str) -> None:
    error = load_error(product(tmp_path, GOOD_BOM.replace("qty: 4", f"qty: {quantity}")))
    assert error.line == 12 and "legs" in str(error) and "must be positive" in str(error)


def test_bom_cycle_reports_the_full_path(tmp_path: Path) -> None:
    bom = GOOD_BOM + (
        "      - id: back_to_frame\n"
        "        assembly: frame\n"
        "  - id: frame\n"
        "    item: SF-SEAT-800\n"
        "    lines:\n"
        "      - id: frame_arm\n"
        "        assembly: arm\n"
    )
    error = load_error(product(tmp_path, bom))
    assert "BOM cycle: arm -> frame -> arm" in str(error)
    assert error.file.endswith("bom.yaml") and error.line == 24 and "frame_arm" in str(error)


def test_precedence_cycle_reports_the_full_path(tmp_path: Path) -> None:
    routing = GOOD_ROUTING.replace(
        "    consumes: [arm_board]\n", "    consumes: [arm_board]\n    after: [assemble]\n"
    )
    error = load_error(product(tmp_path, routing=routing))
    assert "precedence cycle" in str(error)
    assert "cut -> assemble -> cut" in str(error) or "assemble -> cut -> assemble" in str(error)


def test_operation_no_machine_can_run_is_a_load_error(tmp_path: Path) -> None:
    error = load_error(
        product(
            tmp_path,
            routing=GOOD_ROUTING.replace("capability: furniture_assembly", "capability: teleport"),
        )
    )
    assert error.line == 8 and "operation 'assemble'" in str(error)
    assert "no machine" in str(error) and "teleport" in str(error)


def test_a_named_machine_without_the_capability_is_a_load_error(tmp_path: Path) -> None:
    routing = GOOD_ROUTING.replace(
        "    run: 10\n", "    run: 10\n    machines:\n      - {machine: SEW-01}\n"
    )
    error = load_error(product(tmp_path, routing=routing))
    assert "SEW-01" in str(error) and "cannot run 'furniture_assembly'" in str(error)


def test_bom_line_no_operation_consumes_is_a_load_error(tmp_path: Path) -> None:
    error = load_error(
        product(tmp_path, routing=GOOD_ROUTING.replace("[arm_set, legs]", "[arm_set]"))
    )
    assert error.file.endswith("bom.yaml") and error.line == 10
    assert "'legs' is not consumed" in str(error)


def test_unknown_item_names_the_line(tmp_path: Path) -> None:
    error = load_error(product(tmp_path, GOOD_BOM.replace("LEG-OAK-120", "LEG-GOLD")))
    assert error.line == 11 and "unknown item 'LEG-GOLD'" in str(error)


def test_sub_assembly_parameters_must_all_be_bound(tmp_path: Path) -> None:
    bom = GOOD_BOM.replace(
        "  - id: arm\n    item: SF-ARM\n", "  - id: arm\n    item: SF-ARM\n    params: [arm_w]\n"
    )
    error = load_error(product(tmp_path, bom))
    assert "arm_set" in str(error) and "arm_w" in str(error)


def test_factory_with_an_unknown_calendar_names_the_work_centre(tmp_path: Path) -> None:
    factory = """\
        factory: tiny
        timezone: Asia/Shanghai
        calendars:
          - {id: day, days: [mon], shifts: ["08:00-17:00"]}
        work_centres:
          - id: assembly
            calendar: night
            machines:
              - {id: ASM-01, capabilities: [furniture_assembly]}
    """
    error = load_error(product(tmp_path, factory=factory))
    assert error.file.endswith("factory.yaml") and error.line == 7
    assert "unknown calendar 'night'" in str(error)


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    error = load_error(product(tmp_path, GOOD_BOM.replace("qty: 2", "qty: [2")))
    assert error.file.endswith("bom.yaml") and (error.line or 0) > 0
    assert "invalid YAML" in str(error)
