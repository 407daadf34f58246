"""The configurator panel's state machine: choices and undo history travel in the form.

The choices are an ordered JSON object (click order matters: explanations keep the most
recent choices), the history a JSON list of earlier choice objects. Nothing is kept on the
server between clicks, so any web worker can answer any click.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from c2m.errors import InvalidInput
from configurator.change import ChangeOfMind, change_for
from configurator.errors import ChoiceError
from configurator.explain import Explanation
from configurator.model import Feature, FeatureType
from configurator.pricing import PriceBreakdown, PriceRange, price_breakdown
from configurator.session import ConfigurationState, Configurator

HISTORY_LIMIT = 30
RANGE_CACHE_SIZE = 512
_RANGES: OrderedDict[str, PriceRange | None] = OrderedDict()
Choices = dict[str, object]
_UNSET = object()


@dataclass(frozen=True)
class TypedNumber:
    """A number typed into an integer feature's field that could not be taken as it is."""

    feature: str
    text: str  # as typed
    problem: Literal["not_whole", "outside", "off_step", "unavailable"]
    below: int | None  # the nearest values that can be taken now, one each side
    above: int | None
    why: Explanation | None = None  # the engine's reason, for an unavailable value


@dataclass(frozen=True)
class PanelInput:
    choices: Choices
    history: list[Choices]
    typed: tuple[TypedNumber, ...] = ()  # typed numbers not taken, with what to offer instead
    attempt: ChangeOfMind | None = None  # a pick not taken: it contradicts other choices


def _json(text: str, field: str, kind: type) -> Any:
    try:
        value = json.loads(text or ("{}" if kind is dict else "[]"))
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{field} is not valid JSON ({error.msg})", field) from None
    if not isinstance(value, kind):
        raise InvalidInput(f"{field} must be a JSON {kind.__name__}", field)
    return value


def parse(form: Mapping[str, str], configurator: Configurator) -> PanelInput:
    choices = _json(form.get("choices", ""), "choices", dict)
    history = _json(form.get("history", ""), "history", list)
    checked = _checked(configurator, choices)
    return PanelInput(
        checked,
        [_checked(configurator, h) for h in history[-HISTORY_LIMIT:] if isinstance(h, dict)],
    )


def _checked(configurator: Configurator, choices: Mapping[str, object]) -> Choices:
    try:
        configurator.check_choices(choices)
    except ChoiceError as error:
        raise InvalidInput(str(error), "choices") from None
    return dict(choices)


def apply(form: Mapping[str, str], configurator: Configurator, state: PanelInput) -> PanelInput:
    """One click: pick, a select change, repair, undo, start over, complete or cheapest."""
    action = form.get("action", "")
    if action == "undo":
        if not state.history:
            return state
        return PanelInput(state.history[-1], state.history[:-1])
    typed_choices, typed = typed_numbers(form, configurator, state.choices)
    choices = _next_choices(form, configurator, typed_choices, action)
    if choices == state.choices:
        return PanelInput(state.choices, state.history, typed)
    checked = _checked(configurator, choices)
    attempt = refused_change(configurator, state.choices, checked)
    if attempt is not None:  # kept as it was; the panel asks what else to change
        return PanelInput(state.choices, state.history, typed, attempt)
    return PanelInput(checked, [*state.history, state.choices], typed)


def refused_change(
    configurator: Configurator, before: Choices, after: Choices
) -> ChangeOfMind | None:
    """A click never turns consistent choices into contradictory ones: such a click is not
    taken, and its last new value comes back with what else it needs (or that no product
    has it). Choices that already contradict each other are left to the conflict's repair."""
    engine = configurator.engine
    if engine.consistent(after) or not engine.consistent(before):
        return None
    new = [(k, v) for k, v in after.items() if not _same(before.get(k, _UNSET), v)]
    if not new:  # only retractions, which cannot contradict
        return None
    feature, value = new[-1]
    return change_for(configurator, before, feature, value)


def _same(old: object, new: object) -> bool:
    return type(old) is type(new) and old == new


def typed_numbers(
    form: Mapping[str, str], configurator: Configurator, choices: Mapping[str, object]
) -> tuple[Choices, tuple[TypedNumber, ...]]:
    """The numbers typed into `type.<feature>` fields: taken when the product can have them,
    else left out and reported with the nearest values it can have. A field that still shows
    the current choice (every click posts the whole form) changes nothing."""
    result = dict(choices)
    refused: list[TypedNumber] = []
    for key, raw in form.items():
        if not key.startswith("type.") or raw.strip() == "":
            continue
        feature = _integer_feature(configurator, key[5:])
        if raw.strip() == str(choices.get(feature.name, "")):
            continue
        outcome = _typed(configurator, result, feature, raw.strip())
        if isinstance(outcome, TypedNumber):
            refused.append(outcome)
        else:
            _set(result, feature.name, outcome)
    return result, tuple(refused)


