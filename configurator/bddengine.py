"""Exact queries over a compiled BDD: valid domains, counts, witnesses.

Every query restricts the compiled root by the chosen values (a cofactor), so answers do not
depend on the order the choices were made in and retracting a choice is just asking again.

One engine serves every request of a web process at once. The clicks' own questions
(domains, count, consistency) read the flat copy of the diagram, which is lock-free. CUDD is
not thread-safe, so everything that makes or walks CUDD nodes (cofactors for explanations and
the price search) holds the compiled model's lock, one short operation at a time.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from configurator.bddbuild import Function
from configurator.blocks import BlockLayout
from configurator.compiler import CompiledModel, domains_bdd
from configurator.encoding import Variable
from configurator.flatdiagram import FlatDiagram
from configurator.memo import BoundedMemo

Assignment = Mapping[str, object]
_RESTRICTED_KEPT = 8


class BddEngine:
    name = "bdd"

    def __init__(self, compiled: CompiledModel) -> None:
        self.compiled = compiled
        self.lock: threading.RLock = compiled.lock
        self.bdd: Any = compiled.bdd
        self.encoding = compiled.encoding
        self._levels = len(self.bdd.vars)
        with self.lock:
            self.layout = BlockLayout(self.bdd, self.encoding, self.lock)
            self.flat = FlatDiagram(compiled.root, self.layout)
            self._domains = domains_bdd(self.bdd, self.encoding)
        self._level_of_bit = {bit: self.bdd.level_of_var(bit) for bit in self.encoding.all_bits}
        # Single-entry caches of the last click; each holds its key with its value (read
        # once into a local), so a thread never pairs one click's key with another's value.
        self._last_summary: tuple[object, tuple[int, int]] | None = None
        self._mask_cache: tuple[Function, list[int]] | None = None
        self._restricted: BoundedMemo[tuple[tuple[str, bool], ...], Function] = BoundedMemo(
            _RESTRICTED_KEPT)
        owner = dict(self.encoding.bit_owner())
        self._scopes = {cid: {owner[bit] for bit in function.support}
                        for cid, function in compiled.constraints.items()}
        # The diagram passes recurse once per level.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * self._levels + 1000))

    def restrict(self, assignment: Assignment) -> Function:
        """The compiled root cofactored by ``assignment``. A click asks for the same cofactor
        several times (domains, consistency, count, price search): the last few are kept."""
        if not assignment:
            return self.compiled.root
        cube = self.encoding.cube(assignment)
        return self._restricted.get(tuple(sorted(cube.items())), lambda: self.let(cube))

    def let(self, cube: Mapping[str, bool], function: Function | None = None) -> Function:
        """``function`` (the compiled root by default) cofactored by ``cube``."""
        with self.lock:
            return self.bdd.let(cube, self.compiled.root if function is None else function)

    def summary(self, assignment: Assignment) -> tuple[int, int]:
        """Packed valid codes and the completion count of a click, from the flat copy (the
        click's domains, consistency and count all read the same one, kept)."""
        key = self._key(assignment)
        last = self._last_summary
        if last is None or last[0] != key:
            fixed = {self._level_of_bit[bit]: value for bit, value in key}
            last = self._last_summary = (key, self.flat.summary(fixed))
        return last[1]

    def _key(self, assignment: Assignment) -> tuple[tuple[str, bool], ...]:
        return tuple(sorted(self.encoding.cube(assignment).items()))

    def consistent(self, assignment: Assignment) -> bool:
        """The click's own question reads its summary; the many small questions of an
        explanation are cheaper as cofactors in CUDD."""
        last = self._last_summary
        if last is not None and last[0] == self._key(assignment):
            return last[1][1] > 0
        restricted = self.restrict(assignment)
        with self.lock:
            return bool(restricted != self.bdd.false)

    def is_minimal_core(self, assignment: Assignment, rules: Iterable[str]) -> bool:
        """Whether ``rules`` (with the domains) rule ``assignment`` out, and each is needed."""
        cube = self.encoding.cube(assignment)
        with self.lock:
            domains = self.bdd.let(cube, self._domains)
            parts = [self.bdd.let(cube, self.compiled.constraints[cid]) for cid in rules]

            def hold_together(functions: list[Function]) -> bool:
                result = domains
                for function in functions:
                    result &= function
                    if result == self.bdd.false:
                        return False
                return True

            return not hold_together(parts) and all(
                hold_together(parts[:i] + parts[i + 1:]) for i in range(len(parts)))

    def checker(self, fixed: Assignment) -> Callable[[Assignment], bool]:
        """``consistent`` for many assignments sharing ``fixed``: restrict by it only once."""
        base = self.restrict(fixed)
        bdd, encoding, lock = self.bdd, self.encoding, self.lock

        def check(assignment: Assignment) -> bool:
            rest = {k: v for k, v in assignment.items() if k not in fixed}
            with lock:
                return bool(bdd.let(encoding.cube(rest), base) != bdd.false) if rest else bool(
                    base != bdd.false)

        return check

    def domains(self, assignment: Assignment,
                names: Iterable[str] | None = None) -> dict[str, tuple[object, ...]]:
        """Values of each unassigned variable that extend to a full valid configuration."""
        wanted = [v for v in self.encoding.variables
                  if v.name not in assignment and (names is None or v.name in set(names))]
        masks = self.layout.unpack(self.summary(assignment)[0])
        return {v.name: tuple(value for code, value in enumerate(v.values)
                              if masks[v.index] >> code & 1) for v in wanted}

    # -- incremental use (price search): a handle is a restricted diagram ----------------------
    def handle(self, assignment: Assignment) -> Function:
        return self.restrict(assignment)

    def extend(self, handle: Function, name: str, value: object) -> Function:
        return self.let(self.encoding.bits_of(name, value), handle)

    def domains_in(self, handle: Function, names: Iterable[str]) -> dict[str, tuple[object, ...]]:
        with self.lock:
            if handle == self.bdd.false:
                return {name: () for name in names}
        return {name: self._values(handle, self.encoding[name]) for name in names}

    def _values(self, u: Function, variable: Variable) -> tuple[object, ...]:
        mask = self._masks(u)[variable.index]
        return tuple(value for code, value in enumerate(variable.values) if mask >> code & 1)

    def _masks(self, u: Function) -> list[int]:
        """The cache holds the diagram itself, not its id: an id is reused once freed."""
        with self.lock:
            cached = self._mask_cache
            if cached is None or cached[0] != u:
                cached = self._mask_cache = (u, self.layout.valid_codes(u))
            return cached[1]

    def count(self, assignment: Assignment) -> int:
        """Exact number of complete valid configurations extending ``assignment``."""
        return self.summary(assignment)[1]

    def witness(self, assignment: Assignment) -> dict[str, object] | None:
        restricted = self.restrict(assignment)
        with self.lock:
            if restricted == self.bdd.false:
                return None
            bits = self.bdd.pick(restricted) or {}
        values = self.encoding.decode({**self.encoding.cube(assignment), **bits})
        return values

    def violated(self, assignment: Assignment) -> str | None:
        """A constraint that ``assignment`` contradicts on its own (alone, a minimal set of
        rules behind the conflict; no solver needed), if there is one."""
        cube = self.encoding.cube(assignment)
        with self.lock:
            return next((cid for cid, function in self.compiled.constraints.items()
                         if not self._scopes[cid].isdisjoint(assignment)
                         and self.bdd.let(cube, function) == self.bdd.false), None)

    def allows(self, restricted: Function, name: str, value: object) -> Function:
        return self.let(self.encoding.bits_of(name, value), restricted)

