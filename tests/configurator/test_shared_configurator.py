"""One configurator per model serves every request of a process: concurrent clicks must not
corrupt it, and no answer may depend on what was asked before."""

from __future__ import annotations

import json
import random
import sys
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


def _conflicts_of(rules: set[frozenset[str]]) -> Any:
    """A consistency check where the given rule sets are the minimal conflicts."""
    return lambda subset: not any(conflict <= set(subset) for conflict in rules)


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
