"""Typed integer fields on the configurator panel: measures (widths, depths, capacities) with
more values than buttons can show are typed, not picked from a list of hundreds.

The field posts through the same click endpoint as every button (`type.<feature>`); a number
the product cannot have is not taken, and the panel says why, with the nearest values it can
have as one-click buttons (configure_view.typed_numbers decides, this module words it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from c2m.web.configure_view import TypedNumber
from c2m.web.i18n import UNITS, quantity, translate, value_label
from c2m.web.panel import FeatureView, OptionView, reason_text, suggestion_text
from configurator.explain import Explanation
from configurator.model import Feature, FeatureType, ProductModel
from configurator.session import ConfigurationState, FeatureState


@dataclass(frozen=True)
class TypedView:
    """What the panel says about a typed number it could not take, and what it offers."""

    text: str  # as typed
    message: str  # what is wrong with it
    reason: str  # the engine's reason for an unavailable value ("" otherwise)
    suggestion: str  # the repair in words ("" when there is none)
    repair: str  # JSON [[feature, value|null], ...] ending with the typed value itself
    nearest: tuple[OptionView, ...]  # the closest possible values below and above


@dataclass(frozen=True)
class NumberView:
    """A typed integer field: its domain for the browser, and what is possible now."""

    minimum: int
    maximum: int
    step: int
    unit: str  # as shown after the field ("mm")
    value: str  # the chosen value as text, "" when none
    possible: str  # "lowest – highest" still possible, "" when nothing is
    typed: TypedView | None


def is_measure(feature: Feature) -> bool:
    """Dimensions and other measures (mm, l, kg) are typed; counted things (pieces) keep
    their list, where nobody has to guess how many are allowed."""
    return feature.type is FeatureType.INTEGER and feature.unit not in UNITS


def with_number_fields(
    views: tuple[FeatureView, ...],
    model: ProductModel,
    state: ConfigurationState,
    lang: str,
    typed: tuple[TypedNumber, ...] = (),
) -> tuple[FeatureView, ...]:
    """The panel's features with every measure's drop-down list turned into a typed field;
    ``typed``: the numbers the click could not take, shown in their feature."""
    refused = {t.feature: t for t in typed}
    result = []
    for view in views:
        feature = model.feature(view.name)
        if view.kind != "select" or not is_measure(feature):
            result.append(view)
            continue
        number = number_view(model, feature, state.feature(view.name), lang, refused.get(view.name))
        result.append(replace(view, kind="number", number=number))
    return tuple(result)


def possible_span(feature: Feature, values: tuple[object, ...], lang: str) -> str:
    """ "1600 mm – 5600 mm", one value alone, or "" when none is possible."""
    numbers = [int(str(v)) for v in values]
    if not numbers:
        return ""
    low, high = min(numbers), max(numbers)
    if low == high:
        return quantity(low, feature.unit, lang)
    return f"{quantity(low, feature.unit, lang)} – {quantity(high, feature.unit, lang)}"


def number_view(
    model: ProductModel,
    feature: Feature,
    state: FeatureState,
    lang: str,
    typed: TypedNumber | None,
) -> NumberView:
    # A chosen feature's state holds only its choice (the span is then that value and the
    # page leaves it out); the field still takes any other number, judged without the
    # choice in configure_view.typed_numbers.
    return NumberView(
        feature.minimum,
        feature.maximum,
        feature.step,
        feature.unit,
        "" if state.chosen is None else str(state.chosen),
        possible_span(feature, state.available, lang),
        None if typed is None else typed_view(model, feature, typed, lang),
    )


def typed_message(feature: Feature, typed: TypedNumber, lang: str) -> str:
    """What is wrong with a typed number, in the customer's words."""
    if typed.problem == "not_whole":
        return translate("number_not_whole", lang, text=typed.text)
    value = quantity(int(typed.text), feature.unit, lang)
    if typed.problem == "outside":
        low = quantity(feature.minimum, feature.unit, lang)
        high = quantity(feature.maximum, feature.unit, lang)
        return translate("number_outside", lang, value=value, low=low, high=high)
    if typed.problem == "off_step":
        step = quantity(feature.step, feature.unit, lang)
        return translate("number_off_step", lang, value=value, step=step)
    return translate("number_unavailable", lang, value=value)


def _repair(why: Explanation) -> str:
    """The repair's changes and then the typed value itself, as greyed options post it."""
    if why.repair is None:
        return ""
    return json.dumps([*([n, v] for n, v in why.repair.changes), [why.feature, why.value]])


def typed_view(model: ProductModel, feature: Feature, typed: TypedNumber, lang: str) -> TypedView:
    nearest = tuple(
        OptionView(
            json.dumps([feature.name, v]), str(v), value_label(feature, v, lang), "available"
        )
        for v in (typed.below, typed.above)
        if v is not None
    )
    why = typed.why
    return TypedView(
        typed.text,
        typed_message(feature, typed, lang),
        "" if why is None else reason_text(model, why, lang),
        "" if why is None or why.repair is None else suggestion_text(model, why, lang),
        "" if why is None else _repair(why),
        nearest,
    )
