"""The configurator API on the mini sofa: reasons, repairs, completion, prices, checks."""

from decimal import Decimal
from pathlib import Path

import pytest

from configurator.api import configure_request
from configurator.errors import ChoiceError, ModelError
from configurator.loading import load_model, load_model_text
from configurator.session import Configurator

MINI = Path(__file__).parent / "models" / "mini.yaml"


@pytest.fixture(scope="module")
def mini() -> Configurator:
    return Configurator(load_model(MINI), use_cache=False)


def test_unavailable_option_says_which_choice_rules_it_out(mini):
    legs = mini.configure({"cover": "leather", "headrest": False}).feature("legs")
    why = legs.unavailable["plastic"]
    assert why.blocking == (("cover", "leather"),)
    assert [rule.id for rule in why.rules] == ["leather_no_plastic_legs"]
    assert why.text() == ("Leather covers need wooden or metal legs (because of cover = leather)")
    assert "真皮面料需配木腿或金属腿" in why.text("zh")
    assert why.suggestion() == "change cover to fabric to allow this"


def test_forced_values_are_reported(mini):
    state = mini.configure({"seats": "two", "module_width": 600})
    assert state.feature("width").forced == 1400
    assert state.feature("width").available == (1400,)


def test_contradictory_choices_give_a_conflict_not_a_crash(mini):
    state = mini.configure({"cover": "leather", "legs": "plastic"})
    assert not state.consistent and state.completions == 0
    assert state.conflict is not None
    assert dict(state.conflict.blocking) == {"cover": "leather"}


def test_completion_prefers_defaults_and_price_adds_up(mini):
    values = mini.complete({"cover": "fabric"})
    assert values["seats"] == "three" and values["legs"] == "wood"
    assert mini.is_valid(values)
    breakdown = mini.price(values)
    assert breakdown.total == sum(line.amount for line in breakdown.lines)
    assert breakdown.lines[0].amount == Decimal("1000.00")


def test_cheapest_completion_reaches_the_bottom_of_the_price_range(mini):
    state = mini.configure({"cover": "leather"})
    cheapest = mini.complete({"cover": "leather"}, "cheapest")
    assert mini.price(cheapest).total == state.price_range.low


def test_pricing_an_incomplete_configuration_is_an_error(mini):
    with pytest.raises(ChoiceError, match="incomplete"):
        mini.price({"cover": "fabric"})


def test_http_entry_coerces_strings_and_rejects_bad_values(mini):
    result = configure_request(
        mini, {"seats": "two", "headrest": "true", "width": "1400", "legs": ""}
    )
    assert result["choices"] == {"seats": "two", "headrest": True, "width": 1400}
    assert result["completions"].isdigit()
    with pytest.raises(ChoiceError, match="not 1400 plus a multiple of 10"):
        configure_request(mini, {"width": "1405"})
    with pytest.raises(ChoiceError, match="outside 1400..4000"):
        configure_request(mini, {"width": "99999"})
    with pytest.raises(ChoiceError, match="unknown feature 'colr'"):
        configure_request(mini, {"colr": "x"})
    with pytest.raises(ChoiceError, match="not one of its options"):
        configure_request(mini, {"cover": "silk"})


def test_complete_http_request_carries_a_server_side_price(mini):
    values = mini.complete({})
    result = configure_request(
        mini, {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()}
    )
    assert result["complete"] and result["price"]["total"] == str(mini.price(values).total)


MODEL = """model: m
version: "1"
features:
  - name: a
    type: choice
    options: [{code: x}, {code: y}]
  - name: b
    type: boolean
constraints:
  - id: no_y
    kind: rule
    expr: "a != 'y'"
"""


def test_dead_options_and_always_forced_features_are_warned_with_their_line():
    warnings = Configurator(load_model_text(MODEL, file="m.yaml"), use_cache=False).check_model()
    texts = [str(w) for w in warnings]
    assert "m.yaml:4: feature 'a' is always forced to 'x'" in texts
    assert "m.yaml:6: option 'y' of 'a' can never be chosen (rules: no_y)" in texts


def test_a_model_without_valid_configuration_is_an_error():
    text = MODEL + "  - id: no_x\n    kind: rule\n    expr: \"a != 'x'\"\n"
    configurator = Configurator(load_model_text(text, file="m.yaml"), use_cache=False)
    with pytest.raises(ModelError, match="no valid configuration .*no_x.*no_y|no_y.*no_x"):
        configurator.check_model()