def _integer_feature(configurator: Configurator, name: str) -> Feature:
    try:
        feature = configurator.model.feature(name)
    except KeyError:
        raise InvalidInput(f"unknown feature {name!r}", name) from None
    if feature.type is not FeatureType.INTEGER:
        raise InvalidInput(f"{name} takes no typed number", name)
    return feature


def _typed(
    configurator: Configurator, choices: Choices, feature: Feature, text: str
) -> int | TypedNumber:
    """The value to take, or why not. Judged without the feature's own current choice:
    typing a new width is a change of mind about the width, not a clash with the old one."""
    try:
        value = int(text)
    except ValueError:
        return TypedNumber(feature.name, text, "not_whole", None, None)
    others = {k: v for k, v in choices.items() if k != feature.name}
    state = configurator.configure(others, explain=False, price=False)
    if not state.consistent:
        # The other choices already contradict each other, so nothing is available: a value
        # of the feature is taken, and the panel's conflict message and repair speak for it.
        return value if value in feature.domain else _refused(feature, text, value, [])
    possible = [int(str(v)) for v in state.feature(feature.name).available]
    if value in possible:
        return value
    refused = _refused(feature, text, value, possible)
    if refused.problem != "unavailable":
        return refused
    return replace(refused, why=configurator.explain(others, feature.name, value))


def _refused(feature: Feature, text: str, value: int, possible: Sequence[int]) -> TypedNumber:
    problem: Literal["outside", "off_step", "unavailable"] = "unavailable"
    if not feature.minimum <= value <= feature.maximum:
        problem = "outside"
    elif (value - feature.minimum) % feature.step:
        problem = "off_step"
    return TypedNumber(feature.name, text, problem, *nearest_values(possible, value))


def nearest_values(possible: Sequence[int], value: int) -> tuple[int | None, int | None]:
    """The closest of ``possible`` below and above ``value`` (None where there is none)."""
    below = max((v for v in possible if v < value), default=None)
    above = min((v for v in possible if v > value), default=None)
    return below, above


def _next_choices(
    form: Mapping[str, str], configurator: Configurator, choices: Choices, action: str
) -> Choices:
    if action == "reset":
        return {}
    if action == "defaults":
        return configurator.complete(choices, "defaults") or choices
    if action == "cheapest":
        return configurator.complete(choices, "cheapest") or choices
    for key, raw in form.items():
        if key.startswith("set.") and raw != "":
            _set(choices, key[4:], _value(configurator, key[4:], raw))
    if form.get("pick"):
        name, value = _pair(form["pick"])
        _set(choices, name, value)
    if form.get("repair"):
        for name, value in _json(form["repair"], "repair", list):
            _set(choices, str(name), value)
    return choices


def _pair(raw: str) -> tuple[str, object]:
    pair = _json(raw, "pick", list)
    if len(pair) != 2 or not isinstance(pair[0], str):
        raise InvalidInput("pick must be [feature, value]", "pick")
    return pair[0], pair[1]


def _value(configurator: Configurator, name: str, raw: str) -> object:
    try:
        feature = configurator.model.feature(name)
    except KeyError:
        raise InvalidInput(f"unknown feature {name!r}", name) from None
    if feature.type is FeatureType.INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number", name) from None
    return raw if feature.type is FeatureType.CHOICE else raw == "true"


def _set(choices: Choices, name: str, value: object) -> None:
    """A new value goes to the end (most recent); None retracts the choice."""
    if choices.get(name, ...) == value and type(choices.get(name)) is type(value):
        return
    choices.pop(name, None)
    if value is not None:
        choices[name] = value


def price_range(configurator: Configurator, choices: Choices) -> PriceRange | None:
    """Exact lowest and highest price over every product still possible (cached: the first
    click of a session asks the same questions as the last visitor's)."""
    key = json.dumps(
        [
            configurator.model.name,
            configurator.model.version,
            configurator.model.content_hash,
            sorted(choices.items()),
        ],
        default=str,
    )
    if key not in _RANGES:
        _RANGES[key] = configurator.pricing.price_range(choices)
        if len(_RANGES) > RANGE_CACHE_SIZE:
            _RANGES.popitem(last=False)
    _RANGES.move_to_end(key)
    return _RANGES[key]


@dataclass(frozen=True)
class Quote:
    breakdown: PriceBreakdown
    complete: bool  # False: the rest was filled with defaults to show a price


def quote(configurator: Configurator, state: ConfigurationState) -> tuple[Choices, Quote] | None:
    """The configuration to price and draw: the customer's, completed with defaults."""
    if not state.consistent:
        return None
    values = configurator.complete(state.choices, "defaults")
    if values is None:
        return None
    return values, Quote(price_breakdown(configurator.model, values), state.complete)
