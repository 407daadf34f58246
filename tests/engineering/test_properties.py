"""Properties over valid configurations sampled from the configurator's compiled model."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from bom.errors import EngineeringError
from configurator.expressions import Ref
from configurator.model import FeatureType
from routing.bench import engineer_random_orders
from routing.engineer import EngineeringModel, check_configuration, engineer, to_canonical_json
from routing.validate import load_validated, sample_configurations, validate_samples
from tests.engineering.conftest import sofa_values

Loader = Callable[[str], EngineeringModel]


def _valid(model: EngineeringModel, values: dict[str, object]) -> bool:
    try:
        check_configuration(model.product, values)
    except EngineeringError:
        return False
    return True


def _lines(model: EngineeringModel, values: dict[str, object]) -> dict[str, Decimal]:
    """Gross quantity per BOM line id over the whole tree."""
    totals: dict[str, Decimal] = {}
    for node in engineer(model, values).tree.walk()[1:]:
        totals[node.line] = totals.get(node.line, Decimal(0)) + node.gross
    return totals


def test_every_sampled_valid_configuration_engineers_without_a_defect(
    product: str, engineering: Loader
) -> None:
    model = engineering(product)
    report = validate_samples(model, sample_configurations(model.product, 40, seed=7))
    assert report.configurations == 40


def _cut_area(model: EngineeringModel, values: dict[str, object]) -> Decimal:
    return sum(
        (
            n.quantity
            for n in engineer(model, values).tree.walk()
            if n.cut is not None and n.unit == "m2"
        ),
        Decimal(0),
    )


def test_cut_area_grows_with_a_larger_dimension(product: str, engineering: Loader) -> None:
    model = engineering(product)
    dimensions = [
        f for f in model.product.features if f.type is FeatureType.INTEGER and f.unit == "mm"
    ]
    compared = 0
    for values in sample_configurations(model.product, 25, seed=3):
        for feature in dimensions:
            bigger = {**values, feature.name: int(str(values[feature.name])) + feature.step}
            if not _valid(model, bigger):
                continue
            assert _cut_area(model, bigger) >= _cut_area(model, values), feature.name
            compared += 1
    if compared == 0:
        pytest.fail("no dimension could be enlarged alone in the sampled configurations")


def test_a_depth_or_height_step_changes_a_cut_by_exactly_that_step(engineering: Loader) -> None:
    wardrobe = engineering("wardrobe")
    values = sample_configurations(wardrobe.product, 1, seed=11)[0]
    values.update(
        height=2200,
        top_cabinets=False,
        door_type="open",
        front="none",
        handle="none",
        soft_close=True,
        drawers=max(int(str(values["drawers"])), 1),
    )
    if not _valid(wardrobe, values):
        pytest.fail("sampled wardrobe cannot be made open-fronted")
    sides = {c.path: c for c in engineer(wardrobe, values).cut_list if "/carcass_sides/" in c.path}
    taller = {c.path: c for c in engineer(wardrobe, {**values, "height": 2300}).cut_list}
    assert sides
    for path, row in sides.items():
        assert taller[path].length_mm - row.length_mm == 100
        assert taller[path].width_mm == row.width_mm


def test_sofa_fabric_area_scales_with_seat_depth(sofa: EngineeringModel) -> None:
    values = sofa_values()
    shallow = _lines(sofa, values)["cover_tech"]
    deep = _lines(sofa, {**values, "seat_depth": 950})["cover_tech"]
    # seat panels: 2 modules x 4 panels x 880 mm wide; arms: 2 x 2 panels x 850 mm wide
    expected_m2 = Decimal(50) * (2 * 4 * 880 + 2 * 2 * 850) / 1_000_000 * Decimal("1.12")
    assert deep - shallow == expected_m2.quantize(Decimal("0.0001"))


def test_turning_an_option_off_removes_the_lines_it_selects(
    product: str, engineering: Loader
) -> None:
    model = engineering(product)
    booleans = [f.name for f in model.product.features if f.type is FeatureType.BOOLEAN]
    only_on = {
        line.id: line.when.expr.key
        for line in model.bom.lines()
        if line.when is not None
        and isinstance(line.when.expr, Ref)
        and line.when.expr.key in booleans
    }
    checked = 0
    for values in sample_configurations(model.product, 30, seed=5):
        for name in booleans:
            off = {**values, name: False}
            if values[name] is not True or not _valid(model, off):
                continue
            without = _lines(model, off)
            for line_id, feature in only_on.items():
                if feature == name:
                    assert line_id not in without, (name, line_id)
            checked += 1
    if checked == 0:
        pytest.fail("no boolean option could be turned off alone in the samples")


def test_sofa_without_usb_or_recliner_has_none_of_their_parts(sofa: EngineeringModel) -> None:
    values = sample_configurations(sofa.product, 1, seed=2)[0]
    values.update(recliner=False, usb_charging=False)
    items = {node.item for node in engineer(sofa, values, check=False).tree.walk()}
    assert not items & {"REC-MECH", "REC-MOTOR", "EL-PSU-29V", "EL-USBC-ARM"}


def test_an_exclusive_group_with_two_lines_selected_is_reported_with_both(
    sofa: EngineeringModel,
) -> None:
    from dataclasses import replace

    bom = sofa.bom
    kit = bom.assemblies["leg_kit"]
    oak = next(line for line in kit.lines if line.id == "legs_oak")
    always = replace(oak, id="legs_oak_twin", when=None)
    broken = replace(
        sofa,
        bom=replace(
            bom, assemblies={**bom.assemblies, "leg_kit": replace(kit, lines=(*kit.lines, always))}
        ),
    )
    values = sample_configurations(sofa.product, 60, seed=1)
    with pytest.raises(EngineeringError, match="exclusive group 'leg_type'"):
        validate_samples(broken, values)


def test_a_quantity_that_reaches_zero_in_a_valid_configuration_is_reported(
    sofa: EngineeringModel,
) -> None:
    from dataclasses import replace

    from bom.formula import formula
    from bom.source import Node

    node = Node("sofa/bom.yaml", 99)
    node["qty"] = "seats_1000"
    node.key_lines["qty"] = 99
    root = sofa.bom.assemblies["sofa"]
    lines = tuple(
        replace(line, qty=formula(node, "qty", "line 'connectors'"))
        if line.id == "connectors"
        else line
        for line in root.lines
    )
    broken = replace(
        sofa,
        bom=replace(
            sofa.bom, assemblies={**sofa.bom.assemblies, "sofa": replace(root, lines=lines)}
        ),
    )
    values = [v for v in sample_configurations(sofa.product, 40, seed=4) if v["seats_1000"] == 0]
    assert values
    with pytest.raises(EngineeringError, match="must be positive") as caught:
        validate_samples(broken, values)
    assert caught.value.line == 99 and "connectors" in str(caught.value)


def test_every_sample_product_loads_validated_without_warnings(
    product: str, products_dir: Path
) -> None:
    _, warnings = load_validated(str(products_dir / product), samples=30, seed=13)
    assert warnings == []


def test_random_valid_orders_engineer_reproducibly_for_the_benchmark(products_dir: Path) -> None:
    first = engineer_random_orders(products_dir / "washer", 5, seed=21)
    again = engineer_random_orders(products_dir / "washer", 5, seed=21)
    assert len(first) == 5
    assert [to_canonical_json(o) for o in first] == [to_canonical_json(o) for o in again]
    assert len({to_canonical_json(o) for o in first}) > 1
