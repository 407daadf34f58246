from pathlib import Path

import pytest

from configurator.errors import ModelError
from configurator.loading import load_model, load_model_text
from configurator.model import FeatureType

MINI = Path(__file__).parent / "models" / "mini.yaml"

HEADER = """model: m
version: "1"
features:
  - name: cover
    type: choice
    options:
      - code: fabric
        attributes: {weight: 2}
      - code: leather
        attributes: {weight: 3}
  - name: width
    type: integer
    min: 100
    max: 200
    step: 10
"""


def load(constraints: str) -> None:
    load_model_text(HEADER + constraints, file="x.yaml")


def test_mini_model_loads_with_its_features_and_prices():
    model = load_model(MINI)
    assert model.feature("width").domain[:3] == (1400, 1410, 1420)
    assert model.feature("headrest").type is FeatureType.BOOLEAN
    assert len(model.constraints) == 6 and len(model.prices) == 2
    assert model.feature("seats").default == "three"
    assert model.content_hash


def test_environment_adds_option_attributes():
    env = load_model(MINI).environment({"seats": "four", "width": 3000})
    assert env == {"seats": "four", "seats.modules": 4, "width": 3000}


def test_unknown_name_is_reported_with_line_and_token():
    with pytest.raises(ModelError) as caught:
        load("constraints:\n  - id: c\n    kind: rule\n    expr: \"colr == 'x'\"\n")
    assert str(caught.value) == "x.yaml:17: constraint 'c': unknown name 'colr'"
    assert caught.value.token == "colr"


def test_unknown_option_code_is_reported():
    with pytest.raises(ModelError, match="'velvet' is not an option of 'cover'"):
        load("constraints:\n  - id: c\n    kind: rule\n    expr: \"cover == 'velvet'\"\n")


def test_type_errors_are_reported():
    with pytest.raises(ModelError, match="cannot compare 'width' \\(number\\)"):
        load("constraints:\n  - id: c\n    kind: rule\n    expr: \"width == 'fabric'\"\n")
    with pytest.raises(ModelError, match="expected true/false"):
        load('constraints:\n  - id: c\n    kind: rule\n    expr: "width + 1"\n')


def test_unknown_attribute_is_reported():
    with pytest.raises(ModelError, match="has no attribute 'colour'"):
        load('prices:\n  - id: p\n    amount: "cover.colour * 2"\n')


def test_structural_errors_name_the_field():
    with pytest.raises(ModelError) as caught:
        load_model_text(HEADER.replace("step: 10", "step: 30"), file="x.yaml")
    assert caught.value.line == 14 and "multiple of step" in caught.value.message
    with pytest.raises(ModelError, match="x.yaml:5: features\\[0\\]: unknown field 'colour'"):
        load_model_text(
            HEADER.replace("  - name: cover\n", "  - name: cover\n    colour: 1\n"), file="x.yaml"
        )
    with pytest.raises(ModelError, match="duplicate feature name 'cover'"):
        load_model_text(HEADER + "  - name: cover\n    type: boolean\n", file="x.yaml")


def test_yaml_syntax_errors_have_a_line():
    with pytest.raises(ModelError) as caught:
        load_model_text("model: m\nfeatures: [\n", file="bad.yaml")
    assert caught.value.file == "bad.yaml" and caught.value.line is not None


def test_table_values_must_be_in_the_domain():
    with pytest.raises(ModelError, match="x.yaml:21: feature 'cover': 'silk' is not one of"):
        load(
            "constraints:\n  - id: t\n    kind: table\n    columns: [cover, width]\n"
            "    rows:\n      - [silk, 100]\n"
        )
