"""Incremental SAT over the same log encoding: fallback engine, constraint cores, baseline.

Each constraint's own (small) BDD is turned into clauses (Tseitin over its nodes, or a single
clause when the BDD is one), guarded by a selector literal so that unsatisfiable cores name
constraints. Domains and consistency use a second solver over the same clauses without the
selectors.

Domains are exact: a value is available only when some model of all constraints with the
choices takes it (a solver model, a kept model from an earlier click that agrees with every
choice, or a model reached from one by a checked chain of flips: satrepair), and removed only
when the solver refutes it, unit propagation refutes it, or it was refuted under a subset of
the current choices (with no choice, or at the previous click when choices were only added).

A solver is one mutable object (a solve, then its model or core): every query holds the
engine's lock. What is carried from one query to the next (kept models, dead values) only
ever speeds up an answer that is exact anyway, so answers never depend on earlier traffic;
cores are the preferred conflict in model order (as QuickXplain finds it); the solver's own
core only narrows the search.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

from pysat.solvers import Solver

from configurator.bddbuild import Function
from configurator.compiler import build_constraints, new_manager
from configurator.encoding import Encoding, code_bits
from configurator.explain import preferred_conflict
from configurator.problem import Problem
from configurator.satrepair import Clauses, Walk
from configurator.satvalues import KeptModels, ValueTokens

Assignment = Mapping[str, object]
_KEPT_MODELS = 400  # ~300 bytes each; reusing them costs about a millisecond per click
# A solver model that witnesses fewer new values than this means the rest need their own
# models (mostly alternatives of a group): walking from it by flips is then cheaper than
# one solver call each. Measured on automotive01: 8..32 all do, 16 a little best; walking
# again later (or from every such model) saved solver calls but not time.
_WALK_BELOW = 16


class SatEngine:
    name = "sat"

    def __init__(self, problem: Problem, *, bdd: Any = None,
                 constraints: Mapping[str, Function] | None = None, plain: bool = False
                 ) -> None:
        """``plain=True`` is the benchmark's straightforward baseline: one solver call per
        value not yet witnessed in this call, none of the carry-over and phase tricks."""
        self.problem = problem
        self.plain = plain
        self._lock = threading.RLock()
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
        # Domains and consistency need no selectors: thousands of selector assumptions
        # (one per constraint) made every call several times slower. Cores get their own
        # solver, built on first use.
        guards = {-s for s in self.selectors.values()}
        self.hard = [[lit for lit in clause if lit not in guards] for clause in self.clauses]
        # the tautology declares every bit variable: models must cover even unconstrained ones
        declare = [[len(self._ids), -len(self._ids)]] if self._ids else []
        self.solver = Solver(name="g4", bootstrap_with=self.hard + declare)
        self._guarded: Solver | None = None
        self._clauses = Clauses(self.hard)
        self.values = ValueTokens(self.encoding, self._ids, self._next)
        self._root_dead: set[int] | None = None
        self._models = KeptModels(self.values, _KEPT_MODELS)
        # the previous click's choices (as bit literals) with its dead values, and answer
        self._last: tuple[frozenset[int], set[int]] | None = None
        self._answer: tuple[frozenset[int], dict[str, tuple[object, ...]]] | None = None

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
        """Cube and constraint selectors, for the guarded solver (cores)."""
        chosen = self.selectors if active is None else {c: self.selectors[c] for c in active}
        return self._cube(assignment) + list(chosen.values())

    def _cube(self, assignment: Assignment) -> list[int]:
        cube = self.encoding.cube(assignment)
        return [self._lit(b, v) for b, v in cube.items()]

    def consistent(self, assignment: Assignment) -> bool:
        cube = self._cube(assignment)
        with self._lock:
            answer = self._answer
            if answer is not None and answer[0] == frozenset(cube):
                return True  # the domains just answered for these choices found a model
            return bool(self.solver.solve(assumptions=cube))

    def checker(self, fixed: Assignment) -> Callable[[Assignment], bool]:
        return lambda assignment: self.consistent({**fixed, **assignment})

    def witness(self, assignment: Assignment) -> dict[str, object] | None:
        with self._lock:
            if not self.solver.solve(assumptions=self._cube(assignment)):
                return None
            return self._decode(self.solver.get_model() or [])

    def _decode(self, model: list[int]) -> dict[str, object]:
        true = {lit for lit in model if lit > 0}
        return self.encoding.decode({bit: i in true for bit, i in self._ids.items()})

    def domains(self, assignment: Assignment,
                names: Iterable[str] | None = None) -> dict[str, tuple[object, ...]]:
        """Each value is witnessed by some model; solver phases are pointed at the values not
        yet seen, so that one model usually witnesses many of them at once, and kept models
        and flip walks witness most of the rest without a solver call."""
        with self._lock:
            return self._domains(assignment, names)

    def _domains(self, assignment: Assignment,
                 names: Iterable[str] | None) -> dict[str, tuple[object, ...]]:
        chosen = None if names is None else set(names)
        wanted = [v for v in self.encoding.variables
                  if v.name not in assignment and (chosen is None or v.name in chosen)]
        base = self._cube(assignment)
        key = frozenset(base)  # the same choices in any order (and True kept apart from 1)
        if names is None and self._answer is not None and self._answer[0] == key:
            return dict(self._answer[1])
        if assignment and self._root_dead is None and not self.plain:
            self._domains({}, None)  # values dead with no choice stay dead under any choices
        never = set() if self.plain else (self._root_dead or set()) | self._dead_before(key)
        unseen = set(chain.from_iterable(map(self.values.of, wanted))) - never
        if not self.solver.solve(assumptions=base):
            return {v.name: () for v in wanted}
        dead = self._search(base, unseen) | never
        if names is None and not self.plain:
            self._last = (key, dead)
            if not assignment:
                self._root_dead = dead
        dying = {self.values.decoded[t][0].index for t in dead}
        found = {v.name: v.values if v.index not in dying else
                 tuple(x for x, t in zip(v.values, self.values.of(v), strict=True)
                       if t not in dead)
                 for v in wanted}
        if names is None and not self.plain:
            self._answer = (key, found)
            return dict(found)
        return found

    def _search(self, base: list[int], unseen: set[int]) -> set[int]:
        """Witness every value in ``unseen`` or prove it dead; returns the dead ones."""
        dead: set[int] = set()
        self._witness(unseen)
        if not self.plain:
            self._models.take(base, unseen)
            dead |= self._propagated_dead(base, unseen)
        walked = self.plain
        pending = sorted(unseen, key=abs)
        while pending:
            token = pending.pop()
            if token not in unseen:
                continue
            if not self.plain:
                self.solver.set_phases(self.values.phases(unseen))
            if self.solver.solve(assumptions=base + list(self.values.literals(token))):
                before = len(unseen)
                model = self._witness(unseen)
                if not walked and before - len(unseen) < _WALK_BELOW:
                    walked = True
                    self._walk(model, base, unseen)
            else:
                unseen.discard(token)
                dead.add(token)
        return dead

    def _witness(self, unseen: set[int]) -> list[int]:
        model = self.solver.get_model() or []
        unseen -= self.values.taken(model, unseen)
        if not self.plain:
            self._models.add(model)
        return model

    def _walk(self, model: list[int], base: list[int], unseen: set[int]) -> None:
        """Witness what short chains of flips reach from ``model``, each chain starting from
        the model the previous one reached (so one chain can build on another)."""
        walk = Walk(self._clauses, model, {abs(literal) for literal in base})
        moved = False
        for token in sorted(unseen, key=abs):
            if token in unseen:
                flipped = walk.make_true(self.values.literals(token))
                if flipped:
                    unseen.difference_update(self.values.gained(walk.true, flipped))
                    moved = True
        if moved:  # a different product again: worth keeping for later clicks
            self._models.add_true(walk.true)

    def _dead_before(self, key: frozenset[int]) -> set[int]:
        """Values dead under the previous click's choices stay dead when choices are only
        added (the usual click); after a retraction or change nothing is carried over."""
        if self._last is None or not self._last[0] <= key:
            return set()
        return self._last[1]

    def _propagated_dead(self, base: list[int], unseen: set[int]) -> set[int]:
        """Unit propagation alone rules out many values (one-bit features); no solve needed."""
        status, implied = self.solver.propagate(assumptions=base)
        if not status:
            return set()
        dead = self.values.refuted(unseen, implied or [])
        unseen -= dead
        return dead

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
        """The minimal set of constraint ids that, with ``assignment``, has no solution,
        preferring rules earlier in the model (the same answer whatever was asked before:
        the solver's own cores only narrow the search)."""
        cube = self._cube(assignment)
        by_literal = {literal: cid for cid, literal in self.selectors.items()}

        def conflict_of(rules: Sequence[str]) -> list[str] | None:
            solver = self._guarded_solver()
            if solver.solve(assumptions=cube + [self.selectors[cid] for cid in rules]):
                return None
            return [by_literal[lit] for lit in solver.get_core() or [] if lit in by_literal]

        in_model_order = [s.id for s in self.problem.constraints if s.id in self.selectors]
        with self._lock:
            return preferred_conflict(in_model_order, conflict_of)

    def unsat_rules(self, assignment: Assignment) -> list[str]:
        """Some constraint ids that, with ``assignment``, have no solution (the solver's
        core, not yet minimal, and not the same from one call to the next); empty when
        ``assignment`` is consistent."""
        with self._lock:
            solver = self._guarded_solver()
            if solver.solve(assumptions=self.assumptions(assignment, list(self.selectors))):
                return []
            return self._core_rules()

    def _core_rules(self) -> list[str]:
        """The constraints among the assumptions of the last unsatisfiable call, in the
        solver's order (deleting in that order measured faster than in model order)."""
        by_literal = {literal: cid for cid, literal in self.selectors.items()}
        return [by_literal[lit] for lit in (self._guarded_solver().get_core() or [])
                if lit in by_literal]

    def _guarded_solver(self) -> Solver:
        # MiniSat (GitHub version) measured fastest here for cores on Renault: median 8 ms,
        # p95 31 ms against glucose 4's 15 and 71 ms.
        if self._guarded is None:
            self._guarded = Solver(name="mgh", bootstrap_with=self.clauses)
        return self._guarded

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
