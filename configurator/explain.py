"""Why an option is unavailable: the minimal earlier choices, the rules, and a repair."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from configurator.model import Label

Assignment = Mapping[str, object]


@dataclass(frozen=True)
class Rule:
    id: str
    message: Label


@dataclass(frozen=True)
class Repair:
    """Changes to earlier choices that make the option possible: (feature, new value), or
    (feature, None) to undo that choice. One change when one is enough."""

    changes: tuple[tuple[str, object | None], ...]


@dataclass(frozen=True)
class Explanation:
    feature: str
    value: object
    blocking: tuple[tuple[str, object], ...]  # minimal subset of the choices that rules it out
    rules: tuple[Rule, ...]  # a minimal set of constraints that, with them, rules it out
    repair: Repair | None

    def text(self, language: str = "en") -> str:
        reasons = "; ".join(rule.message.get(language) for rule in self.rules)
        if not self.blocking:
            lead = "从不可选" if language == "zh" else "never available"
            return f"{lead}: {reasons}" if reasons else lead
        chosen = ", ".join(f"{name} = {value}" for name, value in self.blocking)
        because = "因为选择了" if language == "zh" else "because of"
        return f"{reasons} ({because} {chosen})" if reasons else f"{because} {chosen}"

    def suggestion(self, language: str = "en") -> str | None:
        if self.repair is None:
            return None
        parts = []
        for name, value in self.repair.changes:
            if language == "zh":
                parts.append(f"撤销 {name}" if value is None else f"将 {name} 改为 {value}")
            else:
                parts.append(f"undo {name}" if value is None else f"change {name} to {value}")
        tail = "即可选择此项" if language == "zh" else "to allow this"
        return f"{', '.join(parts)} {tail}"


def minimal_blocking(choices: Sequence[tuple[str, object]], target: tuple[str, object],
                     consistent: Callable[[Assignment], bool]) -> tuple[tuple[str, object], ...]:
    """Deletion-based shrinking: drop each choice that is not needed to exclude ``target``.

    Earlier choices are tried for removal first, so the explanation keeps the most recent
    choices (the ones a customer is most willing to change). The result is irreducible:
    removing any one of its choices makes ``target`` possible again.
    """
    kept = list(choices)
    for choice in list(choices):
        trial = [c for c in kept if c != choice]
        if not consistent(dict([*trial, target])):
            kept = trial
    return tuple(kept)


def find_repair(choices: Mapping[str, object], blocking: Sequence[tuple[str, object]],
                target: tuple[str, object],
                domain_of: Callable[[Assignment, str], Sequence[object]],
                preferred: Callable[[str, Sequence[object]], object],
                consistent: Callable[[Assignment], bool]) -> Repair | None:
    """One blocking choice to change (the most recent that works), else choices to undo."""
    if not blocking:
        return None
    for name, _ in reversed(blocking):
        others = {k: v for k, v in choices.items() if k != name}
        others[target[0]] = target[1]
        values = domain_of(others, name)
        if values:
            return Repair(((name, preferred(name, values)),))
    return Repair(tuple((name, None) for name in _to_undo(choices, target, consistent)))


def _to_undo(choices: Mapping[str, object], target: tuple[str, object],
             consistent: Callable[[Assignment], bool]) -> list[str]:
    """An irreducible set of choices whose retraction makes ``target`` possible."""
    kept = {k: v for k, v in choices.items() if k != target[0]}
    undone: list[str] = []
    for name in reversed(list(kept)):
        if consistent({**kept, target[0]: target[1]}):
            break
        undone.append(name)
        del kept[name]
    for name in list(undone):  # put back whatever is not needed
        trial = {**kept, name: choices[name], target[0]: target[1]}
        if consistent(trial):
            kept[name] = choices[name]
            undone.remove(name)
    return undone


def preferred_conflict(items: Sequence[str], consistent: Callable[[Sequence[str]], bool]
                       ) -> list[str]:
    """QuickXplain (Junker 2004): the minimal subset of ``items`` that is inconsistent (with
    whatever ``consistent`` always assumes), preferring earlier items; [] when all of them
    are consistent together, or when the background alone is not.

    Unlike shrinking a solver's core, the answer depends only on the order of ``items`` and on
    which subsets are consistent, never on what the solver learnt from earlier questions: the
    same question always names the same rules. About 2k*log(n/k) checks for k rules of n.
    """
    if consistent(items) or not consistent(()):
        return []
    return _quickxplain((), False, list(items), consistent)


def _quickxplain(background: tuple[str, ...], added: bool, items: list[str],
                 consistent: Callable[[Sequence[str]], bool]) -> list[str]:
    if added and not consistent(background):
        return []
    if len(items) == 1:
        return items
    half = len(items) // 2
    first, second = items[:half], items[half:]
    later = _quickxplain(background + tuple(first), True, second, consistent)
    earlier = _quickxplain(background + tuple(later), bool(later), first, consistent)
    return earlier + later
