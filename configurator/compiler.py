"""Compiling a Problem into one BDD (CUDD), with an on-disk cache keyed by content hash."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dd.cudd as cudd

from configurator.bddbuild import BddBuilder, Function
from configurator.encoding import Encoding
from configurator.errors import CompileError
from configurator.problem import ConstraintSpec, Problem

CACHE_FORMAT = "c2m-bdd-2"
_SIFTING_ROUNDS = 6
ROOT = "__root__"


@dataclass
class CompiledModel:
    problem: Problem
    encoding: Encoding
    bdd: Any
    root: Function
    constraints: dict[str, Function]  # each constraint alone (for explanations and SAT)
    seconds: float
    from_cache: bool

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


def compile_problem(problem: Problem, *, budget_seconds: float = 60.0,
                    use_cache: bool = True) -> CompiledModel:
    """The conjunction of all constraints; CompileError when it exceeds the time budget."""
    encoding = Encoding.of(problem.domains)
    path = cache_dir() / f"{problem.fingerprint}.json"
    if use_cache and problem.fingerprint and path.exists():
        loaded = _load(problem, encoding, path)
        if loaded is not None:
            return loaded
    started = time.perf_counter()
    bdd = new_manager(encoding)
    bdd.configure(reordering=True)
    constraints = build_constraints(problem, bdd, encoding)
    root = _conjoin(problem, encoding, bdd, constraints, started + budget_seconds)
    _sift_until_settled(bdd, root)
    bdd.configure(reordering=False)  # a fixed order keeps query times predictable
    compiled = CompiledModel(problem, encoding, bdd, root, constraints,
                             time.perf_counter() - started, from_cache=False)
    if use_cache and problem.fingerprint:
        _save(compiled, path)
    return compiled


def _conjoin(problem: Problem, encoding: Encoding, bdd: Any, constraints: dict[str, Function],
             deadline: float) -> Function:
    position = {v.name: v.index for v in encoding.variables}
    ordered = sorted(problem.constraints,
                     key=lambda s: (max((position[n] for n in s.scope), default=0), s.id))
    root = domains_bdd(bdd, encoding)
    for spec in ordered:
        root &= constraints[spec.id]
        if time.perf_counter() > deadline:
            raise CompileError(f"model {problem.name!r} did not compile within the budget")
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
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
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


def _load(problem: Problem, encoding: Encoding, path: Path) -> CompiledModel | None:
    started = time.perf_counter()
    try:
        payload = json.loads(path.read_text())
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
