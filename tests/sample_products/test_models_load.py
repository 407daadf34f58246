"""The six sample product models: they load, are rich enough, speak English and Chinese,
have no dead options, and their named configurations are complete, valid products."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from configurator.loading import load_model
from configurator.model import ConstraintKind, FeatureType, Label, ProductModel
from configurator.session import Configurator

SAMPLES = Path(__file__).resolve().parents[2] / "sample_products"
PRODUCTS = ("sofa", "wardrobe", "kitchen", "desk", "washer", "fridge")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@cache
def model(product: str) -> ProductModel:
    return load_model(SAMPLES / product / "model.yaml")


@cache
def configurator(product: str) -> Configurator:
    return Configurator(model(product), use_cache=False)


@cache
def named_configurations(product: str) -> tuple[dict[str, Any], ...]:
    with open(SAMPLES / product / "configurations.yaml", encoding="utf-8") as handle:
        return tuple(yaml.safe_load(handle)["configurations"])


def _all_named() -> list[Any]:
    return [
        pytest.param(product, entry["name"], id=f"{product}-{entry['name']}")
        for product in PRODUCTS
        for entry in named_configurations(product)
    ]


def _labels(product_model: ProductModel) -> list[tuple[str, Label]]:
    """Every text a customer or planner reads, with where it comes from."""
    labels = [("model", product_model.label)]
    for feature in product_model.features:
        labels.append((f"feature {feature.name}", feature.label))
        labels += [(f"option {feature.name}={o.code}", o.label) for o in feature.options]
    labels += [(f"constraint {c.id}", c.message) for c in product_model.constraints]
    labels += [(f"price {p.id}", p.label) for p in product_model.prices]
    return labels


@pytest.mark.parametrize("product", PRODUCTS)
def test_sample_model_loads_under_its_folder_name_priced_in_yuan(product: str) -> None:
    loaded = model(product)
    assert loaded.name == product
    assert loaded.currency == "CNY"
    assert loaded.version
    assert loaded.base_price > 0


@pytest.mark.parametrize("product", PRODUCTS)
def test_sample_model_has_at_least_twelve_features_including_millimetre_dimensions(
    product: str,
) -> None:
    features = model(product).features
    assert len(features) >= 12
    assert any(f.type is FeatureType.INTEGER and f.unit == "mm" for f in features)


@pytest.mark.parametrize("product", PRODUCTS)
def test_every_integer_feature_has_a_unit_and_a_small_stepped_domain(product: str) -> None:
    for feature in model(product).features:
        if feature.type is FeatureType.INTEGER:
            assert feature.unit, feature.name
            assert 2 <= len(feature.domain) <= 501, feature.name


@pytest.mark.parametrize("product", PRODUCTS)
def test_sample_model_has_at_least_fifteen_constraints_using_every_kind(product: str) -> None:
    constraints = model(product).constraints
    assert len(constraints) >= 15
    assert {c.kind for c in constraints} == set(ConstraintKind)


@pytest.mark.parametrize("product", PRODUCTS)
def test_every_label_and_message_is_in_english_and_chinese(product: str) -> None:
    missing = [
        where
        for where, label in _labels(model(product))
        if not label.en.strip() or not CHINESE.search(label.zh)
    ]
    assert missing == []


@pytest.mark.parametrize("product", PRODUCTS)
def test_options_of_one_feature_share_the_same_attribute_names(product: str) -> None:
    # BOM and routing expressions read `feature.attribute` whatever option is chosen.
    for feature in model(product).features:
        names = {frozenset(option.attributes) for option in feature.options}
        assert len(names) <= 1, feature.name


@pytest.mark.parametrize("product", PRODUCTS)
def test_every_feature_has_a_default_and_the_defaults_form_a_valid_product(product: str) -> None:
    defaults = {f.name: f.default for f in model(product).features}
    assert None not in defaults.values()
    assert configurator(product).is_valid(defaults)


@pytest.mark.parametrize("product", PRODUCTS)
def test_completing_an_empty_configuration_gives_exactly_the_defaults(product: str) -> None:
    defaults = {f.name: f.default for f in model(product).features}
    assert configurator(product).complete({}) == defaults


@pytest.mark.parametrize("product", PRODUCTS)
def test_each_recommended_value_is_available_from_the_start(product: str) -> None:
    start = configurator(product).configure({}, explain=False, price=False)
    recommended = [f for f in model(product).features if f.recommended is not None]
    assert recommended
    for feature in recommended:
        assert feature.recommended in start.feature(feature.name).available, feature.name


@pytest.mark.parametrize("product", PRODUCTS)
def test_no_option_is_dead_and_no_feature_is_always_forced(product: str) -> None:
    assert [str(warning) for warning in configurator(product).check_model()] == []


@pytest.mark.parametrize("product", PRODUCTS)
def test_valid_configurations_number_between_ten_thousand_and_a_trillion(product: str) -> None:
    count = configurator(product).engine.count({})
    assert count is not None
    assert 10**4 <= count <= 10**12


@pytest.mark.parametrize("product", PRODUCTS)
def test_product_has_at_least_three_uniquely_named_configurations(product: str) -> None:
    names = [entry["name"] for entry in named_configurations(product)]
    assert len(names) >= 3
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(("product", "name"), _all_named())
def test_named_configuration_is_a_complete_valid_product_with_a_price(
    product: str, name: str
) -> None:
    entry = next(e for e in named_configurations(product) if e["name"] == name)
    choices = entry["choices"]
    assert set(choices) == set(model(product).feature_names)
    assert CHINESE.search(entry["label"]["zh"]) and entry["label"]["en"]
    assert configurator(product).is_valid(choices)
    assert configurator(product).price(choices).total > Decimal(0)
