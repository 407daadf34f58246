"""Consumers: each a random walk through the configurator API to a complete product, then an
order with its own idempotency key (some retried after a 'lost' answer, some double-posted).

`next_choice` is the pure part: from the configurator's answer, pick one feature not chosen
yet and one of the values the answer says are available."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from c2m.plant_sim.client import Client, Tally

MAX_STEPS = 60


def open_features(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Features not chosen yet (a forced one too: the customer confirms its only value)."""
    return [f for f in answer["features"] if f["chosen"] is None and f["available"]]


def next_choices(answer: dict[str, Any], rng: random.Random, batch: int = 1) -> dict[str, object]:
    """Up to `batch` open features, each with one of the values the answer lists as available
    (the configurator promises each of them alone leads to a valid product; together they
    may not, and the walk then falls back to one). Empty when nothing is left open."""
    candidates = open_features(answer)
    picked = rng.sample(candidates, min(batch, len(candidates)))
    return {f["name"]: rng.choice(f["available"])["value"] for f in picked}


@dataclass(frozen=True)
class Placed:
    number: str
    tracking_url: str
    key: str
    posts: int  # how many times the same order was posted (retries, double posts)


@dataclass
class ConsumerLog:
    lock: threading.Lock = field(default_factory=threading.Lock)
    placed: list[Placed] = field(default_factory=list)
    walk_failures: list[str] = field(default_factory=list)  # dead ends and refused orders
    duplicate_orders: list[str] = field(default_factory=list)  # one key, two order numbers

    def add(self, placed: Placed) -> None:
        with self.lock:
            self.placed.append(placed)

    def failure(self, text: str) -> None:
        with self.lock:
            self.walk_failures.append(text)


def walk(client: Client, model: str, rng: random.Random) -> dict[str, Any] | None:
    """Choose options until the product is complete; None on a dead end. Each step tries to
    choose every open feature at once, then half of them, then one: an answer that says the
    choices contradict each other costs little, a consistent one carries the explanations."""
    choices: dict[str, object] = {}
    status, answer = _configure(client, model, choices)
    for _ in range(MAX_STEPS):
        if status != 200 or not answer.get("consistent", False):
            return None
        if answer["complete"]:
            return dict(answer["choices"])
        open_now = len(open_features(answer))
        if not open_now:
            return None  # incomplete and nothing available: the dead end the engine must avoid
        for batch in sorted({open_now, max(1, open_now // 2), 1}, reverse=True):
            picks = next_choices(answer, rng, batch)
            status, after = _configure(client, model, {**choices, **picks})
            if status == 200 and after.get("consistent", False):
                break  # one value alone that the answer listed as available always fits
        choices.update(picks)
        answer = after
    return None


def _configure(client: Client, model: str, choices: dict[str, object]) -> tuple[int, Any]:
    return client.json("POST", "/api/v1/configurations", json={"model": model, "choices": choices})


def place(
    client: Client,
    model: str,
    choices: dict[str, Any],
    rng: random.Random,
    log: ConsumerLog,
    index: int,
) -> None:
    key = f"sim-{uuid.UUID(int=rng.getrandbits(128)).hex}"
    body = {
        "model": model,
        "choices": choices,
        "customer": {
            "name": f"Sim Customer {index}",
            "email": f"c{index}@example.com",
            "phone": "13800000000",
            "address": "1 Shunde Road, Foshan",
        },
    }
    posts = 2 if rng.random() < 0.15 else 1  # retried or double-clicked
    numbers = set()
    answer: dict[str, Any] = {}
    for _ in range(posts):
        status, answer = client.json(
            "POST", "/api/v1/orders", json=body, headers={"Idempotency-Key": key}
        )
        if status not in (200, 201):
            log.failure(f"order {key} refused: {status} {str(answer)[:200]}")
            return
        numbers.add(answer["order"])
    if len(numbers) > 1:
        with log.lock:
            log.duplicate_orders.append(key)
    log.add(Placed(answer["order"], answer["tracking_url"], key, posts))


def consumer(
    base_url: str,
    tally: Tally,
    log: ConsumerLog,
    models: list[str],
    next_index: Callable[[], int | None],
    seed: int,
) -> None:
    """Place orders until `next_index` says the stream is over (it also paces arrivals)."""
    rng = random.Random(seed)
    client = Client(base_url, tally)
    while (index := next_index()) is not None:
        model = rng.choice(models)
        choices = walk(client, model, rng)
        if choices is None:
            log.failure(f"{model}: the walk ended in a dead end")
            continue
        place(client, model, choices, rng, log, index)
