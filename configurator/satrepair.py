"""Cheap extra witnesses: turn a known model into another one by a short chain of flips.

Making a value true in a model breaks the clauses that relied on the opposite literals; each
broken clause is repaired by making one of its other literals true, which may break further
clauses, and so on (selecting an alternative deselects its siblings, selecting a feature
selects its parent). Every variable flips at most once per chain and chosen ones never, so a
chain is short and ends. A chain that ends with every clause it touched satisfied leaves a
genuine model (clauses it did not touch keep their true literals), hence a sound witness for
every value it takes; a chain that fails is undone and the SAT solver decides instead.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence


class Clauses:
    """Clauses with, per literal, the clauses holding it (what breaks when it turns false)."""

    def __init__(self, clauses: Iterable[Sequence[int]]) -> None:
        self.clauses = [tuple(clause) for clause in clauses]
        self.occurs: dict[int, list[tuple[int, ...]]] = {}
        for clause in self.clauses:
            for literal in clause:
                self.occurs.setdefault(literal, []).append(clause)


class Walk:
    """A model of ``clauses`` (as its set of true literals) moved one chain at a time; the
    variables in ``frozen`` (the choices) never change."""

    def __init__(self, clauses: Clauses, model: Iterable[int], frozen: Collection[int],
                 limit: int = 16) -> None:
        self.true = set(model)
        self._occurs = clauses.occurs
        self._frozen = frozen
        self.limit = limit  # flips per chain: long chains rarely succeed and cost the most

    def make_true(self, literals: Sequence[int]) -> list[int] | None:
        """Move to a model where ``literals`` hold and return the literals flipped to true;
        None (and no move) when the greedy chain of repairs fails."""
        true, occurs = self.true, self._occurs
        if any(-literal in true and abs(literal) in self._frozen for literal in literals):
            return None
        # the choices, the targets, and each variable once flipped stay as they are
        blocked = set(self._frozen).union(map(abs, literals))
        flipped = [literal for literal in literals if literal not in true]
        for literal in flipped:
            true.discard(-literal)
            true.add(literal)
        done = 0
        while done < len(flipped):
            made = flipped[done]
            done += 1
            # ``-made`` became false: every clause holding it needs another true literal
            for clause in occurs.get(-made, ()):
                if not true.isdisjoint(clause):
                    continue
                for fix in clause:
                    if abs(fix) not in blocked:
                        break
                else:
                    self._undo(flipped)
                    return None
                if len(flipped) >= self.limit:
                    self._undo(flipped)
                    return None
                flipped.append(fix)
                blocked.add(abs(fix))
                true.discard(-fix)
                true.add(fix)
        return flipped

    def _undo(self, flipped: list[int]) -> None:
        for literal in flipped:
            self.true.discard(literal)
            self.true.add(-literal)
