"""JSON-ready views of configuration states, and the HTTP entry point (raw strings in).

The same dict is printed by ``c2m configure --json`` and returned by
``POST /api/v1/configurations``; its shape is documented in configurator/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from configurator.errors import ChoiceError
from configurator.explain import Explanation
from configurator.model import Feature, FeatureType, FeatureValue
from configurator.session import ConfigurationState, Configurator, FeatureState

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def coerce_choices(configurator: Configurator, raw: Mapping[str, object]
                   ) -> dict[str, FeatureValue]:
    """Form/JSON values (usually strings) to typed choices; empty values mean 'not chosen'."""
    choices: dict[str, FeatureValue] = {}
    for name, value in raw.items():
        try:
            feature = configurator.model.feature(name)
        except KeyError:
            raise ChoiceError(f"unknown feature {name!r}", feature=name) from None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        choices[name] = coerce_value(feature, value)
    return choices


def coerce_value(feature: Feature, value: object) -> FeatureValue:
    text = str(value).strip()
    if feature.type is FeatureType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ChoiceError(f"{feature.name}: expected true or false, got {text!r}",
                          feature=feature.name, value=text)
    if feature.type is FeatureType.CHOICE:
        if text not in feature.domain:
            codes = ", ".join(str(code) for code in feature.domain[:20])
            raise ChoiceError(f"{feature.name}: {text!r} is not one of its options ({codes})",
                              feature=feature.name, value=text)
        return text
    return _integer(feature, value, text)


def _integer(feature: Feature, value: object, text: str) -> int:
    try:
        number = value if isinstance(value, int) and not isinstance(value, bool) else int(text)
    except ValueError:
        raise ChoiceError(f"{feature.name}: expected a whole number, got {text!r}",
                          feature=feature.name, value=text) from None
    unit = f" {feature.unit}" if feature.unit else ""
    if not feature.minimum <= number <= feature.maximum:
        raise ChoiceError(f"{feature.name}: {number}{unit} is outside "
                          f"{feature.minimum}..{feature.maximum}{unit}",
                          feature=feature.name, value=text)
    if (number - feature.minimum) % feature.step:
        raise ChoiceError(f"{feature.name}: {number}{unit} is not {feature.minimum} plus a "
                          f"multiple of {feature.step}", feature=feature.name, value=text)
    return number


def configure_request(configurator: Configurator, raw: Mapping[str, object]) -> dict[str, Any]:
    """The HTTP entry point: raw choices in, the documented JSON dict out (ChoiceError on bad
    input; price and validity are always recomputed here, nothing else is trusted)."""
    return state_to_dict(configurator, configurator.configure(coerce_choices(configurator, raw)))


def state_to_dict(configurator: Configurator, state: ConfigurationState) -> dict[str, Any]:
    model = configurator.model
    price = None
    if state.complete:
        breakdown = configurator.price(state.choices)
        price = {"total": str(breakdown.total), "lines": [
            {"id": line.id, "label": line.label.as_dict(), "amount": str(line.amount)}
            for line in breakdown.lines]}
    return {
        "model": model.name,
        "version": model.version,
        "currency": model.currency,
        "engine": state.engine,
        "consistent": state.consistent,
        "complete": state.complete,
        "choices": dict(state.choices),
        "completions": None if state.completions is None else str(state.completions),
        "price_range": None if state.price_range is None else {
            "low": str(state.price_range.low), "high": str(state.price_range.high),
            "exact": state.price_range.exact},
        "price": price,
        "conflict": None if state.conflict is None else explanation_to_dict(state.conflict),
        "features": [_feature(model.feature(s.name), s) for s in state.features],
    }


def _feature(feature: Feature, state: FeatureState) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": feature.name, "type": feature.type.value, "label": feature.label.as_dict(),
        "chosen": state.chosen, "forced": state.forced,
        "default": feature.default, "recommended": feature.recommended,
        "available": [_value(feature, v) for v in state.available],
        "unavailable": [
            {**_value(feature, v), "reason": None if why is None else explanation_to_dict(why)}
            for v, why in state.unavailable.items()],
    }
    if feature.type is FeatureType.INTEGER:
        result.update(unit=feature.unit, min=feature.minimum, max=feature.maximum,
                      step=feature.step)
    return result


def _value(feature: Feature, value: object) -> dict[str, Any]:
    typed: FeatureValue = value  # type: ignore[assignment]
    delta: Decimal = feature.delta(typed)
    return {"value": value, "label": {"en": feature.value_label(typed),
                                      "zh": feature.value_label(typed, "zh")},
            "price_delta": str(delta)}


def explanation_to_dict(why: Explanation) -> dict[str, Any]:
    return {
        "text": {"en": why.text("en"), "zh": why.text("zh")},
        "blocking": [{"feature": name, "value": value} for name, value in why.blocking],
        "rules": [{"id": rule.id, "message": rule.message.as_dict()} for rule in why.rules],
        "repair": None if why.repair is None else {
            "text": {"en": why.suggestion("en"), "zh": why.suggestion("zh")},
            "changes": [{"feature": name, "value": value}
                        for name, value in why.repair.changes]},
    }
