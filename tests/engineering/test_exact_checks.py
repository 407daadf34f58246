"""Conditions checked exactly against the configurator's compiled model (BDD)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from bom.errors import EngineeringError
from bom.formula import Formula, formula
from bom.model import BomLine
from bom.source import Node
from routing.engineer import EngineeringModel
from routing.exact import check_exactly

Loader = Callable[[str], EngineeringModel]


def _condition(text: str, owner: str, line: int = 77) -> Formula:
    node = Node("sofa/bom.yaml", line)
    node["when"] = text
    node.key_lines["when"] = line
    result = formula(node, "when", owner)
    assert result is not None
    return result


def _with_line_condition(
    model: EngineeringModel, assembly: str, line_id: str, text: str
) -> EngineeringModel:
    kit = model.bom.assemblies[assembly]
    lines: tuple[BomLine, ...] = tuple(
        replace(li, when=_condition(text, f"line '{line_id}'")) if li.id == line_id else li
        for li in kit.lines
    )
    return replace(
        model,
        bom=replace(
            model.bom, assemblies={**model.bom.assemblies, assembly: replace(kit, lines=lines)}
        ),
    )


def test_every_sample_product_passes_the_exact_checks(product: str, engineering: Loader) -> None:
    report = check_exactly(engineering(product))
    assert report.checked and not report.skipped


def test_overlapping_lines_of_an_exclusive_group_are_reported_with_a_witness(
    sofa: EngineeringModel,
) -> None:
    broken = _with_line_condition(sofa, "leg_kit", "legs_oak", "legs in ('oak', 'walnut')")
    with pytest.raises(EngineeringError, match="exclusive group 'leg_type'") as caught:
        check_exactly(broken)
    assert "'legs': 'walnut'" in str(caught.value)


def test_a_line_condition_that_no_valid_product_satisfies_is_a_load_error(
    sofa: EngineeringModel,
) -> None:
    # brass legs need velvet or leather covers (constraint brass_legs_premium_covers)
    broken = _with_line_condition(
        sofa, "leg_kit", "legs_brass", "legs == 'brass_steel' and cover == 'tech_fabric'"
    )
    with pytest.raises(EngineeringError, match="can never hold") as caught:
        check_exactly(broken)
    assert "legs_brass" in str(caught.value)


def test_a_let_name_in_a_condition_is_inlined_for_the_check(sofa: EngineeringModel) -> None:
    broken = _with_line_condition(sofa, "sofa", "connectors", "modules >= 9")
    with pytest.raises(EngineeringError, match="can never hold"):
        check_exactly(broken)


def test_an_operation_that_can_never_be_selected_is_a_load_error(sofa: EngineeringModel) -> None:
    op = sofa.routing.operations["fit_recliner"]
    never = replace(
        op, when=_condition("recliner and seats_1000 == 0", "operation 'fit_recliner'", op.line)
    )
    broken = replace(
        sofa,
        routing=replace(
            sofa.routing, operations={**sofa.routing.operations, "fit_recliner": never}
        ),
    )
    with pytest.raises(EngineeringError, match="fit_recliner.*can never hold"):
        check_exactly(broken)
