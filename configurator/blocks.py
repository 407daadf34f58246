"""Valid domains of every variable in one pass over a BDD whose feature bits are contiguous.

Each feature's bits form one block of levels (the compiler groups them for sifting). A value
is valid when some path to 1 agrees with its code on the block's bits; blocks that a path
jumps over are unconstrained on it, so all their values are valid.
"""

from __future__ import annotations

from typing import Any

from configurator.encoding import Encoding

Function = Any


class BlockLayout:
    def __init__(self, bdd: Any, encoding: Encoding) -> None:
        self.bdd = bdd
        self.levels = len(bdd.vars)
        owner: dict[str, tuple[int, int]] = {}
        for variable in encoding.variables:
            for k, bit in enumerate(variable.bits):
                owner[bit] = (variable.index, 1 << (variable.width - 1 - k))
        placed = sorted(encoding.variables, key=lambda v: bdd.level_of_var(v.bits[0]))
        self.var_of_rank = [v.index for v in placed]
        self.width_of_rank = [v.width for v in placed]
        self.size_of_var = {v.index: len(v.values) for v in encoding.variables}
        self.rank_of_level: list[int] = []
        self.weight_of_level: list[int] = []
        self.last_level_of_rank = [0] * len(placed)
        rank_of_var = {v.index: r for r, v in enumerate(placed)}
        for level in range(self.levels):
            index, weight = owner[bdd.var_at_level(level)]
            rank = rank_of_var[index]
            self.rank_of_level.append(rank)
            self.weight_of_level.append(weight)
            self.last_level_of_rank[rank] = level
        self._check_contiguous()
        self._expansions: dict[tuple[int, int, int], int] = {}

    def _check_contiguous(self) -> None:
        for level in range(1, self.levels):
            before, now = self.rank_of_level[level - 1], self.rank_of_level[level]
            if now not in (before, before + 1):
                raise ValueError("feature bits are not contiguous in the BDD order")

    def _rank(self, node: Function) -> int:
        return len(self.var_of_rank) if node.var is None else self.rank_of_level[node.level]

    def valid_codes(self, root: Function) -> list[int]:
        """Per variable index, a bit mask of the value codes that extend to a model."""
        masks = [0] * len(self.var_of_rank)
        skipped = [0] * (len(self.var_of_rank) + 1)
        false = self.bdd.false
        if root == false:
            return masks
        skipped[0] += 1
        skipped[self._rank(root)] -= 1
        stack, seen = ([root] if root.var is not None else []), {int(root)}
        while stack:
            self._block(stack.pop(), masks, skipped, stack, seen)
        running = 0
        for rank, var in enumerate(self.var_of_rank):
            running += skipped[rank]
            if running > 0:
                masks[var] = (1 << self.size_of_var[var]) - 1
        return masks

    def _block(self, entry: Function, masks: list[int], skipped: list[int],
               stack: list[Function], seen: set[int]) -> None:
        rank = self.rank_of_level[entry.level]
        last, var, false = self.last_level_of_rank[rank], self.var_of_rank[rank], self.bdd.false
        inner = [(entry, 0, 0)]
        while inner:
            node, value, known = inner.pop()
            weight = self.weight_of_level[node.level]
            low, high = (node.low, node.high) if not node.negated else (~node.low, ~node.high)
            for child, bit in ((low, 0), (high, weight)):
                if child == false:
                    continue
                if child.var is not None and child.level <= last:
                    inner.append((child, value | bit, known | weight))
                    continue
                masks[var] |= self._expand(value | bit, known | weight, rank)
                child_rank = self._rank(child)
                skipped[rank + 1] += 1
                skipped[child_rank] -= 1
                if child.var is not None and int(child) not in seen:
                    seen.add(int(child))
                    stack.append(child)

    def _expand(self, value: int, known: int, rank: int) -> int:
        """Mask of all codes that agree with ``value`` on the ``known`` bits."""
        key = (value, known, rank)
        if key not in self._expansions:
            width = self.width_of_rank[rank]
            size = self.size_of_var[self.var_of_rank[rank]]
            mask = 0
            for code in range(min(1 << width, size)):
                if code & known == value:
                    mask |= 1 << code
            self._expansions[key] = mask
        return self._expansions[key]
