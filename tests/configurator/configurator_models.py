"""Small random product models (as YAML text) and a brute-force oracle for them."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import strategies as st

from configurator.loading import load_model_text
from configurator.model import ProductModel
from configurator.pricing import price_breakdown


@st.composite
def model_texts(draw: st.DrawFn) -> str:
    features = ["  - {name: c0, type: choice, options: ["]
    sizes = draw(st.lists(st.integers(2, 4), min_size=2, max_size=3))
    lines = []
    for i, size in enumerate(sizes):
        options = ", ".join(
            f"{{code: o{j}, price: '{draw(st.integers(0, 50))}', attributes: {{w: {j + 1}}}}}"
            for j in range(size)
        )
        lines.append(f"  - {{name: c{i}, type: choice, options: [{options}]}}")
    lines.append(f"  - {{name: b0, type: boolean, price: '{draw(st.integers(0, 30))}'}}")
    low = draw(st.integers(0, 3))
    lines.append(f"  - {{name: n0, type: integer, min: {low}, max: {low + 6}, step: 2}}")
    lines.append("  - {name: n1, type: integer, min: 0, max: 4}")
    features = lines
    rules = [draw(_rule(len(sizes), sizes)) for _ in range(draw(st.integers(1, 4)))]
    constraints = "\n".join(
        f'  - {{id: r{i}, kind: rule, expr: "{rule}", message: {{en: rule {i}, zh: 规则{i}}}}}'
        for i, rule in enumerate(rules)
    )
    prices = ['  - {id: p, when: "b0", amount: "c0.w * n0 + n1"}']
    prices += draw(st.lists(st.sampled_from(_PRICE_RULES), unique=True, max_size=3))
    return (
        "model: gen\nversion: '1'\nbase_price: '100'\nfeatures:\n"
        + "\n".join(features)
        + "\nconstraints:\n"
        + constraints
        + "\nprices:\n"
        + "\n".join(prices)
        + "\n"
    )


# Price formulas of each shape the price search treats differently: sums whose parts
# depend on one feature, single-use products under round(), one-feature conditions, and a
# formula that uses a feature twice.
_PRICE_RULES = [
    '  - {id: q, amount: "3 * n1 + c1.w * n0 - n0"}',
    '  - {id: r, amount: "round(c0.w * (n0 + n1) / 3, 2)"}',
    '  - {id: s, when: "n1 >= 2", amount: "5 * n1"}',
    '  - {id: t, when: "c1 == \'o0\'", amount: "n0 * n0 - 4 * n0"}',
]


def _rule(count: int, sizes: list[int]) -> st.SearchStrategy[str]:
    atoms = st.one_of(
        st.tuples(st.integers(0, count - 1), st.integers(0, 3)).map(
            lambda t: f"c{t[0]} == 'o{min(t[1], sizes[t[0]] - 1)}'"
        ),
        st.just("b0"),
        st.integers(0, 10).map(lambda k: f"n0 + n1 <= {k}"),
        st.integers(0, 4).map(lambda k: f"c1.w * 2 >= n1 + {k}"),
        st.integers(1, 8).map(lambda k: f"n0 == n1 * 2 or n0 > {k}"),
    )
    return st.one_of(
        st.tuples(atoms, atoms).map(lambda p: f"implies({p[0]}, {p[1]})"),
        st.tuples(atoms, atoms).map(lambda p: f"not ({p[0]} and {p[1]})"),
        st.tuples(atoms, atoms).map(lambda p: f"{p[0]} or {p[1]}"),
    )


def generated_model(text: str) -> ProductModel:
    return load_model_text(text, file="generated.yaml")


def all_valid(model: ProductModel, rules: set[str] | None = None) -> list[dict[str, object]]:
    """Every valid configuration (under only ``rules`` when given)."""
    names = model.feature_names
    constraints = [c for c in model.constraints if rules is None or c.id in rules]
    valid = []
    for combo in itertools.product(*(f.domain for f in model.features)):
        values = dict(zip(names, combo, strict=True))
        env = model.environment(values)
        if all(c.holds(values, env) for c in constraints):
            valid.append(values)
    return valid


def extending(
    valid: list[dict[str, object]], choices: dict[str, object]
) -> list[dict[str, object]]:
    return [v for v in valid if all(v[k] == x for k, x in choices.items())]


def price_of(model: ProductModel, values: dict[str, object]) -> Decimal:
    return price_breakdown(model, values).total
