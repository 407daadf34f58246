"""Compiling a Problem into one BDD (CUDD), with an on-disk cache keyed by content hash.

The budget is counted in steps of the BDD build, not in seconds: CUDD is deterministic, so
whether a model compiles is a property of the model and the budget, the same on a busy
machine as on a slow or an idle one. A step is a live node after a conjunction, or a node
times a variable group for each dynamic reordering (what sifting costs). Both outcomes are
cached: a model that did not fit is not tried again with the same or a smaller budget.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dd.cudd as cudd

from configurator.bddbuild import BddBuilder, Function
from configurator.encoding import Encoding
from configurator.errors import CompileError
from configurator.problem import ConstraintSpec, Problem

CACHE_FORMAT = "c2m-bdd-2"
FAILURE_FORMAT = "c2m-bdd-failed-1"
_SIFTING_ROUNDS = 6
ROOT = "__root__"
# Renault Megane takes about 16 million steps; automotive01 (2,513 groups) passes 70 million
# before its first constraint is conjoined and some 900 million a minute later.
DEFAULT_STEP_BUDGET = 100_000_000
STEP_BUDGET_ENV = "C2M_BDD_STEP_BUDGET"
_PROGRESS_STEPS = 10

Progress = Callable[[str], object]
# dd announces its CUDD version at INFO for every manager (one per model and engine): noise
# between the one-line messages of the CLI and in the logs of every web process.
logging.getLogger("dd.cudd").setLevel(logging.WARNING)


@dataclass
class CompiledModel:
    problem: Problem
    encoding: Encoding
    bdd: Any
    root: Function
    constraints: dict[str, Function]  # each constraint alone (for explanations and SAT)
    seconds: float
    from_cache: bool
    steps: int = 0  # what the build cost, in budget steps (0 when loaded from the cache)
    # CUDD is not thread-safe: whoever makes or walks nodes of ``bdd`` holds this.
    lock: threading.RLock = field(default_factory=threading.RLock, compare=False, repr=False)

    @property
    def node_count(self) -> int:
        return int(self.root.dag_size)


def cache_dir() -> Path:
    configured = os.environ.get("C2M_CACHE_DIR")
    base = Path(configured) if configured else Path.home() / ".cache" / "c2m"
    return base / "bdd"


def new_manager(encoding: Encoding) -> Any:
    bdd = cudd.BDD()
    bdd.declare(*encoding.all_bits)
    for variable in encoding.variables:
        if variable.width > 1:  # sifting moves a feature's bits together: blocks stay whole
            bdd.group({variable.bits[0]: variable.width})
    return bdd


def build_constraints(problem: Problem, bdd: Any, encoding: Encoding) -> dict[str, Function]:
    builder = BddBuilder(bdd, encoding, problem.attributes)
    return {spec.id: constraint_bdd(builder, spec) for spec in problem.constraints}


def constraint_bdd(builder: BddBuilder, spec: ConstraintSpec) -> Function:
    if spec.rows is not None:
        allowed = builder.table(spec.scope, spec.rows)
        return ~allowed if spec.forbidden else allowed
    assert spec.formula is not None
    return builder.build(spec.formula, f"constraint {spec.id!r}")


def domains_bdd(bdd: Any, encoding: Encoding) -> Function:
    builder = BddBuilder(bdd, encoding, {})
    result = bdd.true
    for variable in encoding.variables:
        if len(variable.values) != 1 << variable.width:
            result &= builder.domain(variable)
    return result


def step_budget(configured: int | None = None) -> int:
    """The budget asked for, else $C2M_BDD_STEP_BUDGET, else the default."""
    if configured is not None:
        budget = configured
    else:
        text = os.environ.get(STEP_BUDGET_ENV, "").strip() or str(DEFAULT_STEP_BUDGET)
        try:
            budget = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise ValueError(f"{STEP_BUDGET_ENV}: expected a whole number of BDD steps, "
                             f"got {text!r}") from None
    if budget < 1:
        raise ValueError(f"the BDD step budget must be positive, got {budget}")
    return budget


def compile_problem(problem: Problem, *, budget_steps: int | None = None,
                    use_cache: bool = True, progress: Progress | None = None
                    ) -> CompiledModel:
    """The conjunction of all constraints; CompileError when the build needs more steps than
    the budget (``budget_steps``, else $C2M_BDD_STEP_BUDGET). ``progress`` gets a line now
    and then while a model is compiled (not when it comes from the cache)."""
    budget = step_budget(budget_steps)
    encoding = Encoding.of(problem.domains)
    path = cache_dir() / f"{problem.fingerprint}.json"
    cached = use_cache and bool(problem.fingerprint)
    if cached and path.exists():
        loaded = _load(problem, encoding, path, budget)
        if loaded is not None:
            return loaded
    try:
        compiled = _compile(problem, encoding, _Meter(problem, encoding, budget),
                            progress or (lambda _: None))
    except CompileError as error:
        if not error.model:
            error = CompileError(problem.name, error.reason, budget=budget)
        if cached:
            _save_failure(error, budget, path)
        raise error from None
    if cached:
        _save(compiled, path)
    return compiled


class _Meter:
    """Counts the steps of one build from CUDD's own (deterministic) node counts."""

    def __init__(self, problem: Problem, encoding: Encoding, budget: int) -> None:
        self.problem, self.budget = problem, budget
        self.groups = len(encoding.variables)
        self.steps = 0
        self._reorderings = 0

    def charge(self, bdd: Any, done: int, total: int) -> None:
        with warnings.catch_warnings():  # dd warns on every call about an unrelated unit
            warnings.simplefilter("ignore")
            stats = bdd.statistics()
        live, reorderings = int(stats["n_nodes"]), int(stats["n_reorderings"])
        self.steps += live + (reorderings - self._reorderings) * self.groups * live
        self._reorderings = reorderings
        if self.steps > self.budget:
            raise CompileError(self.problem.name, f"needs more than {self.budget:,} BDD steps"
                               f" (stopped after {done:,} of {total:,} constraints)",
                               budget=self.budget)


