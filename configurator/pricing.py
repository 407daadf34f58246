"""Prices: the breakdown of one configuration, and exact min/max over valid completions.

On the BDD engine the min/max is one memoised pass over the diagram (``pricepass``). On the
SAT engine it is branch and bound over the price-relevant features: every branch uses exact
valid domains from the engine, so each leaf it reaches is a real, valid product; bounds come
from per-term enumeration (or interval arithmetic when that is too large).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from configurator.bddengine import BddEngine
from configurator.expressions import Binary, Cond, Const, Expr, Unary, evaluate, features
from configurator.folding import Attributes
from configurator.intervals import as_number, bounds
from configurator.model import FeatureType, Label, ProductModel
from configurator.pricepass import DiagramPrices

# Bounds of one price term over the domains of its features (~500 bytes each on sofa): cheap
# to recompute, so a few thousand, not the 200,000 that let one web process grow for hours.
_BOUNDS_KEPT = 5_000

NODE_LIMIT = 4000


@dataclass(frozen=True)
class PriceLine:
    id: str
    label: Label
    amount: Decimal


@dataclass(frozen=True)
class PriceBreakdown:
    currency: str
    lines: tuple[PriceLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class PriceRange:
    low: Decimal
    high: Decimal
    exact: bool  # False only when the search hit its node limit (then low/high are bounds)


class DomainSource(Protocol):
    """What the search needs from an engine: restrict step by step, read valid domains."""

    def consistent(self, assignment: Mapping[str, object]) -> bool: ...

    def handle(self, assignment: Mapping[str, object]) -> Any: ...

    def extend(self, handle: Any, name: str, value: object) -> Any: ...

    def domains_in(self, handle: Any, names: Iterable[str]) -> dict[str, tuple[object, ...]]: ...


def price_breakdown(model: ProductModel, values: Mapping[str, object]) -> PriceBreakdown:
    """Price of a complete configuration: base, option and boolean deltas, price rules."""
    lines = [PriceLine("base", Label("Base price", "基础价格"), model.base_price)]
    for feature in model.features:
        delta = feature.delta(values[feature.name])  # type: ignore[arg-type]
        if delta:
            value_label = Label(feature.value_label(values[feature.name]),  # type: ignore[arg-type]
                                feature.value_label(values[feature.name], "zh"))  # type: ignore[arg-type]
            label = Label(f"{feature.label.en}: {value_label.en}",
                          f"{feature.label.get('zh')}: {value_label.zh}")
            lines.append(PriceLine(feature.name, label, delta))
    env = model.environment(values)
    for rule in model.prices:
        if rule.when is None or evaluate(rule.when, env) is True:
            amount = Decimal(evaluate(rule.amount, env))  # type: ignore[arg-type]
            lines.append(PriceLine(rule.id, rule.label, amount))
    return PriceBreakdown(model.currency, tuple(lines))


class PriceSearch:
    """Exact cheapest and dearest price over the valid completions of some choices.

    On the BDD engine: one memoised pass over the diagram (``DiagramPrices``), exact for any
    formulas. On the SAT engine (no diagram): branch and bound over every priced feature,
    with exact valid domains from the engine and per-term bounds."""

    def __init__(self, model: ProductModel, engine: DomainSource) -> None:
        self.model, self.engine = model, engine
        self.attributes: Attributes = {f.name: {o.code: dict(o.attributes) for o in f.options}
                                       for f in model.features if f.type is FeatureType.CHOICE}
        terms = [part for rule in model.prices for part in (
            _summands(rule.amount) if rule.when is None
            else [Cond(rule.when, rule.amount, Const(0))])]
        in_terms = set().union(*(features(term) for term in terms))
        self.relevant = [f.name for f in model.features
                         if f.name in in_terms or any(f.delta(v) for v in f.domain)]
        self._deltas: dict[str, dict[object, Decimal]] = {
            f.name: {v: f.delta(v) for v in f.domain} for f in model.features}
        self.diagram = self._diagram(terms) if isinstance(engine, BddEngine) else None
        self.terms = terms
        self._supports = [sorted(features(term)) for term in self.terms]
        self.branching = self.relevant
        self._priced = [n for n in self.relevant if any(self._deltas[n].values())]
        self._bounds_memo: dict[tuple[object, ...], tuple[Decimal, Decimal]] = {}

    def _diagram(self, terms: list[Expr]) -> DiagramPrices:
        """Formulas of one feature join its option deltas as per-value costs; the rest are
        evaluated whole, where the diagram has decided all their features."""
        assert isinstance(self.engine, BddEngine)
        costs = {name: dict(deltas) for name, deltas in self._deltas.items()}
        for term in terms:
            support = features(term)
            if len(support) == 1:
                (name,) = support
                for value in costs[name]:
                    costs[name][value] += Decimal(as_number(evaluate(
                        term, self.model.environment({name: value}))))
        return DiagramPrices(self.model, self.engine.flat, self.engine.encoding, costs,
                             [term for term in terms if len(features(term)) > 1],
                             self.attributes)

    def price_range(self, choices: Mapping[str, object]) -> PriceRange | None:
        base = self.model.base_price
        if not self.relevant:  # nothing priced can vary: every completion costs the base
            return PriceRange(base, base, exact=True) if self.engine.consistent(choices) else None
        if self.diagram is not None:
            found = self.diagram.best(choices)
            return None if found is None else PriceRange(base + found[0], base + found[1],
                                                          exact=True)
        low = self._run(choices, 1)
        high = self._run(choices, -1)
        if low is None or high is None or low.best is None or high.best is None:
            return None
        if low.complete and high.complete:
            return PriceRange(low.best, high.best, exact=True)
        return PriceRange(low.outer, high.outer, exact=False)

    def extreme(self, choices: Mapping[str, object], *, minimise: bool
                ) -> tuple[Decimal, dict[str, object], bool] | None:
        """Cheapest (or dearest) price over valid completions, with the values reaching it."""
        if self.diagram is not None:
            found = self.diagram.reaching(choices, minimise=minimise)
            if found is None:
                return None
            return self.model.base_price + found[0], {**choices, **found[1]}, True
        search = self._run(choices, 1 if minimise else -1)
        if search is None or search.best is None:
            return None
        return search.best, search.best_values, search.complete

    def _run(self, choices: Mapping[str, object], sign: int) -> _Search | None:
        handle = self.engine.handle(choices)
        domains = self._domains(handle, choices)
        if any(not values for values in domains.values()):
            return None
        search = _Search(self, sign)
        search.run(dict(choices), domains, handle)
        return search

    def _domains(self, handle: Any, assignment: Mapping[str, object]
                 ) -> dict[str, tuple[object, ...]]:
        free = [n for n in self.branching if n not in assignment]
        domains = self.engine.domains_in(handle, free) if free else {}
        domains.update({n: (assignment[n],) for n in self.branching if n in assignment})
        return domains

    def bound(self, handle: Any, assignment: Mapping[str, object],
              domains: Mapping[str, Sequence[object]], sign: int) -> Decimal | None:
        """Best price any completion below this point can reach (exact once every priced
        feature has one value left)."""
        total = self.model.base_price + self.terms_bound(domains, sign)
        for name in self._priced:
            total += pick(sign, [self._deltas[name][v] for v in domains[name]])
        return total

    def terms_bound(self, domains: Mapping[str, Sequence[object]], sign: int) -> Decimal:
        pick = 0 if sign > 0 else 1
        return sum((self._term_bounds(index, domains)[pick] for index in range(len(self.terms))),
                   Decimal(0))

    def _term_bounds(self, index: int, domains: Mapping[str, Sequence[object]]
                     ) -> tuple[Decimal, Decimal]:
        key = (index, tuple(tuple(domains[n]) for n in self._supports[index]))
        found = self._bounds_memo.get(key)
        if found is None:
            if len(self._bounds_memo) > _BOUNDS_KEPT:
                self._bounds_memo.clear()
            found = bounds(self.terms[index], domains, self.attributes)
            self._bounds_memo[key] = found
        return found


class _Search:
    def __init__(self, owner: PriceSearch, sign: int) -> None:
        self.owner, self.sign = owner, sign
        self.best: Decimal | None = None
        self.best_values: dict[str, object] = {}
        self.root_bound: Decimal | None = None
        self.nodes = 0

    @property
    def complete(self) -> bool:
        return self.nodes <= NODE_LIMIT

    @property
    def outer(self) -> Decimal:
        """For a search cut short: the bound at the top, which every completion respects."""
        assert self.best is not None
        return self.best if self.root_bound is None else self.root_bound

    def run(self, assignment: dict[str, object], domains: dict[str, tuple[object, ...]],
            handle: Any) -> None:
        self.nodes += 1
        optimistic = self.owner.bound(handle, assignment, domains, self.sign)
        if self.root_bound is None:
            self.root_bound = optimistic
        if optimistic is None or self._pruned(optimistic):
            return
        free = [n for n in self.owner.branching if len(domains[n]) > 1]
        if not free:
            self.best = optimistic
            self.best_values = {**assignment, **{n: vs[0] for n, vs in domains.items()}}
            return
        # Fewest values first: measured on the sample products, this needed fewer nodes than
        # widest-first or "largest price spread first".
        name = min(free, key=lambda n: len(domains[n]))
        for value in self._ranked(domains, name):
            if self.nodes > NODE_LIMIT:
                return
            child = {**assignment, name: value}
            narrowed = self.owner.engine.extend(handle, name, value)
            self.run(child, self.owner._domains(narrowed, child), narrowed)

    def _ranked(self, domains: dict[str, tuple[object, ...]], name: str) -> list[object]:
        """Values of ``name``, most promising first (by the formulas alone: cheap to ask)."""
        deltas = self.owner._deltas[name]
        return sorted(domains[name], key=lambda v: self.sign * (
            self.owner.terms_bound({**domains, name: (v,)}, self.sign) + deltas[v]))

    def _pruned(self, optimistic: Decimal) -> bool:
        return self.best is not None and self.sign * optimistic >= self.sign * self.best


def pick(sign: int, costs: Sequence[Decimal]) -> Decimal:
    return min(costs) if sign > 0 else max(costs)


def _summands(expr: Expr) -> list[Expr]:
    """``a * x + b * y - z`` as its parts, so that parts over one feature become path costs."""
    match expr:
        case Binary("+", left, right):
            return [*_summands(left), *_summands(right)]
        case Binary("-", left, right):
            return [*_summands(left), *(Unary("-", part) for part in _summands(right))]
    return [expr]
