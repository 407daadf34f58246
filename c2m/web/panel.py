"""What the configurator panel shows, as plain data the templates render."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from c2m.web.i18n import plural, translate, value_label
from configurator.change import ChangeOfMind, changes_of_feature, fitting_values
from configurator.explain import Explanation
from configurator.memo import BoundedMemo
from configurator.model import Feature, FeatureType, ProductModel
from configurator.session import ConfigurationState, Configurator, FeatureState

if TYPE_CHECKING:  # number_field builds on this module
    from c2m.web.number_field import NumberView

BUTTON_LIMIT = 12  # integer features with more values get a drop-down list
# What each other value of a chosen feature would change, per model version, choices (in
# click order) and feature: "keep", and a pick answered with what else it needs, show the
# same choices again, and every chosen feature asks a few searches.
_CHANGES: BoundedMemo[tuple[object, ...], dict[object, ChangeOfMind]] = BoundedMemo(1024)


@dataclass(frozen=True)
class OptionView:
    pick: str  # JSON [feature, value] posted by the button
    value: str  # the value as text (select options)
    label: str
    status: str  # chosen | available | forced | unavailable | changes (needs other changes)
    reason: str = ""
    suggestion: str = ""  # the repair button's words
    repair: str = ""  # JSON [[feature, value|null], ...] ending with this option itself
    consequence: str = ""  # changes: what else this value changes, and why
    keep: str = ""  # changes: the button that keeps the chosen value


@dataclass(frozen=True)
class HiddenGroup:
    """Values a drop-down list leaves out that share one reason, named, each with its repair
    (label, repair JSON); values no product has are only counted."""

    values: str
    reason: str
    suggestion: str = ""
    picks: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Proposal:
    """A pick the panel did not take because it contradicts other choices: what else it
    needs, applied in one step, or the old value kept."""

    feature: str
    value: str
    text: str
    apply: str = ""  # the apply button's words; empty when no product has the value
    repair: str = ""
    keep: str = ""


@dataclass(frozen=True)
class FeatureView:
    name: str
    label: str
    kind: str  # buttons | select | number
    chosen: str | None  # label of the chosen value
    forced: str | None  # label of the forced value
    options: tuple[OptionView, ...]
    hidden: tuple[HiddenGroup, ...] = ()  # unavailable values a drop-down list leaves out
    proposal: Proposal | None = None  # a pick of this feature waiting for an answer
    number: NumberView | None = None  # kind number (a typed measure): see number_field


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


def _join(parts: list[str], lang: str) -> str:
    return ("，" if lang == "zh" else ", ").join(parts)


def _changes_words(
    model: ProductModel, changes: Sequence[tuple[str, object | None]], lang: str
) -> str:
    parts = []
    for name, value in changes:
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
    return _join(parts, lang)


def suggestion_text(model: ProductModel, why: Explanation, lang: str, key: str = "to_allow") -> str:
    if why.repair is None:
        return ""
    return translate(key, lang, changes=_changes_words(model, why.repair.changes, lang))


def _repair_json(explanation: Explanation) -> str:
    if explanation.repair is None:
        return ""
    changes = [[name, value] for name, value in explanation.repair.changes]
    return json.dumps([*changes, [explanation.feature, explanation.value]])


def consequence_text(model: ProductModel, change: ChangeOfMind, lang: str) -> str:
    """Why the value does not fit as things are, and what else choosing it changes."""
    feature = model.feature(change.feature)
    rules = ""
    if change.explanation is not None:
        rules = "; ".join(rule.message.get(lang) for rule in change.explanation.rules)
    text = translate(
        "also_changes",
        lang,
        value=value_label(feature, change.value, lang),
        changes=_changes_words(model, change.changes, lang),
    )
    return translate("consequence", lang, rules=rules, changes=text) if rules else text


def apply_label(change: ChangeOfMind, lang: str) -> str:
    if len(change.changes) == 1:
        return translate("apply_both", lang)
    return translate("apply_all", lang, count=len(change.changes) + 1)


def _keep_label(feature: Feature, chosen: object | None, lang: str) -> str:
    if chosen is None:
        return translate("keep_choices", lang)
    return translate("keep_value", lang, value=value_label(feature, chosen, lang))


def _unchosen_option(
    model: ProductModel, feature: Feature, state: FeatureState, value: object, lang: str
) -> OptionView:
    label = value_label(feature, value, lang)
    pick = json.dumps([feature.name, value])
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


def _chosen_option(
    model: ProductModel,
    feature: Feature,
    state: FeatureState,
    value: object,
    change: ChangeOfMind | None,
    lang: str,
) -> OptionView:
    """An option of a chosen feature: a plain pick when it fits the other choices, else
    what else it changes (never a pick into a contradiction)."""
    label = value_label(feature, value, lang)
    pick = json.dumps([feature.name, value])
    if value == state.chosen:
        return OptionView(pick, _text(value), label, "chosen")
    if change is None or change.fits:
        return OptionView(pick, _text(value), label, "available")
    why = change.explanation
    if not change.possible:
        reason = reason_text(model, why, lang) if why else translate("never_available", lang)
        return OptionView(pick, _text(value), label, "unavailable", reason)
    return OptionView(
        pick,
        _text(value),
        label,
        "changes",
        reason_text(model, why, lang) if why else "",
        apply_label(change, lang),
        json.dumps(change.repair()),
        consequence_text(model, change, lang),
        _keep_label(feature, state.chosen, lang),
    )


def _hidden_key(model: ProductModel, why: Explanation | None, lang: str) -> tuple[str, str]:
    """(reason, repair in words) that values share to be listed together."""
    if why is None:
        return "", ""
    if not why.blocking:  # counted as "possible in no product": the rules say why
        return "; ".join(rule.message.get(lang) for rule in why.rules), ""
    return reason_text(model, why, lang), suggestion_text(model, why, lang, "to_allow_values")


def _hidden_groups(
    model: ProductModel, feature: Feature, state: FeatureState, lang: str
) -> tuple[HiddenGroup, ...]:
    """The values a drop-down list leaves out, by reason: each repairable value named on a
    button that applies its repair; values no product has counted per reason."""
    groups: dict[tuple[str, str], list[Explanation | None]] = {}
    for value in feature.domain:
        if value in state.unavailable:
            why = state.unavailable[value]
            groups.setdefault(_hidden_key(model, why, lang), []).append(why)
    result = []
    for (reason, suggestion), whys in groups.items():
        repairable = [w for w in whys if w is not None and w.repair is not None]
        if len(repairable) == len(whys):
            picks = tuple(
                (value_label(feature, w.value, lang), _repair_json(w)) for w in repairable
            )
            result.append(HiddenGroup("", reason, suggestion, picks))
        else:
            result.append(HiddenGroup(plural("never_possible_values", len(whys), lang), reason))
    return tuple(result)


def _chosen_select(
    configurator: Configurator,
    choices: dict[str, object],
    feature: Feature,
    state: FeatureState,
    lang: str,
) -> tuple[tuple[OptionView, ...], tuple[HiddenGroup, ...]]:
    """A chosen feature with many values: every value some product has, those that do not
    fit the other choices marked (picking one proposes what else it changes)."""
    fitting, possible = fitting_values(configurator, choices, feature.name)
    options = []
    for value in possible:
        label = value_label(feature, value, lang)
        status = (
            "chosen" if value == state.chosen else ("available" if value in fitting else "changes")
        )
        options.append(OptionView(json.dumps([feature.name, value]), _text(value), label, status))
    missing = len(feature.domain) - len(possible)
    hidden = (HiddenGroup(plural("never_possible_values", missing, lang), ""),) if missing else ()
    return tuple(options), hidden


def _changes_of_feature(
    configurator: Configurator, choices: dict[str, object], name: str
) -> dict[object, ChangeOfMind]:
    model = configurator.model
    clicks = tuple((k, type(v).__name__, v) for k, v in choices.items())  # True is not 1
    key = (model.name, model.version, model.content_hash, clicks, name)
    return _CHANGES.get(key, lambda: changes_of_feature(configurator, choices, name))


def feature_view(
    configurator: Configurator,
    state: ConfigurationState,
    name: str,
    lang: str,
    attempt: ChangeOfMind | None = None,
) -> FeatureView:
    model = configurator.model
    feature = model.feature(name)
    fstate = state.feature(name)
    chosen = value_label(feature, fstate.chosen, lang) if fstate.chosen is not None else None
    forced = value_label(feature, fstate.forced, lang) if fstate.forced is not None else None
    big = feature.type is FeatureType.INTEGER and len(feature.domain) > BUTTON_LIMIT
    kind = "select" if big else "buttons"
    choices = dict(state.choices)
    proposal = None
    if attempt is not None and attempt.feature == name:
        proposal = proposal_view(model, fstate, attempt, lang)
    if fstate.chosen is not None and state.consistent:
        if big:
            options, hidden = _chosen_select(configurator, choices, feature, fstate, lang)
            return FeatureView(
                name, feature.label.get(lang), kind, chosen, forced, options, hidden, proposal
            )
        changes = _changes_of_feature(configurator, choices, name)
        options = tuple(
            _chosen_option(model, feature, fstate, v, changes.get(v), lang) for v in feature.domain
        )
        return FeatureView(
            name, feature.label.get(lang), kind, chosen, forced, options, (), proposal
        )
    if fstate.chosen is not None:  # contradictory choices: the conflict's repair leads out
        options = tuple(
            OptionView(
                json.dumps([name, v]),
                _text(v),
                value_label(feature, v, lang),
                "chosen" if v == fstate.chosen else "available",
            )
            for v in feature.domain
        )
        return FeatureView(
            name, feature.label.get(lang), kind, chosen, forced, options, (), proposal
        )
    options = tuple(_unchosen_option(model, feature, fstate, v, lang) for v in feature.domain)
    if not big:
        return FeatureView(
            name, feature.label.get(lang), kind, chosen, forced, options, (), proposal
        )
    listed = tuple(o for o in options if o.status != "unavailable")
    return FeatureView(
        name,
        feature.label.get(lang),
        kind,
        chosen,
        forced,
        listed,
        _hidden_groups(model, feature, fstate, lang),
        proposal,
    )


def panel_features(
    configurator: Configurator,
    state: ConfigurationState,
    lang: str,
    attempt: ChangeOfMind | None = None,
) -> tuple[FeatureView, ...]:
    """Every feature as the panel shows it; ``attempt``: a pick the panel refused because it
    contradicts other choices, shown in its feature with what else it needs."""
    return tuple(feature_view(configurator, state, s.name, lang, attempt) for s in state.features)


def proposal_view(
    model: ProductModel, state: FeatureState, attempt: ChangeOfMind, lang: str
) -> Proposal:
    feature = model.feature(attempt.feature)
    label = value_label(feature, attempt.value, lang)
    keep = _keep_label(feature, state.chosen, lang)
    if not attempt.possible:
        text = translate("impossible_pick", lang, value=label)
        if attempt.explanation is not None and attempt.explanation.rules:
            rules = "; ".join(r.message.get(lang) for r in attempt.explanation.rules)
            text = f"{text}: {rules}"
        return Proposal(feature.name, _text(attempt.value), text, keep=keep)
    return Proposal(
        feature.name,
        _text(attempt.value),
        consequence_text(model, attempt, lang),
        apply_label(attempt, lang) if attempt.changes else translate("apply_pick", lang),
        json.dumps(attempt.repair()),
        keep,
    )


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
