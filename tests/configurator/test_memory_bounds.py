"""A web process keeps one configurator per product for its whole life: what it remembers
between requests must stop growing, however many different customers click through it."""

from __future__ import annotations

import random

import pytest

from configurator import blocks, pricepass
from configurator.api import configure_request
from configurator.session import Configurator
from configurator.sources import load_any, sample_product_models

PRODUCTS = {path.parent.name: path for path in sample_product_models()}


def random_walks(configurator: Configurator, seed: int, requests: int) -> None:
    """Customers choosing one available value after another, as the plant simulator's
    consumers do, each walk a different product."""
    rng = random.Random(seed)
    done = 0
    while done < requests:
        choices: dict[str, object] = {}
        answer = configure_request(configurator, choices)
        while done < requests and answer["consistent"] and not answer["complete"]:
            open_now = [f for f in answer["features"] if f["chosen"] is None and f["available"]]
            if not open_now:
                break
            feature = rng.choice(open_now)
            choices[feature["name"]] = rng.choice(feature["available"])["value"]
            answer = configure_request(configurator, choices)
            done += 1


def live_cudd_nodes(configurator: Configurator) -> int:
    return len(configurator.engine.bdd)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def sofa() -> Configurator:
    configurator = Configurator(load_any(PRODUCTS["sofa"]))
    assert configurator.engine.name == "bdd"
    return configurator


def test_diagram_summaries_stay_within_their_bound_after_many_distinct_clicks(sofa):
    random_walks(sofa, seed=1, requests=150)
    flat = sofa.engine.flat  # type: ignore[union-attr]
    one_click = len(flat.level)  # a click adds at most one summary per node
    assert len(flat._memo.codes) <= flat.memo_limit + one_click
    assert len(flat._memo.signatures) <= flat.memo_limit + flat.levels


def test_price_searches_keep_a_bounded_number_of_diagrams_alive(sofa):
    random_walks(sofa, seed=2, requests=150)
    layout = sofa.engine.layout  # type: ignore[union-attr]
    assert len(layout._memo.roots) <= blocks._ROOT_LIMIT + 1
    assert len(layout._memo.packed) <= blocks._MEMO_LIMIT + len(sofa.engine.flat.level)


def test_price_pass_memos_stay_within_their_bounds(sofa, monkeypatch):
    monkeypatch.setattr(pricepass, "_MEMO_LIMIT", 300)
    monkeypatch.setattr(pricepass, "_TERM_VALUES_KEPT", 200)
    random_walks(sofa, seed=5, requests=150)
    diagram = sofa.pricing.diagram
    assert diagram is not None
    # Unbounded, these walks leave ~11,600 best costs, ~1,100 block exits, ~1,800 formula
    # bounds and ~370 formula values; a generation may overrun by what one query adds.
    one_query = len(sofa.engine.flat.level)
    for prices in (diagram, diagram.additive):
        assert len(prices._memo.best) <= 300 + one_query
        assert len(prices._memo.exits) <= 300 + one_query
    assert len(diagram._term_values) <= 201
    assert len(diagram._bounds) <= 201


def test_cudd_nodes_held_by_a_configurator_stop_growing_after_warm_up():
    configurator = Configurator(load_any(PRODUCTS["wardrobe"]))
    random_walks(configurator, seed=3, requests=60)
    warm = live_cudd_nodes(configurator)
    random_walks(configurator, seed=4, requests=300)
    # Every diagram a generation keeps is small next to the compiled model; with the roots
    # of every price search kept, the live nodes grew 2.7-fold over these walks (78,000 to 211,000).
    assert live_cudd_nodes(configurator) <= 2 * warm
