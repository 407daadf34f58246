"""What the configurator panel shows, as plain data the templates render."""

from __future__ import annotations

import json
from dataclasses import dataclass

from c2m.web.i18n import translate, value_label
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


def _value_label(model: ProductModel, name: str, value: object, lang: str) -> str:
    feature = model.feature(name)
    return f"{feature.label.get(lang)}: {value_label(feature, value, lang)}"


def reason_text(model: ProductModel, why: Explanation, lang: str) -> str:
    """The rules' messages and the earlier choices that rule the option out, in words."""
    rules = "; ".join(rule.message.get(lang) for rule in why.rules)
    if not why.blocking:
        return (
            f"{translate('never_available', lang)}: {rules}"
            if rules
            else translate("never_available", lang)
        )
    chosen = ", ".join(_value_label(model, n, v, lang) for n, v in why.blocking)
    return f"{rules} ({translate('because_of', lang)} {chosen})"


def suggestion_text(model: ProductModel, why: Explanation, lang: str) -> str:
    if why.repair is None:
        return ""
    parts = []
    for name, value in why.repair.changes:
        label = model.feature(name).label.get(lang)
        if value is None:
            parts.append(translate("undo_choice", lang, feature=label))
        else:
            parts.append(
                translate(
                    "change_to",
                    lang,
                    feature=label,
                    value=value_label(model.feature(name), value, lang),
                )
            )
    return translate("to_allow", lang, changes=", ".join(parts))


def _repair_json(explanation: Explanation) -> str:
    if explanation.repair is None:
        return ""
    changes = [[name, value] for name, value in explanation.repair.changes]
    return json.dumps([*changes, [explanation.feature, explanation.value]])


def _option(
    model: ProductModel, feature: Feature, state: FeatureState, value: object, lang: str
) -> OptionView:
    label = value_label(feature, value, lang)
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
            reason_text(model, why, lang),
            suggestion_text(model, why, lang),
            _repair_json(why),
        )
    status = "forced" if state.forced is not None and value == state.forced else "available"
    return OptionView(pick, _text(value), label, status)


def feature_view(model: ProductModel, state: FeatureState, lang: str) -> FeatureView:
    feature = model.feature(state.name)
    options = tuple(_option(model, feature, state, v, lang) for v in feature.domain)
    chosen = value_label(feature, state.chosen, lang) if state.chosen is not None else None
    forced = value_label(feature, state.forced, lang) if state.forced is not None else None
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
    return tuple(feature_view(model, s, lang) for s in state.features)


def conflict_view(
    model: ProductModel, state: ConfigurationState, lang: str
) -> tuple[str, str, str] | None:
    """(reason, suggestion, repair JSON) when the choices contradict each other."""
    if state.conflict is None:
        return None
    conflict = state.conflict
    repair = ""
    if conflict.repair is not None:
        repair = json.dumps([[n, v] for n, v in conflict.repair.changes])
    return reason_text(model, conflict, lang), suggestion_text(model, conflict, lang), repair
