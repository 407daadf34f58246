"""Why an option is unavailable: the minimal earlier choices, the rules, and a repair."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from configurator.model import Label

Assignment = Mapping[str, object]
# None when the rules are consistent, else an inconsistent part of them
ConflictCheck = Callable[[Sequence[str]], Sequence[str] | None]


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


def preferred_conflict(items: Sequence[str], conflict_of: ConflictCheck) -> list[str]:
    """The preferred conflict (Junker 2004, what QuickXplain finds): the minimal subset of
    ``items`` that is inconsistent (with whatever ``conflict_of`` always assumes), preferring
    earlier items; [] when all of them are consistent together, or when the background alone
    is not. Listed in the order of ``items``.

    ``conflict_of(subset)`` is None when ``subset`` is consistent, else some inconsistent part
    of it (a solver's core: not minimal, and not the same from one call to the next). The
    answer depends only on which subsets are consistent, never on the cores, which only
    narrow the search: the same question always names the same rules. It is built from its
    last item down: each is the end of the shortest inconsistent prefix, with the items
    already found as background. With useful cores that is about two checks per rule found
    (QuickXplain, which ignores cores, needs about 2k*log(n/k) for k rules of n).
    """
    position = {item: i for i, item in enumerate(items)}
    core = conflict_of(items)
    if core is None:
        return []
    found: list[str] = []
    end = len(items)  # found + items[:end] is inconsistent; ``core`` is a part of it
    while end > 0:
        end, core = _shortest_inconsistent_prefix(items, found, end, core, position,
                                                  conflict_of)
        if end > 0:
            found.append(items[end - 1])
            end -= 1  # found + items[:end] is the prefix just proved inconsistent
    return found[::-1]  # an empty prefix conflicting with the background alone ends it too


def _shortest_inconsistent_prefix(items: Sequence[str], found: list[str], end: int,
                                  core: Sequence[str], position: Mapping[str, int],
                                  conflict_of: ConflictCheck) -> tuple[int, Sequence[str]]:
    """The least k with ``found + items[:k]`` inconsistent, and an inconsistent part of that
    prefix, given that ``found + items[:end]`` is (``core`` being an inconsistent part of it).
    A core bounds k by its last item outside ``found``; the prefix just short of that bound is
    tried next, and bisection takes over while cores stop narrowing the search."""
    background = set(found)

    def bound(part: Sequence[str]) -> int:
        return 1 + max((position[i] for i in part if i not in background), default=-1)

    consistent_below = -1  # the longest prefix known consistent (-1: none checked)
    trust = True
    while True:
        end = min(end, bound(core))
        if consistent_below + 1 >= end:
            return end, core
        probe = end - 1 if trust else (consistent_below + end) // 2
        answer = conflict_of([*found, *items[:probe]])
        if answer is None:
            consistent_below = probe
        else:
            trust = bound(answer) < probe  # the core said more than the check itself
            end, core = probe, answer
