"""The cheapest (or dearest) sum of per-value costs over all models of a diagram.

A shortest (or longest) path through the feature blocks: along a path each block's code is
known up to the bits the path skips, so its cost is the best over the codes that agree; a
block the path jumps over costs its best over the whole domain. Exact, because the blocks of
one path are independent of each other. Memoised per node across calls, like the domain
pass in ``blocks``: restricted diagrams share their lower parts with the compiled root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from configurator.blocks import BlockLayout
from configurator.encoding import Encoding

Function = Any
# As in configurator.blocks: a generation ends at either limit, since each root kept holds
# its CUDD nodes alive (with no root limit they grew with every price search).
_MEMO_LIMIT = 200_000
_ROOT_LIMIT = 1_000
_ZERO = Decimal(0)


class _Costs:
    """One generation of the per-node memo with the roots that keep its node ids unique."""

    def __init__(self) -> None:
        self.best: dict[int, dict[int, Decimal]] = {1: {}, -1: {}}
        self.roots: list[Function] = []


class PathCosts:
    def __init__(self, layout: BlockLayout, encoding: Encoding,
                 costs: Mapping[int, Sequence[Decimal]]) -> None:
        """``costs``: per variable index, the cost of each value code (missing: all zero)."""
        self.layout, self.encoding = layout, encoding
        self._costs = [tuple(costs.get(var, ())) for var in layout.var_of_rank]
        self._rank_of_var = {var: rank for rank, var in enumerate(layout.var_of_rank)}
        # Below the last block with costs every path costs nothing: no need to go there.
        self._last_costed = max((rank for rank, costs in enumerate(self._costs) if costs),
                                default=-1)
        self._memo = _Costs()
        self._matching: dict[tuple[int, int, int, int], Decimal] = {}
        self._prefix = {sign: self._prefix_sums(sign) for sign in (1, -1)}
        self._true, self._false = int(layout.bdd.true), int(layout.bdd.false)

    def _prefix_sums(self, sign: int) -> list[Decimal]:
        sums = [_ZERO]
        for costs in self._costs:
            sums.append(sums[-1] + (pick(sign, costs) if costs else _ZERO))
        return sums

    def whole_domain(self, variable: int, sign: int) -> Decimal:
        """What a path that jumps over ``variable``'s block counts for it."""
        costs = self._costs[self._rank_of_var[variable]]
        return pick(sign, costs) if costs else _ZERO

    def cost_of(self, variable: int, code: int) -> Decimal:
        costs = self._costs[self._rank_of_var[variable]]
        return costs[code] if costs else _ZERO

    def best(self, root: Function, sign: int) -> Decimal | None:
        """Minimum (sign 1) or maximum (sign -1) total cost over the models of ``root``;
        None when it has none. Features cofactored out of ``root`` count as jumped."""
        with self.layout.lock:  # walks CUDD nodes
            return self._best(root, sign)

    def _best(self, root: Function, sign: int) -> Decimal | None:
        key = int(root)
        if key == self._false:
            return None
        start = self.layout.levels if key == self._true else int(root.level)
        rank = self.layout.rank_at(start)
        jumped = self._jumped(0, rank, sign)
        if key == self._true or rank > self._last_costed:
            return jumped
        memo = self._memo
        if len(memo.best[sign]) > _MEMO_LIMIT or len(memo.roots) > _ROOT_LIMIT:
            memo = self._memo = _Costs()
        memo.roots.append(root)  # keeps the nodes below alive, so their ids stay unique
        return jumped + self._below(root, key, sign, memo.best[sign])

    def _jumped(self, first: int, end: int, sign: int) -> Decimal:
        prefix = self._prefix[sign]
        return prefix[end] - prefix[first] if first < end else _ZERO

    def _below(self, entry: Function, key: int, sign: int, memo: dict[int, Decimal]
               ) -> Decimal:
        found = memo.get(key)
        if found is None:
            found = memo[key] = self._explore(entry, key & 1, sign, memo)
        return found

    def _explore(self, entry: Function, negated: int, sign: int, memo: dict[int, Decimal]
                 ) -> Decimal:
        layout = self.layout
        start = entry.level
        rank = layout.rank_of_level[start]
        last, levels = layout.last_level_of_rank[rank], layout.levels
        best: Decimal | None = None
        inner = [(entry, negated, start, 0, 0)]  # node, its polarity, level, code bits, known
        while inner:
            node, polarity, level, value, known = inner.pop()
            weight = layout.weight_of_level[level]
            known |= weight
            for child, bit in ((node.low, 0), (node.high, weight)):
                key = int(child) ^ polarity
                if key == self._false:
                    continue
                below_level = levels if key == self._true else child.level
                if below_level <= last:
                    inner.append((child, key & 1, below_level, value | bit, known))
                    continue
                below_rank = layout.rank_at(below_level)
                cost = self._matching_codes(value | bit, known, rank, sign) + self._jumped(
                    rank + 1, below_rank, sign)
                if below_rank <= self._last_costed:
                    cost += self._below(child, key, sign, memo)
                best = cost if best is None else pick(sign, (best, cost))
        assert best is not None  # a node that is not false has a path to 1
        return best

    def _matching_codes(self, value: int, known: int, rank: int, sign: int) -> Decimal:
        costs = self._costs[rank]
        if not costs:
            return _ZERO
        key = (value, known, rank, sign)
        found = self._matching.get(key)
        if found is None:
            found = self._matching[key] = pick(
                sign, [cost for code, cost in enumerate(costs) if code & known == value])
        return found


def pick(sign: int, costs: Sequence[Decimal]) -> Decimal:
    return min(costs) if sign > 0 else max(costs)
