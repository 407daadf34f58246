"""Exact cheapest and dearest price over the valid completions of some choices, from the
compiled diagram.

A price is a sum of terms. A term of one feature (an option's delta, ``1180 * seats_800``)
is a cost on that feature's block, and the best sum over all paths is a shortest (longest)
path through the blocks: one bottom-up pass, memoised per node and block under the choices at
and below it, so a click recomputes only the part of the diagram above its deepest choice.

A term over several features (``round(cover.price_per_m2 * (total_width + return_length) *
(seat_depth + 1500) / 1000000, 2)``) is not a sum of per-feature costs, and none is made of it:
the values of its features are carried down from the block where the first of them is decided
to the block of the last, where the term is evaluated whole; a feature leaves the carried
values once every term it appears in is settled. The best completion is a shortest path over
(node, block, carried values), found best-first (A*): what is left below a node is estimated
by the exact additive pass plus a sound bound on each unsettled term over the values still
valid, never more than the truth, so the first completion taken off the queue is the best.
The carried combinations a search visits are those that can still beat it, not every one.

It reads the flat copy of the diagram (``FlatDiagram``), so it needs no CUDD lock; every memo
holds a pure function of its key and a search lives for one question: many threads may ask
at once and each gets the answer it would get alone.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from configurator.encoding import Encoding, Variable
from configurator.expressions import Expr, evaluate, features
from configurator.flatdiagram import FALSE, TRUE, FlatDiagram
from configurator.folding import Attributes
from configurator.intervals import as_number, bounds
from configurator.model import ProductModel

Costs = tuple[Decimal, Decimal]  # cheapest, dearest
State = tuple[int, ...]  # codes of the carried features, in rank order
Node = tuple[int, int, State]  # diagram reference, block, carried codes
# One way through a block: its cheapest and dearest cost, the node below, the codes carried
# on, and the block's codes that reach the two costs.
Way = tuple[Costs, int, State, tuple[int, int]]
_ZERO = Decimal(0)
_NONE = (_ZERO, _ZERO, -1)  # memo marker: no valid path below (a tuple is never one)
# Entries per generation: a click adds at most (diagram part above its deepest choice) x
# (carried combinations there); sofa's clicks add a few hundred to a few thousand.
_MEMO_LIMIT = 400_000
_TERM_VALUES_KEPT = 200_000


@dataclass(frozen=True)
class Exit:
    """Where paths leave a block for one node below: the codes they allow on the block and
    the best and worst additive cost among them (with a code reaching each)."""

    codes: tuple[int, ...]
    child: int
    low: Decimal
    high: Decimal
    low_code: int
    high_code: int


@dataclass
class _Generation:
    """Memos that live and die together (ids key the best costs)."""

    best: dict[tuple[int, int, int, State], tuple[Decimal, Decimal] | tuple[Decimal, Decimal, int]
               ] = field(default_factory=dict)
    exits: dict[tuple[int, int, int], tuple[Exit, ...]] = field(default_factory=dict)
    signatures: dict[tuple[tuple[int, int], ...], int] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def id_of(self, signature: tuple[tuple[int, int], ...]) -> int:
        found = self.signatures.get(signature)
        if found is None:  # setdefault is atomic: two threads never get two ids for one key
            found = self.signatures.setdefault(signature, next(self.ids))
        return found


@dataclass(frozen=True)
class _Query:
    fixed: list[int]  # per rank: the chosen code, or -1
    signature: list[int]  # per rank: an id of the choices at and below it
    bits: dict[int, bool]  # the choices' bits by level
    flat_query: object  # the flat diagram's query for the same choices (path existence)
    memo: _Generation


@dataclass(frozen=True)
class Term:
    """A price term over several features, evaluated where the last of them is decided."""

    expr: Expr
    ranks: tuple[int, ...]  # its features' ranks, ascending


class DiagramPrices:
    def __init__(self, model: ProductModel, flat: FlatDiagram, encoding: Encoding,
                 costs: Mapping[str, Mapping[object, Decimal]], terms: Sequence[Expr],
                 attributes: Attributes) -> None:
        """``costs``: additive cost per feature value; ``terms``: formulas over 2+ features."""
        self.model, self.flat, self.layout = model, flat, flat.layout
        self.attributes = attributes
        by_index = {v.index: v for v in encoding.variables}
        self.variables: list[Variable] = [by_index[i] for i in self.layout.var_of_rank]
        self.ranks = len(self.variables)
        rank_of = {v.name: r for r, v in enumerate(self.variables)}
        self.rank_of = rank_of
        self.costs: list[tuple[Decimal, ...]] = [
            tuple(costs[v.name][value] for value in v.values)
            if v.name in costs and any(costs[v.name].values()) else () for v in self.variables]
        self.terms = [Term(t, tuple(sorted(rank_of[n] for n in features(t)))) for t in terms]
        self.carried = {r for term in self.terms for r in term.ranks}
        self.relevant = self.carried | {r for r, c in enumerate(self.costs) if c}
        self.last = max(self.relevant, default=-1)
        self.encoding = encoding
        self._plan()
        self._memo = _Generation()
        self._term_values: dict[tuple[int, State], Decimal] = {}
        self._bounds: dict[tuple[int, State, State], Costs] = {}
        # The additive part alone, exact and stateless: the search's estimate of what is left.
        self.additive = (DiagramPrices(model, flat, encoding, costs, (), attributes)
                         if self.terms else self)

    def _plan(self) -> None:
        """Per rank: the carried features on entry, how the state moves on, the terms due."""
        self.live: list[tuple[int, ...]] = []
        for rank in range(self.ranks + 1):
            self.live.append(tuple(sorted({r for term in self.terms for r in term.ranks
                                           if r < rank <= term.ranks[-1]})))
        self.extended = [self.live[r] + ((r,) if r in self.carried else ())
                         for r in range(self.ranks)]
        self.carry = [tuple(self.extended[r].index(k) for k in self.live[r + 1])
                      for r in range(self.ranks)]
        self.pending = [tuple((i, tuple(self.live[r].index(k) for k in term.ranks if k < r),
                               tuple(k for k in term.ranks if k >= r))
                              for i, term in enumerate(self.terms) if term.ranks[-1] >= r)
                        for r in range(self.ranks + 1)]
        self.due = [tuple((i, tuple(self.extended[r].index(k) for k in term.ranks))
                          for i, term in enumerate(self.terms) if term.ranks[-1] == r)
                    for r in range(self.ranks)]

    # -- answers ---------------------------------------------------------------------------
    def best(self, choices: Mapping[str, object]) -> Costs | None:
        """Cheapest and dearest sum of costs and terms over the valid completions (the base
        price not included); None when the choices have none."""
        if not self.terms:
            found = self._solve(self.flat.root, 0, (), self._query(choices))
            return None if found is None else (found[0], found[1])
        cheapest, dearest = (self.reaching(choices, minimise=side)
                             for side in (True, False))
        if cheapest is None or dearest is None:
            return None
        return cheapest[0], dearest[0]

    def reaching(self, choices: Mapping[str, object], *, minimise: bool
                 ) -> tuple[Decimal, dict[str, object]] | None:
        """The best cost and the values of every priced feature on one completion reaching
        it."""
        if self.terms:
            return _Search(self, choices, 0 if minimise else 1).run()
        return self._trace(self._query(choices), 0 if minimise else 1)

    def _trace(self, query: _Query, side: int) -> tuple[Decimal, dict[str, object]] | None:
        """Down the diagram, each step takes an option whose cost plus the best below is
        still the best (the memo from the pass answers the 'best below')."""
        found = self._solve(self.flat.root, 0, (), query)
        if found is None:
            return None
        target = remaining = found[side]
        ref = self.flat.root
        state: State = ()
        values: dict[str, object] = {}
        for rank in range(self.last + 1):
            for option in self._options(ref, rank, state, query):
                costs, child, carried, codes = option
                below = self._solve(child, rank + 1, carried, query)
                if below is not None and costs[side] + below[side] == remaining:
                    remaining -= costs[side]
                    ref, state = child, carried
                    if rank in self.relevant:
                        variable = self.variables[rank]
                        values[variable.name] = variable.values[codes[side]]
                    break
        return target, values

    # -- the pass --------------------------------------------------------------------------
    def _query(self, choices: Mapping[str, object]) -> _Query:
        memo = self._memo
        if len(memo.best) > _MEMO_LIMIT or len(memo.exits) > _MEMO_LIMIT:
            memo = self._memo = _Generation()
        fixed = [-1] * self.ranks
        bits: dict[int, bool] = {}
        for name, value in choices.items():
            rank = self.rank_of[name]
            variable = self.variables[rank]
            code = fixed[rank] = self.encoding.position(name, value)
            last = self.layout.last_level_of_rank[rank]
            for level in range(last - variable.width + 1, last + 1):
                bits[level] = bool(code & self.layout.weight_of_level[level])
        signature = [0] * (self.ranks + 1)
        chosen: tuple[tuple[int, int], ...] = ()
        for rank in reversed(range(self.ranks)):
            if fixed[rank] >= 0:
                chosen = ((rank, fixed[rank]), *chosen)
            signature[rank] = memo.id_of(chosen)
        return _Query(fixed, signature, bits, self.flat._query(bits), memo)

    def _solve(self, ref: int, rank: int, state: State, query: _Query) -> Costs | None:
        """Cheapest and dearest cost of blocks ``rank``.. along paths from ``ref`` (a node in
        that block or below it), with ``state`` carried in."""
        if ref == FALSE:
            return None
        if rank > self.last:  # nothing priced below: only whether a path is left matters
            return (_ZERO, _ZERO) if self._exists(ref, query) else None
        key = (query.signature[rank], ref, rank, state)
        found = query.memo.best.get(key)
        if found is None:
            found = query.memo.best[key] = self._combine(ref, rank, state, query) or _NONE
        return None if len(found) == 3 else (found[0], found[1])

    def _combine(self, ref: int, rank: int, state: State, query: _Query) -> Costs | None:
        low: Decimal | None = None
        high = _ZERO
        for (own_low, own_high), child, carried, _ in self._options(ref, rank, state, query):
            below = self._solve(child, rank + 1, carried, query)
            if below is None:
                continue
            cheap, dear = own_low + below[0], own_high + below[1]
            if low is None:
                low, high = cheap, dear
            else:
                low, high = min(low, cheap), max(high, dear)
        return None if low is None else (low, high)

    def _options(self, ref: int, rank: int, state: State, query: _Query
                 ) -> Iterator[Way]:
        """Ways through block ``rank``: cheapest and dearest cost, node below, state carried
        on, and the codes reaching the two costs."""
        carry = self.carry[rank]
        if rank not in self.carried:
            moved = tuple(state[i] for i in carry)
            for way in self._exits(ref, rank, query):
                yield (way.low, way.high), way.child, moved, (way.low_code, way.high_code)
            return
        costs, due = self.costs[rank], self.due[rank]
        for way in self._exits(ref, rank, query):
            for code in way.codes:
                extended = (*state, code)
                amount = costs[code] if costs else _ZERO
                for index, positions in due:
                    amount += self._term(index, tuple(extended[p] for p in positions))
                yield (amount, amount), way.child, tuple(extended[i] for i in carry), (code, code)

    def _exits(self, ref: int, rank: int, query: _Query) -> tuple[Exit, ...]:
        fixed = query.fixed[rank]
        key = (ref, rank, fixed)
        found = query.memo.exits.get(key)
        if found is None:
            found = query.memo.exits[key] = self._walk_block(ref, rank, fixed)
        return found

    def _walk_block(self, ref: int, rank: int, fixed: int) -> tuple[Exit, ...]:
        """Paths from ``ref`` through block ``rank`` (none when ``ref`` lies below it: then
        the block is free), grouped by the node they leave to."""
        flat, layout = self.flat, self.layout
        size = len(self.variables[rank].values)
        allowed = range(size) if fixed < 0 else (fixed,)
        level = flat.level[ref >> 1]
        if level >= flat.levels or layout.rank_of_level[level] > rank:
            return (self._exit(rank, tuple(allowed), ref),) if ref != FALSE else ()
        last, weights = layout.last_level_of_rank[rank], layout.weight_of_level
        leaving: dict[int, set[int]] = {}
        inner = [(ref, level, 0, 0)]  # reference, level, code bits, known bits
        while inner:
            node, level, value, known = inner.pop()
            weight = weights[level]
            known |= weight
            for taken, child in enumerate((flat.low[node >> 1], flat.high[node >> 1])):
                child ^= node & 1
                if child == FALSE:
                    continue
                code = value | weight if taken else value
                below = flat.level[child >> 1]
                if child != TRUE and below <= last:
                    inner.append((child, below, code, known))
                    continue
                codes = {c for c in allowed if c & known == code}
                if codes:
                    leaving.setdefault(child, set()).update(codes)
        return tuple(self._exit(rank, tuple(sorted(codes)), child)
                     for child, codes in sorted(leaving.items()))

    def _exit(self, rank: int, codes: tuple[int, ...], child: int) -> Exit:
        costs = self.costs[rank]
        if not costs:
            return Exit(codes, child, _ZERO, _ZERO, codes[0], codes[0])
        low = min(codes, key=lambda c: (costs[c], c))
        high = min(codes, key=lambda c: (-costs[c], c))
        return Exit(codes, child, costs[low], costs[high], low, high)

    def _exists(self, ref: int, query: _Query) -> bool:
        if ref == TRUE:
            return True
        return self.flat._below(ref, query.flat_query)[1] > 0  # type: ignore[arg-type]

    def valid_masks(self, query: _Query) -> list[int]:
        """Per rank, a bit mask of the codes still valid after the choices (the click's own
        summary, already kept by the flat diagram)."""
        masks = self.layout.unpack(self.flat.summary(query.bits)[0])
        return [1 << chosen if chosen >= 0 else masks[v.index]
                for v, chosen in zip(self.variables, query.fixed, strict=True)]

    def term_bounds(self, index: int, seen: State, valid: State) -> Costs:
        """Lowest and highest value of a term with its first features at ``seen`` codes and
        the rest anywhere in their ``valid`` code masks. A pure function of its key, so kept
        across clicks: computing them afresh was 90% of a click's search on wardrobe."""
        key = (index, seen, valid)
        found = self._bounds.get(key)
        if found is None:
            if len(self._bounds) > _TERM_VALUES_KEPT:
                self._bounds = {}
            term = self.terms[index]
            domains: dict[str, Sequence[object]] = {}
            for position, rank in enumerate(term.ranks):
                values = self.variables[rank].values
                name = self.variables[rank].name
                if position < len(seen):
                    domains[name] = (values[seen[position]],)
                else:
                    mask = valid[position - len(seen)]
                    domains[name] = tuple(v for c, v in enumerate(values) if mask >> c & 1)
            found = self._bounds[key] = bounds(term.expr, domains, self.attributes)
        return found

    def _term(self, index: int, codes: State) -> Decimal:
        key = (index, codes)
        found = self._term_values.get(key)
        if found is None:
            if len(self._term_values) > _TERM_VALUES_KEPT:
                self._term_values = {}
            term = self.terms[index]
            values = {self.variables[r].name: self.variables[r].values[c]
                      for r, c in zip(term.ranks, codes, strict=True)}
            found = Decimal(as_number(evaluate(term.expr, self.model.environment(values))))
            self._term_values[key] = found
        return found


