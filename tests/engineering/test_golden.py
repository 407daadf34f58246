"""Golden files: every sample product x its named configurations -> canonical BOM/routing JSON.

Regenerate after an intended change with:  UPDATE_GOLDEN=1 .venv/bin/pytest tests/engineering
and review the diff of tests/engineering/golden/ before committing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from routing.engineer import EngineeringModel, engineer, load_engineering, to_canonical_json

GOLDEN = Path(__file__).parent / "golden"
Loader = Callable[[str], EngineeringModel]
Named = Callable[[str], dict[str, dict[str, object]]]


def test_engineered_order_matches_its_golden_file(
    golden_case: tuple[str, str], engineering: Loader, named: Named
) -> None:
    product, name = golden_case
    order = engineer(engineering(product), named(product)[name])
    text = to_canonical_json(order) + "\n"
    path = GOLDEN / f"{product}__{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path.name}; run with UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def test_every_product_has_at_least_three_named_configurations(product: str, named: Named) -> None:
    assert len(named(product)) >= 3


def test_same_choices_give_byte_identical_json_after_a_fresh_load(
    product: str, engineering: Loader, named: Named, products_dir: Path
) -> None:
    choices = next(iter(named(product).values()))
    first = to_canonical_json(engineer(engineering(product), choices))
    shuffled = dict(reversed(list(choices.items())))
    again = to_canonical_json(engineer(load_engineering(products_dir / product), shuffled))
    assert first == again


def test_all_six_sample_products_have_a_bom_and_a_routing(products_dir: Path) -> None:
    for name in ("sofa", "wardrobe", "kitchen", "desk", "washer", "fridge"):
        assert (products_dir / name / "bom.yaml").exists(), name
        assert (products_dir / name / "routing.yaml").exists(), name
