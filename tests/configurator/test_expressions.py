from decimal import Decimal

import pytest

from configurator.errors import ModelError
from configurator.expressions import evaluate, features, names, parse, to_text


def test_arithmetic_is_exact_decimal():
    assert evaluate(parse("0.1 + 0.2"), {}) == Decimal("0.3")
    assert evaluate(parse("7 / 2"), {}) == Decimal("3.5")
    assert evaluate(parse("6 / 3"), {}) == 2
    assert evaluate(parse("7 // 2 + 7 % 2"), {}) == 4


def test_feature_values_and_attributes_come_from_the_environment():
    env = {"seats": "two", "seats.modules": 2, "width": 1600}
    assert evaluate(parse("width == seats.modules * 700 + 200"), env) is True
    assert evaluate(parse("seats in ('two', 'three')"), env) is True
    assert evaluate(parse("seats not in ('two',)"), env) is False


def test_logic_helpers_and_chained_comparisons():
    assert evaluate(parse("implies(false, 1 > 2)"), {}) is True
    assert evaluate(parse("iff(true, 1 < 2 <= 2)"), {}) is True
    assert evaluate(parse("not (1 < 2 < 2)"), {}) is True
    assert evaluate(parse("'a' if 1 > 2 else 'b'"), {}) == "b"


def test_functions_round_commercially():
    assert evaluate(parse("round(2.345, 2)"), {}) == Decimal("2.35")
    assert evaluate(parse("ceil(2.1) + floor(2.9) + abs(-1)"), {}) == 6
    assert evaluate(parse("min(3, 1, 2) + max(1, 5)"), {}) == 6


def test_names_lists_environment_keys_and_features_their_owners():
    expr = parse("width >= seats.modules * module_width")
    assert names(expr) == {"width", "seats.modules", "module_width"}
    assert features(expr) == {"width", "seats", "module_width"}


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("__import__('os')", "__import__"),
        ("width.__class__.__bases__", "width.__class__.__bases__"),
        ("[x for x in y]", "[x for x in y]"),
        ("lambda: 1", "lambda: 1"),
        ("width ** 2", "width ** 2"),
        ("round(x, ndigits=2)", "round(x, ndigits=2)"),
    ],
)
def test_unsafe_forms_are_rejected_with_the_token(text, token):
    with pytest.raises(ModelError) as caught:
        parse(text, file="m.yaml", line=7)
    assert caught.value.token == token
    assert str(caught.value).startswith("m.yaml:7: ")


def test_syntax_errors_name_file_line_and_token():
    with pytest.raises(ModelError) as caught:
        parse("width >= ) 3", file="m.yaml", line=12)
    assert caught.value.line == 12
    assert caught.value.token == ")"


def test_division_by_zero_is_a_clear_error():
    with pytest.raises(ModelError, match="division by zero"):
        evaluate(parse("1 / x"), {"x": 0})


def test_boolean_never_equals_a_number():
    assert evaluate(parse("x == 1"), {"x": True}) is False


def test_to_text_round_trips():
    expr = parse("implies(cover == 'leather', legs in ('wood', 'metal'))")
    assert parse(to_text(expr)) == expr
