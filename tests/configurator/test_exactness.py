"""The engines against brute-force enumeration on small generated models."""

from configurator_models import (
    all_valid,
    extending,
    generated_model,
    model_texts,
    price_of,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from configurator.problem import problem_of
from configurator.satengine import SatEngine
from configurator.session import Configurator


def pick_choices(data: st.DataObject, model, valid) -> dict[str, object]:
    names = data.draw(st.lists(st.sampled_from(model.feature_names), unique=True, max_size=3))
    return {n: data.draw(st.sampled_from(model.feature(n).domain)) for n in names}


@settings(max_examples=60, deadline=None)
@given(text=model_texts(), data=st.data())
def test_domains_counts_and_prices_match_brute_force(text, data):
    model = generated_model(text)
    valid = all_valid(model)
    configurator = Configurator(model, use_cache=False)
    choices = pick_choices(data, model, valid)
    state = configurator.configure(choices, explain=False)
    rest = extending(valid, choices)
    assert state.consistent == bool(rest)
    assert state.completions == len(rest)
    for feature in state.features:
        if feature.chosen is None:
            assert set(feature.available) == {v[feature.name] for v in rest}
    if rest:
        prices = [price_of(model, v) for v in rest]
        assert (state.price_range.low, state.price_range.high) == (min(prices), max(prices))
        assert state.price_range.exact
        sat = Configurator(model, engine="sat").configure(choices, explain=False)
        assert sat.price_range == state.price_range


@settings(max_examples=40, deadline=None)
@given(text=model_texts(), data=st.data())
def test_sat_fallback_gives_the_same_domains(text, data):
    model = generated_model(text)
    choices = pick_choices(data, model, None)
    bdd = Configurator(model, use_cache=False).configure(choices, explain=False, price=False)
    sat = Configurator(model, engine="sat").configure(choices, explain=False, price=False)
    assert [f.available for f in bdd.features] == [f.available for f in sat.features]
    assert bdd.consistent == sat.consistent
    plain = SatEngine(problem_of(model), plain=True).domains(choices)
    assert [f.available for f in bdd.features if f.chosen is None] == list(plain.values())


@settings(max_examples=40, deadline=None)
@given(text=model_texts(), data=st.data())
def test_explanations_are_irreducible_and_repairs_work(text, data):
    model = generated_model(text)
    valid = all_valid(model)
    configurator = Configurator(model, use_cache=False)
    choices = pick_choices(data, model, valid)
    if not extending(valid, choices):
        return
    state = configurator.configure(choices)
    for feature in state.features:
        for value, why in feature.unavailable.items():
            blocking = dict(why.blocking)
            assert not extending(valid, {**blocking, feature.name: value})
            for name in blocking:
                fewer = {k: v for k, v in blocking.items() if k != name}
                assert extending(valid, {**fewer, feature.name: value})
            rules = {rule.id for rule in why.rules}
            conflict = {**blocking, feature.name: value}
            assert not extending(all_valid(model, rules), conflict), "the rules rule it out"
            for rule in rules:
                assert extending(all_valid(model, rules - {rule}), conflict), "each one needed"
            if why.repair is not None:
                repaired = {**choices, feature.name: value}
                for name, new in why.repair.changes:
                    repaired.pop(name)
                    if new is not None:
                        repaired[name] = new
                assert extending(valid, repaired)


@settings(max_examples=30, deadline=None)
@given(text=model_texts(), data=st.data())
def test_completions_are_valid_and_cheapest_is_cheapest(text, data):
    model = generated_model(text)
    valid = all_valid(model)
    configurator = Configurator(model, use_cache=False)
    choices = pick_choices(data, model, valid)
    rest = extending(valid, choices)
    for strategy in ("defaults", "cheapest"):
        done = configurator.complete(choices, strategy)
        assert (done is None) == (not rest)
        if done is not None:
            assert done in rest
            assert configurator.is_valid(done)
    if rest:
        cheapest = configurator.complete(choices, "cheapest")
        assert price_of(model, cheapest) == min(price_of(model, v) for v in rest)


@settings(max_examples=30, deadline=None)
@given(text=model_texts(), data=st.data())
def test_order_of_choices_does_not_matter_and_retracting_restores(text, data):
    model = generated_model(text)
    configurator = Configurator(model, use_cache=False)
    choices = pick_choices(data, model, None)
    forward = configurator.configure(choices, explain=False)
    backward = configurator.configure(dict(reversed(list(choices.items()))), explain=False)
    assert [f.available for f in forward.features] == [f.available for f in backward.features]
    if choices:
        last = list(choices)[-1]
        fewer = {k: v for k, v in choices.items() if k != last}
        retracted = configurator.configure(fewer, explain=False)
        assert retracted == configurator.configure(dict(fewer), explain=False)
        assert retracted.completions >= forward.completions
