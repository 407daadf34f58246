"""The price pass over the diagram against brute-force enumeration: the exact cheapest and
dearest price over the valid completions, and a completion that reaches each."""

from __future__ import annotations

import itertools
import math
import random
from decimal import Decimal

import pytest
from configurator_models import all_valid, extending, generated_model, model_texts, price_of
from hypothesis import given, settings
from hypothesis import strategies as st

from configurator.pricing import price_breakdown
from configurator.session import Configurator
from configurator.sources import load_any, sample_product_models

PRODUCTS = {path.parent.name: path for path in sample_product_models()}
# Completions of the free priced features enumerated per check (each is a consistency
# question and a price), and checks per product: about a second each product.
ENUMERATED_AT_MOST = 600
CHECKS_PER_PRODUCT = 12


@pytest.fixture(scope="module")
def configurators() -> dict[str, Configurator]:
    return {name: Configurator(load_any(path)) for name, path in PRODUCTS.items()}


@settings(max_examples=60, deadline=None)
@given(text=model_texts(), data=st.data())
def test_cheapest_and_dearest_completions_reach_the_brute_force_extremes(text, data):
    model = generated_model(text)
    valid = all_valid(model)
    configurator = Configurator(model, use_cache=False)
    assert configurator.pricing.diagram is not None
    names = data.draw(st.lists(st.sampled_from(model.feature_names), unique=True, max_size=3))
    choices = {n: data.draw(st.sampled_from(model.feature(n).domain)) for n in names}
    rest = extending(valid, choices)
    state = configurator.configure(choices, explain=False)
    if not rest:
        assert state.price_range is None
        assert configurator.pricing.extreme(choices, minimise=True) is None
        return
    prices = [price_of(model, v) for v in rest]
    assert (state.price_range.low, state.price_range.high) == (min(prices), max(prices))
    for minimise, target in ((True, min(prices)), (False, max(prices))):
        best, values, exact = configurator.pricing.extreme(choices, minimise=minimise)
        assert (best, exact) == (target, True)
        reaching = [v for v in extending(valid, values) if price_of(model, v) == target]
        assert reaching, "the values given extend to a valid product at that price"


def brute_force_range(configurator: Configurator, choices: dict[str, object],
                      free: dict[str, tuple[object, ...]]) -> tuple[Decimal, Decimal]:
    """Every combination of the free priced features' valid values that is consistent,
    priced on some complete product containing it (the price reads priced features only)."""
    engine, model = configurator.engine, configurator.model
    prices = []
    for combo in itertools.product(*free.values()):
        assignment = {**choices, **dict(zip(free, combo, strict=True))}
        if engine.consistent(assignment):
            values = engine.witness(assignment)
            assert values is not None
            prices.append(price_breakdown(model, values).total)
    return min(prices), max(prices)


def random_checkpoints(configurator: Configurator, seed: int):
    """Choices along random click sessions, whenever few enough priced completions are left
    to enumerate them."""
    rng, found = random.Random(seed), 0
    relevant = configurator.pricing.relevant
    while found < CHECKS_PER_PRODUCT:
        choices: dict[str, object] = {}
        while True:
            state = configurator.configure(choices, explain=False, price=False)
            free = {f.name: tuple(f.available) for f in state.features
                    if f.chosen is None and f.name in relevant}
            if math.prod(len(v) for v in free.values()) <= ENUMERATED_AT_MOST:
                yield dict(choices), free
                found += 1
            open_now = [f for f in state.features if f.chosen is None and len(f.available) > 1]
            if not open_now or found >= CHECKS_PER_PRODUCT:
                break
            feature = rng.choice(open_now)
            choices[feature.name] = rng.choice(feature.available)


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_every_sample_product_prices_random_partial_choices_as_brute_force_does(
        configurators, product):
    configurator = configurators[product]
    assert configurator.engine.name == "bdd"
    for choices, free in random_checkpoints(configurator, seed=len(product)):
        price_range = configurator.configure(choices, explain=False).price_range
        assert price_range is not None and price_range.exact
        assert (price_range.low, price_range.high) == brute_force_range(
            configurator, choices, free), choices
        cheapest = configurator.complete(choices, "cheapest")
        assert cheapest is not None
        assert configurator.price(cheapest).total == price_range.low, choices


def test_the_home_pages_from_prices_are_the_exact_cheapest_products(configurators):
    for product, low in (("sofa", Decimal("4166.20")), ("washer", Decimal("719.00"))):
        configurator = configurators[product]
        price_range = configurator.configure({}, explain=False).price_range
        assert price_range is not None and (price_range.low, price_range.exact) == (low, True)
        cheapest = configurator.complete({}, "cheapest")
        assert configurator.price(cheapest).total == low


def test_every_product_with_no_choice_yet_gets_an_exact_range_reached_both_ways(configurators):
    for product, configurator in configurators.items():
        price_range = configurator.configure({}, explain=False).price_range
        assert price_range is not None and price_range.exact, product
        for minimise, target in ((True, price_range.low), (False, price_range.high)):
            best, values, exact = configurator.pricing.extreme({}, minimise=minimise)
            assert (best, exact) == (target, True), product
            complete = {**configurator.complete(values), **values}
            assert configurator.is_valid(complete), product
            assert configurator.price(complete).total == target, product


def test_a_cheapest_completion_does_not_depend_on_the_clicks_before_it():
    fresh = Configurator(load_any(PRODUCTS["sofa"]))
    asked = {"cover": "velvet"}
    first = fresh.complete(asked, "cheapest")
    busy = Configurator(load_any(PRODUCTS["sofa"]))
    rng = random.Random(7)
    choices: dict[str, object] = {}
    for _ in range(12):  # other customers' clicks fill every memo first
        state = busy.configure(choices, explain=False)
        open_now = [f for f in state.features if f.chosen is None and len(f.available) > 1]
        feature = rng.choice(open_now)
        choices[feature.name] = rng.choice(feature.available)
        busy.complete(choices, "cheapest")
        busy.pricing.extreme(choices, minimise=False)
    assert busy.complete(asked, "cheapest") == first
    assert busy.configure(asked, explain=False).price_range == fresh.configure(
        asked, explain=False).price_range
