"""Exact queries over a compiled BDD: valid domains, counts, witnesses.

Every query restricts the compiled root by the chosen values (a cofactor), so answers do not
depend on the order the choices were made in and retracting a choice is just asking again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from configurator.bddbuild import Function
from configurator.blocks import BlockLayout
from configurator.compiler import CompiledModel
from configurator.encoding import Variable

Assignment = Mapping[str, object]


class BddEngine:
    name = "bdd"

    def __init__(self, compiled: CompiledModel) -> None:
        self.compiled = compiled
        self.bdd: Any = compiled.bdd
        self.encoding = compiled.encoding
        self._levels = len(self.bdd.vars)
        self._layout = BlockLayout(self.bdd, self.encoding)
        self._mask_cache: tuple[int, list[int]] | None = None
        self._count_memo: dict[int, tuple[Function, int]] = {}
        # Both passes recurse once per level of the diagram.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * self._levels + 1000))

    def restrict(self, assignment: Assignment) -> Function:
        if not assignment:
            return self.compiled.root
        return self.bdd.let(self.encoding.cube(assignment), self.compiled.root)

    def consistent(self, assignment: Assignment) -> bool:
        return bool(self.restrict(assignment) != self.bdd.false)

    def checker(self, fixed: Assignment) -> Callable[[Assignment], bool]:
        """``consistent`` for many assignments sharing ``fixed``: restrict by it only once."""
        base = self.restrict(fixed)
        bdd, encoding = self.bdd, self.encoding

        def check(assignment: Assignment) -> bool:
            rest = {k: v for k, v in assignment.items() if k not in fixed}
            return bool(bdd.let(encoding.cube(rest), base) != bdd.false) if rest else bool(
                base != bdd.false)

        return check

    def domains(self, assignment: Assignment,
                names: Iterable[str] | None = None) -> dict[str, tuple[object, ...]]:
        """Values of each unassigned variable that extend to a full valid configuration."""
        restricted = self.restrict(assignment)
        wanted = [v for v in self.encoding.variables
                  if v.name not in assignment and (names is None or v.name in set(names))]
        if restricted == self.bdd.false:
            return {v.name: () for v in wanted}
        return {v.name: self._values(restricted, v) for v in wanted}

    # -- incremental use (price search): a handle is a restricted diagram ----------------------
    def handle(self, assignment: Assignment) -> Function:
        return self.restrict(assignment)

    def extend(self, handle: Function, name: str, value: object) -> Function:
        return self.bdd.let(self.encoding.bits_of(name, value), handle)

    def domains_in(self, handle: Function, names: Iterable[str]) -> dict[str, tuple[object, ...]]:
        if handle == self.bdd.false:
            return {name: () for name in names}
        return {name: self._values(handle, self.encoding[name]) for name in names}

    def _values(self, u: Function, variable: Variable) -> tuple[object, ...]:
        mask = self._masks(u)[variable.index]
        return tuple(value for code, value in enumerate(variable.values) if mask >> code & 1)

    def _masks(self, u: Function) -> list[int]:
        key = int(u)
        if self._mask_cache is None or self._mask_cache[0] != key:
            self._mask_cache = (key, self._layout.valid_codes(u))
        return self._mask_cache[1]

    def count(self, assignment: Assignment) -> int:
        """Exact number of complete valid configurations extending ``assignment``."""
        restricted = self.restrict(assignment)
        fixed = sum(self.encoding[name].width for name in assignment)
        return count_models(restricted, self._levels, self._count_memo) >> fixed

    def witness(self, assignment: Assignment) -> dict[str, object] | None:
        restricted = self.restrict(assignment)
        if restricted == self.bdd.false:
            return None
        bits = self.bdd.pick(restricted) or {}
        values = self.encoding.decode({**self.encoding.cube(assignment), **bits})
        return values

    def allows(self, restricted: Function, name: str, value: object) -> Function:
        return self.bdd.let(self.encoding.bits_of(name, value), restricted)


def count_models(u: Function, levels: int,
                 memo: dict[int, tuple[Function, int]] | None = None) -> int:
    """Models of ``u`` over all ``levels`` variables, as an exact integer (CUDD's is a float).

    The memo may outlive the call (restricted diagrams share their lower nodes with the
    root); it keeps each Function so that its node stays alive and its id is never reused.
    Counts below a node depend only on the node, and levels are fixed once compiled."""
    if memo is None:
        memo = {}
    if len(memo) > 2_000_000:
        memo.clear()
    return _models_below(u, levels, memo) << _level(u, levels)


def _models_below(node: Function, levels: int, memo: dict[int, tuple[Function, int]]) -> int:
    """Models over the variables at and below ``node``'s level (a plain function, not a
    closure: a self-referencing closure would keep diagram nodes in a garbage cycle)."""
    if node.var is None:
        return 1 if node == node.bdd.true else 0
    key = int(node)
    found = memo.get(key)
    if found is None:
        low, high = (node.low, node.high) if not node.negated else (~node.low, ~node.high)
        total = sum(_models_below(child, levels, memo) << (_level(child, levels) - node.level - 1)
                    for child in (low, high))
        found = (node, total)
        memo[key] = found
    return found[1]


def _level(node: Function, levels: int) -> int:
    return levels if node.var is None else int(node.level)
