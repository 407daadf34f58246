"""What the configurator panel shows, as plain data the templates render."""

from __future__ import annotations

import json
from dataclasses import dataclass

from configurator.explain import Explanation
from configurator.model import Feature, FeatureType, ProductModel
from configurator.session import ConfigurationState, FeatureState

BUTTON_LIMIT = 12  # integer features with more values get a drop-down list


@dataclass(frozen=True)
class OptionView:
    pick: str  # JSON [feature, value] posted by the button
    value: str  # the value as text (select options)
    label: str
    status: str  # chosen | available | forced | unavailable
    reason: str = ""
    suggestion: str = ""
    repair: str = ""  # JSON [[feature, value|null], ...] ending with this option itself


@dataclass(frozen=True)
class FeatureView:
    name: str
    label: str
    kind: str  # buttons | select
    chosen: str | None  # label of the chosen value
    forced: str | None  # label of the forced value
    options: tuple[OptionView, ...]
    hidden_reasons: tuple[str, ...]  # distinct reasons of unavailable values not listed


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _repair_json(explanation: Explanation) -> str:
    if explanation.repair is None:
        return ""
    changes = [[name, value] for name, value in explanation.repair.changes]
    return json.dumps([*changes, [explanation.feature, explanation.value]])


def _option(feature: Feature, state: FeatureState, value: object, lang: str) -> OptionView:
    label = feature.value_label(value, lang)  # type: ignore[arg-type]
    pick = json.dumps([feature.name, value])
    if state.chosen is not None:
        status = "chosen" if value == state.chosen else "available"
        return OptionView(pick, _text(value), label, status)
    if value in state.unavailable:
        why = state.unavailable[value]
        if why is None:
            return OptionView(pick, _text(value), label, "unavailable")
        return OptionView(
            pick,
            _text(value),
            label,
            "unavailable",
            why.text(lang),
            why.suggestion(lang) or "",
            _repair_json(why),
        )
    status = "forced" if state.forced is not None and value == state.forced else "available"
    return OptionView(pick, _text(value), label, status)


def feature_view(feature: Feature, state: FeatureState, lang: str) -> FeatureView:
    options = tuple(_option(feature, state, v, lang) for v in feature.domain)
    chosen = feature.value_label(state.chosen, lang) if state.chosen is not None else None  # type: ignore[arg-type]
    forced = feature.value_label(state.forced, lang) if state.forced is not None else None  # type: ignore[arg-type]
    big = feature.type is FeatureType.INTEGER and len(options) > BUTTON_LIMIT
    if not big:
        return FeatureView(
            feature.name, feature.label.get(lang), "buttons", chosen, forced, options, ()
        )
    listed = tuple(o for o in options if o.status != "unavailable")
    reasons = tuple(
        dict.fromkeys(o.reason for o in options if o.status == "unavailable" and o.reason)
    )
    return FeatureView(
        feature.name, feature.label.get(lang), "select", chosen, forced, listed, reasons
    )


def panel_features(
    model: ProductModel, state: ConfigurationState, lang: str
) -> tuple[FeatureView, ...]:
    return tuple(feature_view(model.feature(s.name), s, lang) for s in state.features)


def conflict_view(state: ConfigurationState, lang: str) -> tuple[str, str, str] | None:
    """(reason, suggestion, repair JSON) when the choices contradict each other."""
    if state.conflict is None:
        return None
    conflict = state.conflict
    repair = ""
    if conflict.repair is not None:
        repair = json.dumps([[n, v] for n, v in conflict.repair.changes])
    return conflict.text(lang), conflict.suggestion(lang) or "", repair
