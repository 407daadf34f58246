"""The configurator panel's state machine: choices and undo history travel in the form.

The choices are an ordered JSON object (click order matters: explanations keep the most
recent choices), the history a JSON list of earlier choice objects. Nothing is kept on the
server between clicks, so any web worker can answer any click.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from c2m.errors import InvalidInput
from configurator.errors import ChoiceError
from configurator.model import FeatureType
from configurator.pricing import PriceBreakdown, PriceRange, price_breakdown
from configurator.session import ConfigurationState, Configurator

HISTORY_LIMIT = 30
RANGE_CACHE_SIZE = 512
_RANGES: OrderedDict[str, PriceRange | None] = OrderedDict()
Choices = dict[str, object]


@dataclass(frozen=True)
class PanelInput:
    choices: Choices
    history: list[Choices]


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
    choices = _next_choices(form, configurator, dict(state.choices), action)
    if choices == state.choices:
        return state
    return PanelInput(_checked(configurator, choices), [*state.history, state.choices])


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
