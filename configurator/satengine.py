"""Incremental SAT over the same log encoding: fallback engine, constraint cores, baseline.

Each constraint's own (small) BDD is turned into clauses (Tseitin over its nodes, or a single
clause when the BDD is one), guarded by a selector literal so that unsatisfiable cores name
constraints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pysat.solvers import Solver

from configurator.bddbuild import Function
from configurator.compiler import build_constraints, new_manager
from configurator.encoding import Encoding, code_bits
from configurator.problem import Problem

Assignment = Mapping[str, object]
_KEPT_MODELS = 400


class SatEngine:
    name = "sat"

    def __init__(self, problem: Problem, *, bdd: Any = None,
                 constraints: Mapping[str, Function] | None = None, plain: bool = False
                 ) -> None:
        """``plain=True`` is the benchmark's straightforward baseline: one solver call per
        value not yet witnessed in this call, none of the carry-over and phase tricks."""
        self.problem = problem
        self.plain = plain
        self.encoding = Encoding.of(problem.domains)
        if bdd is None or constraints is None:
            bdd = new_manager(self.encoding)
            constraints = build_constraints(problem, bdd, self.encoding)
        self._bdd = bdd
        self._ids = {bit: i + 1 for i, bit in enumerate(self.encoding.all_bits)}
        self._next = len(self._ids) + 1
        self.clauses: list[list[int]] = []
        self._domain_clauses()
        self.selectors: dict[str, int] = {}
        for cid, function in constraints.items():
            self.selectors[cid] = self._fresh()
            self._encode(function, self.selectors[cid])
        self.solver = Solver(name="g4", bootstrap_with=self.clauses)
        self._dead: set[tuple[int, int]] = set()
        self._root_dead: set[tuple[int, int]] | None = None
        self._models: list[list[int]] = []
        self._last: tuple[dict[str, object], set[tuple[int, int]]] | None = None
        self._single_bit = {self._ids[v.bits[0]]: v.index for v in self.encoding.variables
                            if v.width == 1 and len(v.values) == 2}

    def _fresh(self) -> int:
        self._next += 1
        return self._next - 1

    def _domain_clauses(self) -> None:
        for variable in self.encoding.variables:
            for code in range(len(variable.values), 1 << variable.width):
                bits = code_bits(variable, code)
                self.clauses.append([-self._lit(b, v) for b, v in bits.items()])

    def _lit(self, bit: str, value: bool) -> int:
        return self._ids[bit] if value else -self._ids[bit]

    def _encode(self, function: Function, selector: int) -> None:
        bdd = self._bdd
        if function == bdd.true:
            return
        cube = _as_cube(~function)
        if cube is not None:  # one clause: forbid that cube
            self.clauses.append([-selector] + [-self._lit(b, v) for b, v in cube.items()])
            return
        literals: dict[int, int] = {}
        self.clauses.append([-selector, self._node(function, literals)])

    def _node(self, u: Function, literals: dict[int, int]) -> int:
        """A literal equivalent to ``u`` (Tseitin: one fresh variable per BDD node)."""
        bdd = self._bdd
        if u == bdd.true or u == bdd.false:
            literal = self._fresh()
            self.clauses.append([literal if u == bdd.true else -literal])
            return literal
        key = int(u)
        if key in literals:
            return literals[key]
        low, high = (u.low, u.high) if not u.negated else (~u.low, ~u.high)
        x, lo, hi = self._ids[u.var], self._node(low, literals), self._node(high, literals)
        n = self._fresh()
        self.clauses += [[-n, -x, hi], [-n, x, lo], [n, -x, -hi], [n, x, -lo]]
        literals[key] = n
        return n

    # -- queries ---------------------------------------------------------------------------
    def assumptions(self, assignment: Assignment, active: Iterable[str] | None = None
                    ) -> list[int]:
        cube = self.encoding.cube(assignment)
        chosen = self.selectors if active is None else {c: self.selectors[c] for c in active}
        return [self._lit(b, v) for b, v in cube.items()] + list(chosen.values())

    def consistent(self, assignment: Assignment) -> bool:
        return bool(self.solver.solve(assumptions=self.assumptions(assignment)))

    def checker(self, fixed: Assignment) -> Callable[[Assignment], bool]:
        return lambda assignment: self.consistent({**fixed, **assignment})

    def witness(self, assignment: Assignment) -> dict[str, object] | None:
        if not self.solver.solve(assumptions=self.assumptions(assignment)):
            return None
        return self._decode(self.solver.get_model() or [])

    def _decode(self, model: list[int]) -> dict[str, object]:
        true = {lit for lit in model if lit > 0}
        return self.encoding.decode({bit: i in true for bit, i in self._ids.items()})

    def domains(self, assignment: Assignment,
                names: Iterable[str] | None = None) -> dict[str, tuple[object, ...]]:
        """Each value is witnessed by some model; solver phases are pointed at the values not
        yet seen, so that one model usually witnesses many of them at once."""
        wanted = [v for v in self.encoding.variables
                  if v.name not in assignment and (names is None or v.name in set(names))]
        base = self.assumptions(assignment)
        if assignment and self._root_dead is None and not self.plain:
            self.domains({})  # values dead with no choice stay dead under any choices
        never = set() if self.plain else (self._root_dead or set()) | self._dead_before(
            assignment)
        unseen = {(v.index, code) for v in wanted for code in range(len(v.values))} - never
        if not self.solver.solve(assumptions=base):
            return {v.name: () for v in wanted}
        self._witness(unseen)
        if not self.plain:
            self._reuse_models(assignment, unseen)
            self._propagated_dead(base, unseen)
        pending = sorted(unseen)
        while pending:
            index, code = pending.pop()
            if (index, code) not in unseen:
                continue
            if not self.plain:
                self.solver.set_phases(self._phases(unseen))
            variable = self.encoding.variables[index]
            extra = [self._lit(b, x) for b, x in code_bits(variable, code).items()]
            if self.solver.solve(assumptions=base + extra):
                self._witness(unseen)
            else:
                unseen.discard((index, code))
                self._dead.add((index, code))
        dead, self._dead = self._dead | never, set()
        if names is None:
            self._last = (dict(assignment), dead)
        if not assignment and names is None:
            self._root_dead = dead
        return {v.name: tuple(x for c, x in enumerate(v.values) if (v.index, c) not in dead)
                for v in wanted}

    def _phases(self, unseen: set[tuple[int, int]]) -> list[int]:
        phases: list[int] = []
        for index, code in unseen:
            variable = self.encoding.variables[index]
            phases.extend(self._lit(b, x) for b, x in code_bits(variable, code).items())
        return phases

    def _witness(self, unseen: set[tuple[int, int]]) -> None:
        model = self.solver.get_model() or []
        codes = []
        for variable in self.encoding.variables:
            code = 0
            for bit in variable.bits:
                code = code * 2 + int(model[self._ids[bit] - 1] > 0)
            codes.append(code)
            unseen.discard((variable.index, code))
        self._models.append(codes)
        if len(self._models) > _KEPT_MODELS:
            del self._models[0]

    def _dead_before(self, assignment: Assignment) -> set[tuple[int, int]]:
        """Values dead under the previous click's choices stay dead when choices are only
        added (the usual click); after a retraction nothing is carried over."""
        if self._last is None:
            return set()
        before, dead = self._last
        if all(k in assignment and assignment[k] == v for k, v in before.items()):
            return dead
        return set()

    def _propagated_dead(self, base: list[int], unseen: set[tuple[int, int]]) -> None:
        """Unit propagation alone rules out many values (one-bit features); no solve needed."""
        status, implied = self.solver.propagate(assumptions=base)
        if not status:
            return
        for literal in implied or []:
            single = self._single_bit.get(abs(literal))
            if single is not None:
                dead = (single, 0 if literal > 0 else 1)
                if dead in unseen:
                    unseen.discard(dead)
                    self._dead.add(dead)

    def _reuse_models(self, assignment: Assignment, unseen: set[tuple[int, int]]) -> None:
        """Complete products found for earlier clicks that still agree with every choice are
        valid witnesses now too; they spare most solver calls after a new choice."""
        fixed = [(self.encoding[n].index, self.encoding.position(n, v))
                 for n, v in assignment.items()]
        for codes in self._models:
            if all(codes[index] == code for index, code in fixed):
                unseen.difference_update(enumerate(codes))

    # -- incremental use (price search): a handle is the assignment itself -------------------
    def handle(self, assignment: Assignment) -> dict[str, object]:
        return dict(assignment)

    def extend(self, handle: dict[str, object], name: str, value: object) -> dict[str, object]:
        return {**handle, name: value}

    def domains_in(self, handle: dict[str, object], names: Iterable[str]
                   ) -> dict[str, tuple[object, ...]]:
        names = list(names)
        found = self.domains(handle, [n for n in names if n not in handle])
        found.update({n: (handle[n],) for n in names if n in handle})
        return found

    def count(self, assignment: Assignment) -> int | None:
        return None  # counting needs the compiled diagram

    def core(self, assignment: Assignment) -> list[str]:
        """A minimal set of constraint ids that, with ``assignment``, has no solution."""
        active = list(self.selectors)
        if self.solver.solve(assumptions=self.assumptions(assignment, active)):
            return []
        by_literal = {lit: cid for cid, lit in self.selectors.items()}
        core = [by_literal[lit] for lit in (self.solver.get_core() or []) if lit in by_literal]
        for cid in list(core):
            trial = [c for c in core if c != cid]
            if not self.solver.solve(assumptions=self.assumptions(assignment, trial)):
                core = trial
        return core


def _as_cube(u: Function) -> dict[str, bool] | None:
    """The literals of ``u`` when ``u`` is a single conjunction of literals, else None."""
    bdd = u.bdd
    literals: dict[str, bool] = {}
    while u != bdd.true:
        if u == bdd.false:
            return None
        low, high = (u.low, u.high) if not u.negated else (~u.low, ~u.high)
        if low == bdd.false:
            literals[u.var], u = True, high
        elif high == bdd.false:
            literals[u.var], u = False, low
        else:
            return None
    return literals
