"""A change of mind on the sample sofa: the fewest other chosen values to change, and to what,
so that a new value of a chosen feature never leaves contradictory choices."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations
from pathlib import Path

import pytest
import yaml

from configurator.change import (
    blocking_choices,
    change_for,
    change_of_mind,
    changes_of_feature,
    fewest_to_change,
)
from configurator.explain import minimal_blocking
from configurator.loading import load_model
from configurator.samples import SAMPLE_PRODUCTS
from configurator.session import Configurator

SOFA = Path(SAMPLE_PRODUCTS) / "sofa"
LEATHER_OAK = {"cover": "top_grain_leather", "legs": "oak"}


@pytest.fixture(scope="module")
def sofa() -> Configurator:
    return Configurator(load_model(SOFA / "model.yaml"), use_cache=False)


def named_configurations() -> list[dict[str, object]]:
    data = yaml.safe_load((SOFA / "configurations.yaml").read_text(encoding="utf-8"))
    return [entry["choices"] for entry in data["configurations"]]


def applied(choices: Mapping[str, object], repair: list[list[object]]) -> dict[str, object]:
    result = dict(choices)
    for name, value in repair:
        result[str(name)] = value
    return result


def test_plastic_glides_after_leather_and_oak_need_a_fabric_cover(sofa: Configurator) -> None:
    change = change_for(sofa, LEATHER_OAK, "legs", "hidden_plastic")
    assert change.possible and not change.fits
    assert change.changes == (("cover", "tech_fabric"),)
    assert change.explanation is not None
    assert change.explanation.blocking == (("cover", "top_grain_leather"),)
    assert [rule.id for rule in change.explanation.rules] == ["leather_needs_visible_legs"]
    assert change.repair() == [["cover", "tech_fabric"], ["legs", "hidden_plastic"]]
    assert sofa.engine.consistent(applied(LEATHER_OAK, change.repair()))


def test_a_value_that_goes_with_the_other_choices_changes_nothing_else(sofa: Configurator) -> None:
    change = change_for(sofa, LEATHER_OAK, "legs", "walnut")
    assert change.fits and change.changes == () and change.explanation is None


def test_when_one_change_is_not_enough_the_fewest_are_named(sofa: Configurator) -> None:
    """Cognac comes only in leather: a fabric cover needs another colour too."""
    choices = {"cover": "top_grain_leather", "colour": "cognac", "legs": "oak"}
    change = change_for(sofa, choices, "legs", "hidden_plastic")
    assert change.changes == (("cover", "tech_fabric"), ("colour", "grey"))
    assert sofa.engine.consistent(applied(choices, change.repair()))
    for name in ("cover", "colour"):  # neither change alone would do
        others = {k: v for k, v in choices.items() if k not in (name, "legs")}
        assert not sofa.engine.consistent({**others, "legs": "hidden_plastic"})


def test_a_value_no_product_has_is_impossible_whatever_else_changes(sofa: Configurator) -> None:
    complete = sofa.complete(LEATHER_OAK)
    assert complete is not None
    change = change_for(sofa, complete, "total_width", 1610)
    assert not change.possible and change.changes == ()


def test_a_drop_down_value_changes_the_modules_that_make_the_width(sofa: Configurator) -> None:
    complete = sofa.complete({})
    assert complete is not None
    change = change_for(sofa, complete, "total_width", 3040)
    changed = dict(change.changes)
    assert set(changed) <= {"seats_800", "seats_1000", "arms", "layout"}
    assert sofa.is_valid(applied(complete, change.repair()))


@pytest.mark.parametrize("index", range(3))
def test_every_other_value_of_every_chosen_feature_has_a_smallest_consistent_repair(
    sofa: Configurator, index: int
) -> None:
    """Against brute force: no smaller set of other choices, retracted, lets the value in,
    and the repair leaves a complete valid product."""
    choices = named_configurations()[index]
    for feature in sofa.model.features:
        if len(feature.domain) > 12:  # drop-down features are asked one value at a time
            continue
        for value, change in changes_of_feature(sofa, choices, feature.name).items():
            if not change.possible:
                assert not sofa.engine.consistent({feature.name: value})
                continue
            after = applied(choices, change.repair())
            assert sofa.is_valid(after), (feature.name, value, change.changes)
            if change.fits:
                continue
            # retracting more never hurts: if no set one smaller will do, no smaller set will
            others = [(k, v) for k, v in choices.items() if k != feature.name]
            for dropped in combinations([k for k, _ in others], len(change.changes) - 1):
                kept = {k: v for k, v in others if k not in dropped}
                assert not sofa.engine.consistent({**kept, feature.name: value}), (
                    feature.name, value, dropped)


def test_the_same_question_always_gets_the_same_answer(sofa: Configurator) -> None:
    choices = {"cover": "top_grain_leather", "colour": "cognac", "legs": "oak", "arms": "slim"}
    fresh = Configurator(load_model(SOFA / "model.yaml"), use_cache=False)
    answers = {change_for(c, choices, "legs", "hidden_plastic").changes
               for c in (sofa, sofa, fresh)}
    assert len(answers) == 1


def test_a_feature_not_yet_chosen_gets_concrete_values_not_undos(sofa: Configurator) -> None:
    change = change_for(sofa, {"cover": "top_grain_leather", "colour": "cognac"},
                        "stain_protection", True)
    assert change.changes == (("cover", "tech_fabric"), ("colour", "grey"))
    assert all(value is not None for _, value in change.changes)


@pytest.mark.parametrize("index", range(3))
def test_the_blocking_choices_are_those_the_greyed_options_name(
    sofa: Configurator, index: int
) -> None:
    """The bisection finds the same minimal set as the engine's one-by-one deletion."""
    choices = list(named_configurations()[index].items())
    for feature in sofa.model.features:
        for value in feature.domain[:12]:
            others = [(k, v) for k, v in choices if k != feature.name]
            check = sofa.engine.checker({feature.name: value})
            if check(dict([*others, (feature.name, value)])):
                continue
            target = (feature.name, value)
            assert blocking_choices(others, target, check) == minimal_blocking(
                others, target, check)


def test_ties_go_to_changing_the_most_recent_choice() -> None:
    """Either a or b may change to let t in; b was chosen last, so b changes."""
    def consistent(assignment: Mapping[str, object]) -> bool:
        return not (assignment.get("a") == 1 and assignment.get("b") == 1
                    and assignment.get("t") == 1)

    def values_of(assignment: Mapping[str, object], name: str) -> list[object]:
        return [v for v in (1, 2) if consistent({**assignment, name: v})]

    change = change_of_mind({"a": 1, "b": 1, "t": 0}, "t", 1, consistent, values_of,
                            lambda name, values: values[0])
    assert change.changes == (("b", 2),)


def test_a_target_impossible_on_its_own_has_no_repair() -> None:
    assert fewest_to_change([("a", 1)], ("t", 1), lambda assignment: "t" not in assignment) is None