class _Search:
    """Best-first search (A*) for the cheapest (side 0) or dearest (side 1) completion over
    the pass's nodes: (diagram node, block, carried values). The estimate of what is left is
    the exact additive best below the node plus a sound bound on every formula not yet
    settled (over the values not yet decided), so it never overestimates and the
    first completion taken off the queue is the best; a node reached again more cheaply is
    searched again. Everything lives for one query: identical queries, identical answers."""

    def __init__(self, prices: DiagramPrices, choices: Mapping[str, object], side: int) -> None:
        self.prices, self.side, self.sign = prices, side, 1 - 2 * side
        self.query = prices._query(choices)
        self.additive_query = prices.additive._query(choices)
        self.masks = prices.valid_masks(self.query)
        self._below_masks: dict[int, list[int]] = {}

    def run(self) -> tuple[Decimal, dict[str, object]] | None:
        prices, sign = self.prices, self.sign
        start: Node = (prices.flat.root, 0, ())
        estimate = self._estimate(*start)
        if estimate is None:
            return None
        queue: list[tuple[Decimal, int, int, Decimal, Node]] = [(estimate, 0, 0, _ZERO, start)]
        cost_to: dict[Node, Decimal] = {start: _ZERO}
        parent: dict[Node, tuple[Node, int]] = {}
        tie = itertools.count(1)
        while queue:
            _, _, _, cost, node = heapq.heappop(queue)
            if cost > cost_to[node]:
                continue  # reached again more cheaply since
            ref, rank, state = node
            if rank > prices.last:
                return sign * cost, self._values(node, parent)
            for costs, below, carried, codes in prices._options(ref, rank, state, self.query):
                child = (below, rank + 1, carried)
                reached = cost + sign * costs[self.side]
                if child in cost_to and cost_to[child] <= reached:
                    continue
                left = self._estimate(*child)
                if left is None:
                    continue
                cost_to[child], parent[child] = reached, (node, codes[self.side])
                heapq.heappush(queue, (reached + left, -rank, next(tie), reached, child))
        return None

    def _estimate(self, ref: int, rank: int, state: State) -> Decimal | None:
        """A lower bound on the signed cost still to come; None when no path is left."""
        prices = self.prices
        additive = prices.additive._solve(ref, rank, (), self.additive_query)
        if additive is None:
            return None
        total = self.sign * additive[self.side]
        pending = prices.pending[rank]
        if pending:
            masks = self._masks_below(ref)
            for index, positions, unseen in pending:
                low, high = prices.term_bounds(index, tuple(state[p] for p in positions),
                                               tuple(masks[r] for r in unseen))
                total += low if self.side == 0 else -high
        return total

    def _masks_below(self, ref: int) -> list[int]:
        """Per rank, the codes a completion through ``ref`` may still take: those valid for
        the click, narrowed to the ones valid below the node for its block and those under
        it (far tighter than the click's alone where features are coupled: desk's top width
        with its shape and return)."""
        found = self._below_masks.get(ref)
        if found is None:
            prices, flat = self.prices, self.prices.flat
            found = list(self.masks)
            if ref != TRUE:
                packed = flat._below(ref, self.query.flat_query)[0]  # type: ignore[arg-type]
                layout = prices.layout
                for rank in range(layout.rank_of_level[flat.level[ref >> 1]], prices.ranks):
                    found[rank] &= packed >> layout.offset(rank) & layout.slot_full(rank)
            self._below_masks[ref] = found
        return found

    def _values(self, node: Node, parent: Mapping[Node, tuple[Node, int]]) -> dict[str, object]:
        values: dict[str, object] = {}
        while node in parent:
            node, code = parent[node]
            rank = node[1]
            if rank in self.prices.relevant:
                variable = self.prices.variables[rank]
                values[variable.name] = variable.values[code]
        return values
