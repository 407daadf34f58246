"""One configurator per model serves every request of a process: concurrent clicks must not
corrupt it, and no answer may depend on what was asked before."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from configurator.api import state_to_dict
from configurator.explain import preferred_conflict
from configurator.model import ProductModel
from configurator.session import Configurator
from configurator.sources import load_any, sample_product_models

MODELS = {path.parent.name: load_any(path) for path in sample_product_models()}


def random_requests(seed: int, count: int) -> list[tuple[str, dict[str, object]]]:
    """Mixed models and choices, many of them contradictory (so conflicts are explained)."""
    rng = random.Random(seed)
    requests = []
    for _ in range(count):
        name = rng.choice(sorted(MODELS))
        features = MODELS[name].features
        picked = rng.sample(features, k=min(len(features), rng.randint(1, 5)))
        requests.append((name, {f.name: rng.choice(f.domain) for f in picked}))
    return requests


def answer(configurator: Configurator, choices: dict[str, object]) -> str:
    """Domains, counts and explanations (prices are exact searches of their own, covered
    over HTTP in tests/flow/test_configuration_concurrency.py)."""
    state = configurator.configure(choices, price=False)
    return json.dumps(state_to_dict(configurator, state), default=str)


def fresh(model: ProductModel) -> Configurator:
    return Configurator(model)


def test_the_same_request_gets_the_same_explanations_after_unrelated_traffic():
    requests = random_requests(seed=5, count=96)
    before = {i: answer(fresh(MODELS[name]), choices)
              for i, (name, choices) in enumerate(requests) if i % 8 == 0}
    busy = {name: fresh(model) for name, model in MODELS.items()}
    after = {}
    for i, (name, choices) in enumerate(requests):  # every earlier request is traffic
        if i in before:
            after[i] = answer(busy[name], choices)
        else:
            answer(busy[name], choices)
    assert [i for i in before if before[i] != after[i]] == []


def test_concurrent_clicks_on_shared_configurators_all_succeed_and_agree_with_a_fresh_one():
    requests = random_requests(seed=11, count=40)
    shared = {name: fresh(model) for name, model in MODELS.items()}
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often, as a loaded server does
    try:
        with ThreadPoolExecutor(16) as pool:
            got = list(pool.map(lambda r: answer(shared[r[0]], r[1]), requests * 3))
    finally:
        sys.setswitchinterval(previous)
    expected = [answer(fresh(MODELS[name]), choices) for name, choices in requests]
    assert [i for i, body in enumerate(got) if body != expected[i % len(requests)]] == []


def _conflicts_of(rules: set[frozenset[str]], core: str = "exact", seed: int = 0) -> Any:
    """A check where the given rule sets are the minimal conflicts. Its cores, like a
    solver's, are an inconsistent part of what was asked: ``exact`` one of the minimal
    conflicts, ``everything`` the whole question, ``noisy`` a conflict with random extras."""
    rng = random.Random(seed)

    def conflict_of(subset: Sequence[str]) -> list[str] | None:
        hit = sorted((c for c in rules if c <= set(subset)), key=sorted)
        if not hit:
            return None
        if core == "everything":
            return list(subset)
        extra = [item for item in subset if core == "noisy" and rng.random() < 0.3]
        found = sorted(set(rng.choice(hit)) | set(extra))
        rng.shuffle(found)
        return found

    return conflict_of


def _counted(check: Any) -> tuple[Any, list[int]]:
    calls = [0]

    def counting(subset: Sequence[str]) -> list[str] | None:
        calls[0] += 1
        return check(subset)

    return counting, calls


def _preferred_by_definition(items: list[str], rules: set[frozenset[str]]) -> list[str]:
    """Junker's preferred conflict, straight from its definition: its last rule ends the
    shortest inconsistent prefix, then the same with the rules found as background."""
    found: set[str] = set()
    while rules and not any(c <= found for c in rules):
        end = next(k for k in range(1, len(items) + 1)
                   if any(c <= found | set(items[:k]) for c in rules))
        found.add(items[end - 1])
    return [item for item in items if item in found]


@pytest.mark.parametrize(("conflicts", "preferred"), [
    ({frozenset("c")}, ["c"]),
    ({frozenset("bd"), frozenset("ef")}, ["b", "d"]),
    ({frozenset("ag"), frozenset("bc")}, ["b", "c"]),  # the one whose last rule comes first
    (set(), []),
])
def test_the_preferred_conflict_depends_only_on_the_rules_and_their_order(conflicts, preferred):
    found = preferred_conflict(list("abcdefg"), _conflicts_of(conflicts))
    assert found == preferred
    assert not any(c < set(found) for c in conflicts)  # minimal: nothing smaller conflicts


@pytest.mark.parametrize("core", ["exact", "everything", "noisy"])
def test_the_preferred_conflict_is_the_same_whatever_cores_the_solver_returns(core):
    rng = random.Random(7)
    for trial in range(300):
        items = [f"r{i}" for i in range(rng.randint(1, 30))]
        conflicts = {frozenset(rng.sample(items, rng.randint(1, min(3, len(items)))))
                     for _ in range(rng.randint(0, 4))}
        found = preferred_conflict(items, _conflicts_of(conflicts, core, seed=trial))
        assert found == _preferred_by_definition(items, conflicts), (items, conflicts)


def test_solver_cores_make_the_preferred_conflict_cost_a_few_checks_per_rule():
    items = [f"r{i}" for i in range(120)]  # about Renault's 113 rules
    check, calls = _counted(_conflicts_of({frozenset({"r17", "r90"})}, "exact"))
    assert preferred_conflict(items, check) == ["r17", "r90"]
    # QuickXplain ignores cores: about 2k*log2(n/k), 19 checks here
    assert calls[0] <= 6