def _compile(problem: Problem, encoding: Encoding, meter: _Meter, progress: Progress
             ) -> CompiledModel:
    started = time.perf_counter()
    bdd = new_manager(encoding)
    bdd.configure(reordering=True)
    constraints = build_constraints(problem, bdd, encoding)
    meter.charge(bdd, 0, len(constraints))
    root = _conjoin(problem, encoding, bdd, constraints, meter, progress)
    _sift_until_settled(bdd, root)
    bdd.configure(reordering=False)  # a fixed order keeps query times predictable
    compiled = CompiledModel(problem, encoding, bdd, root, constraints,
                             time.perf_counter() - started, from_cache=False,
                             steps=meter.steps)
    progress(f"compiled {problem.name}: {compiled.node_count:,} nodes, "
             f"{meter.steps:,} of {meter.budget:,} steps")
    return compiled


def _conjoin(problem: Problem, encoding: Encoding, bdd: Any, constraints: dict[str, Function],
             meter: _Meter, progress: Progress) -> Function:
    position = {v.name: v.index for v in encoding.variables}
    ordered = sorted(problem.constraints,
                     key=lambda s: (max((position[n] for n in s.scope), default=0), s.id))
    every = max(_PROGRESS_STEPS, -(-len(ordered) // _PROGRESS_STEPS))  # about ten lines
    root = domains_bdd(bdd, encoding)
    for done, spec in enumerate(ordered, start=1):
        root &= constraints[spec.id]
        meter.charge(bdd, done, len(ordered))
        if done % every == 0 and done < len(ordered):
            progress(f"compiling {problem.name}: {done:,}/{len(ordered):,} constraints, "
                     f"{meter.steps:,} of {meter.budget:,} steps")
    return root


def _sift_until_settled(bdd: Any, root: Function) -> None:
    """Sifting again from the order one round found keeps shrinking the diagram (Renault:
    13,590 nodes after one round, about 12,000 after three); every click walks it."""
    size = int(root.dag_size)
    for _ in range(_SIFTING_ROUNDS):
        bdd.reorder()
        smaller = int(root.dag_size)
        if smaller > size * 0.99:
            return
        size = smaller


def _save(compiled: CompiledModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    roots = {ROOT: compiled.root, **{f"c:{k}": v for k, v in compiled.constraints.items()}}
    nodes, refs = dump_nodes(compiled.bdd, roots)
    bdd = compiled.bdd
    payload = {"format": CACHE_FORMAT, "seconds": compiled.seconds,
               "order": [bdd.var_at_level(i) for i in range(len(bdd.vars))],
               "nodes": nodes, "roots": refs}
    temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(payload, separators=(",", ":")))
    os.replace(temporary, path)


def dump_nodes(bdd: Any, roots: dict[str, Function]) -> tuple[list[list[Any]], dict[str, int]]:
    """Nodes bottom-up as [var, low, high]; a reference is 2*index+negated, 0/1 = false/true."""
    index: dict[int, int] = {}
    nodes: list[list[Any]] = []

    def ref(u: Function) -> int:
        if u.var is None:
            return 1 if u == bdd.true else 0
        regular = ~u if u.negated else u
        key = int(regular)
        if key not in index:
            stack = [regular]
            while stack:  # iterative post-order: deep diagrams exceed Python's recursion
                node = stack[-1]
                pending = [c for c in (node.low, node.high)
                           if c.var is not None and int(~c if c.negated else c) not in index]
                if pending:
                    stack.extend(~c if c.negated else c for c in pending)
                    continue
                stack.pop()
                if int(node) not in index:
                    nodes.append([node.var, ref(node.low), ref(node.high)])
                    index[int(node)] = len(nodes) + 1
        return 2 * index[key] + int(u.negated)

    return nodes, {name: ref(u) for name, u in roots.items()}


def load_nodes(bdd: Any, nodes: list[list[Any]], refs: dict[str, int]) -> dict[str, Function]:
    built: list[Function] = [bdd.false, bdd.true]

    def get(reference: int) -> Function:
        if reference < 2:
            return built[reference]
        node = built[reference // 2]
        return ~node if reference % 2 else node

    for var, low, high in nodes:
        built.append(bdd.ite(bdd.var(var), get(high), get(low)))
    return {name: get(reference) for name, reference in refs.items()}


def _save_failure(error: CompileError, budget: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FAILURE_FORMAT, "budget": budget, "reason": error.reason}
    temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(payload))
    os.replace(temporary, path)


def _load(problem: Problem, encoding: Encoding, path: Path, budget: int
          ) -> CompiledModel | None:
    """The cached diagram; None to compile again (no entry, damaged, or an earlier failure
    under a smaller budget); CompileError again for a failure under this budget or more."""
    started = time.perf_counter()
    try:
        payload = json.loads(path.read_text())
        if payload.get("format") == FAILURE_FORMAT:
            if int(payload["budget"]) >= budget:
                raise CompileError(problem.name, str(payload["reason"]), budget=budget,
                                   cached=True)
            return None
        if payload.get("format") != CACHE_FORMAT:
            return None
        bdd = new_manager_in_order(encoding, payload["order"])
        roots = load_nodes(bdd, payload["nodes"], payload["roots"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None  # a damaged cache entry is simply rebuilt
    constraints = {k[2:]: v for k, v in roots.items() if k.startswith("c:")}
    if ROOT not in roots or set(constraints) != {s.id for s in problem.constraints}:
        return None
    return CompiledModel(problem, encoding, bdd, roots[ROOT], constraints,
                         time.perf_counter() - started, from_cache=True)


def new_manager_in_order(encoding: Encoding, order: list[str]) -> Any:
    if sorted(order) != sorted(encoding.all_bits):
        raise ValueError("cached variable order does not match the model")
    bdd = cudd.BDD()
    bdd.configure(reordering=False)
    bdd.declare(*order)
    return bdd
