"""Many shop fronts ask POST /api/v1/configurations at once, on a real threaded server:
every answer is a success (or the documented 422 for bad input), and the same request
always gets the same body, whatever else is asked around it."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask

from configurator.sources import load_any, sample_product_models

CLIENTS = 20
REQUESTS_PER_CLIENT = 8
MODELS = {path.parent.name: load_any(path) for path in sample_product_models()}


def mixed_requests(seed: int, count: int) -> list[dict[str, Any]]:
    """Several models, one to four choices each (many contradict each other, so conflicts
    and repairs are explained), and now and then a value no feature has."""
    rng = random.Random(seed)
    bodies = []
    for index in range(count):
        name = rng.choice(sorted(MODELS))
        features = MODELS[name].features
        picked = rng.sample(features, k=rng.randint(1, min(4, len(features))))
        choices = {f.name: rng.choice(f.domain) for f in picked}
        if index % 10 == 9:
            choices[picked[0].name] = "no-such-value"
        bodies.append({"model": MODELS[name].name, "choices": choices})
    return bodies


@pytest.fixture()
def shop_server(shop: Flask, live_server: str) -> str:
    return live_server


def test_concurrent_clients_get_only_successes_and_identical_answers(shop_server: str):
    distinct = mixed_requests(seed=3, count=40)
    rng = random.Random(4)
    plan = [[rng.randrange(len(distinct)) for _ in range(REQUESTS_PER_CLIENT)]
            for _ in range(CLIENTS)]

    def client(indices: list[int]) -> list[tuple[int, int, str]]:
        with requests.Session() as http:
            answers = []
            for index in indices:
                reply = http.post(f"{shop_server}/api/v1/configurations",
                                  json=distinct[index], timeout=120)
                answers.append((index, reply.status_code, reply.text))
            return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for batch in pool.map(client, plan) for a in batch]
    bodies: dict[int, set[str]] = defaultdict(set)
    for index, status, text in answers:
        bad_input = "no-such-value" in json.dumps(distinct[index])
        assert status == (422 if bad_input else 200), (distinct[index], status, text[:300])
        bodies[index].add(json.dumps(json.loads(text), sort_keys=True))
    assert {i: len(b) for i, b in bodies.items() if len(b) > 1} == {}
    explained = [json.loads(next(iter(b))) for i, b in bodies.items()
                 if "no-such-value" not in json.dumps(distinct[i])]
    assert any(not body["consistent"] and body["conflict"]["rules"] for body in explained)
