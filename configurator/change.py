"""A change of mind: what else must change when a chosen value is replaced by another.

Replacing one chosen value can contradict the other choices (leather cover and oak legs, then
hidden plastic glides: leather sofas need visible legs). Instead of a contradiction the
customer is offered the fewest other chosen values to change, each to a value that keeps the
whole configuration consistent, or is told the new value is possible in no product at all.

The search is a breadth-first hitting-set search over conflicts (Reiter's HS-tree): every
consistent repair must change at least one choice of each conflict, so branching only on the
choices of one conflict per node finds a smallest repair first, and few nodes are opened
because conflicts are small. Ties go to the repair that changes the most recent choices,
the same preference the engine's greyed-option repairs have. Deterministic: the same choices
(in click order) and new value always give the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from configurator.explain import Explanation, Repair, preferred_conflict
from configurator.model import FeatureType
from configurator.session import Configurator

Assignment = Mapping[str, object]
Check = Callable[[Assignment], bool]
ValuesOf = Callable[[Assignment, str], Sequence[object]]
Prefer = Callable[[str, Sequence[object]], object]
# Sets of choices tried before settling for an irreducible rather than a smallest repair: a
# panel asks for every value of every chosen feature, and models with wide conflicts exist.
NODE_LIMIT = 400


@dataclass(frozen=True)
class ChangeOfMind:
    """``feature = value`` in place of what was chosen, and what else it takes."""

    feature: str
    value: object
    possible: bool  # False: no complete product has this value, whatever else changes
    changes: tuple[tuple[str, object], ...] = ()  # other choices and their new values
    # why the value does not fit as things are: the choices that rule it out, the rules, and
    # the changes as a repair
    explanation: Explanation | None = None

    @property
    def fits(self) -> bool:
        """The value can be taken without touching any other choice."""
        return self.possible and not self.changes

    def repair(self) -> list[list[object]]:
        """What the panel posts to apply it in one step: the changes, then the value."""
        return [[name, value] for name, value in self.changes] + [[self.feature, self.value]]


def fewest_to_change(others: Sequence[tuple[str, object]], target: tuple[str, object],
                     consistent: Check,
                     first_conflict: Sequence[tuple[str, object]] | None = None
                     ) -> tuple[str, ...] | None:
    """A smallest set of the names in ``others`` (choices in click order) whose retraction
    makes ``target`` consistent with the rest, listed in click order; None when ``target``
    is inconsistent on its own. ``first_conflict``: a minimal conflict of all of ``others``
    with ``target`` already known (an explanation's blocking choices), to skip finding it."""
    if not consistent(dict([target])):
        return None
    position = {name: i for i, (name, _) in enumerate(others)}
    level: list[tuple[str, ...]] = [()]
    seen: set[tuple[str, ...]] = {()}
    while level and len(seen) <= NODE_LIMIT:
        # most recent choices first, as the engine's repairs do: compare the positions from
        # the latest down, highest first
        level.sort(key=lambda node: sorted(-position[n] for n in node))
        deeper: list[tuple[str, ...]] = []
        for node in level:
            kept = [(k, v) for k, v in others if k not in node]
            if consistent(dict([*kept, target])):
                return node
            conflict = (first_conflict if not node and first_conflict is not None
                        else blocking_choices(kept, target, consistent))
            for name, _ in conflict:
                child = tuple(sorted((*node, name), key=position.__getitem__))
                if child not in seen:
                    seen.add(child)
                    deeper.append(child)
        level = deeper
    return _irreducible(others, target, consistent)


def _irreducible(others: Sequence[tuple[str, object]], target: tuple[str, object],
                 consistent: Check) -> tuple[str, ...]:
    """Past the search limit: retract the most recent choices until ``target`` fits, then
    put back each one it fits with (a set no smaller one inside it can replace)."""
    kept = list(others)
    retracted: list[tuple[str, object]] = []
    while not consistent(dict([*kept, target])):
        retracted.append(kept.pop())
    for choice in list(retracted):
        if consistent(dict([*kept, choice, target])):
            kept.append(choice)
            retracted.remove(choice)
    names = {name for name, _ in retracted}
    return tuple(name for name, _ in others if name in names)


def blocking_choices(choices: Sequence[tuple[str, object]], target: tuple[str, object],
                     consistent: Check) -> tuple[tuple[str, object], ...]:
    """The choices that rule ``target`` out, a minimal set keeping the most recent ones: the
    same answer as explain.minimal_blocking, found by QuickXplain's bisection in about
    2k·log(n/k) checks instead of n (a panel asks this for every value of every chosen
    feature)."""
    lookup = dict(choices)
    recent_first = [name for name, _ in reversed(choices)]

    def conflict_of(names: Sequence[str]) -> list[str] | None:
        trial = {name: lookup[name] for name in names}
        return None if consistent({**trial, target[0]: target[1]}) else list(names)

    found = set(preferred_conflict(recent_first, conflict_of))
    return tuple((name, value) for name, value in choices if name in found)


def change_of_mind(choices: Assignment, feature: str, value: object, consistent: Check,
                   values_of: ValuesOf, prefer: Prefer,
                   first_conflict: Sequence[tuple[str, object]] | None = None
                   ) -> ChangeOfMind:
    """The fewest other chosen values to change, and to what, so that ``feature = value``
    holds with the rest of ``choices`` (a mapping in click order; ``feature`` may be chosen
    or not). ``values_of(assignment, name)``: the values of ``name`` that extend
    ``assignment`` to a valid product; ``prefer`` picks one of them."""
    target = (feature, value)
    others = [(k, v) for k, v in choices.items() if k != feature]
    changed = fewest_to_change(others, target, consistent, first_conflict)
    if changed is None:
        return ChangeOfMind(feature, value, possible=False)
    # Retracting ``changed`` leaves a consistent assignment, so each retracted feature has a
    # value that keeps it so; none can be its old value, or a smaller set would have done.
    current = {k: v for k, v in others if k not in changed}
    current[feature] = value
    changes = []
    for name in changed:
        current[name] = prefer(name, values_of(current, name))
        changes.append((name, current[name]))
    return ChangeOfMind(feature, value, possible=True, changes=tuple(changes))


def preferred_value(configurator: Configurator, name: str, values: Sequence[object]) -> object:
    """The feature's default, else its recommended value (as the engine completes a
    configuration), else for a number the one nearest its default, else the first."""
    feature = configurator.model.feature(name)
    for candidate in (feature.default, feature.recommended):
        if candidate is not None and any(type(candidate) is type(v) and candidate == v
                                         for v in values):
            return candidate
    default = feature.default
    if feature.type is FeatureType.INTEGER and default is not None:
        return min(values, key=lambda v: abs(int(str(v)) - int(str(default))))
    return values[0]


def change_for(configurator: Configurator, choices: Assignment, feature: str,
               value: object) -> ChangeOfMind:
    """What choosing ``feature = value`` takes, given ``choices`` (in click order)."""
    current = configurator.check_choices(choices)
    configurator.check_choices({feature: value})  # a value of the feature at all
    engine = configurator.engine
    if engine.consistent({**current, feature: value}):
        return ChangeOfMind(feature, value, possible=True)
    target = (feature, value)
    check = engine.checker({feature: value})  # restricted by the new value once
    blocking = blocking_choices([(k, v) for k, v in current.items() if k != feature],
                                target, check)
    # The rules behind it, from the configurator's memo of conflict cores (the same few
    # choices block many values, and the greyed options of the next click ask again).
    rules = configurator._rules(dict([*blocking, target]))
    if not blocking:  # the rules alone rule it out: no other choice is to blame
        return ChangeOfMind(feature, value, False, (),
                            Explanation(feature, value, (), rules, None))
    found = change_of_mind(
        current, feature, value, check,
        lambda assignment, name: engine.domains(assignment, [name])[name],
        lambda name, values: preferred_value(configurator, name, values),
        first_conflict=blocking)
    why = Explanation(feature, value, blocking, rules, Repair(found.changes))
    return ChangeOfMind(feature, value, found.possible, found.changes, why)


def changes_of_feature(configurator: Configurator, choices: Assignment, feature: str
                       ) -> dict[object, ChangeOfMind]:
    """For a chosen ``feature``: what each of its other values would take, keyed by value.
    Values that fit the other choices as they are cost one pass over the diagram together."""
    others = {k: v for k, v in configurator.check_choices(choices).items() if k != feature}
    fitting = configurator.engine.domains(others, [feature])[feature]
    result: dict[object, ChangeOfMind] = {}
    for value in configurator.model.feature(feature).domain:
        if value == choices.get(feature):
            continue
        if any(type(value) is type(v) and value == v for v in fitting):
            result[value] = ChangeOfMind(feature, value, possible=True)
        else:
            result[value] = change_for(configurator, choices, feature, value)
    return result


def fitting_values(configurator: Configurator, choices: Assignment, feature: str
                   ) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """For a chosen ``feature`` with many values: (the values that fit the other choices as
    they are, the values some complete product has). One pass over the diagram each, where
    asking ``change_for`` of every value would be one search per value."""
    others = {k: v for k, v in configurator.check_choices(choices).items() if k != feature}
    engine = configurator.engine
    return (engine.domains(others, [feature])[feature], engine.domains({}, [feature])[feature])
