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
        self._memo: dict[int, tuple[Function, int]] = {}
        self._slot_full = [(1 << self.size_of_var[var]) - 1 for var in self.var_of_rank]
        self._offset = [0]
        for full in self._slot_full:  # each block's slot is as wide as its domain
            self._offset.append(self._offset[-1] + full.bit_length())
        self._prefix_full = [0]
        for rank, full in enumerate(self._slot_full):
            self._prefix_full.append(self._prefix_full[-1] | (full << self._offset[rank]))

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
        if root == self.bdd.false:
            return masks
        packed = self._below(root) | self._full_between(0, self._rank(root))
        for rank, var in enumerate(self.var_of_rank):
            masks[var] = (packed >> self._offset[rank]) & self._slot_full[rank]
        return masks

    def _full_between(self, first: int, end: int) -> int:
        """All codes of the blocks ranked first..end-1 (jumped over, so unconstrained)."""
        if first >= end:
            return 0
        return self._prefix_full[end] & ~self._prefix_full[first]

    def _below(self, entry: Function) -> int:
        """Packed masks (one slot per block) of what paths from ``entry`` to 1 allow.

        Memoised per node across calls: restricted diagrams share their lower parts with the
        compiled root, so later clicks mostly hit the memo (the Function is kept so that its
        node stays alive and its id is never reused)."""
        if entry.var is None:
            return 0
        key = int(entry)
        found = self._memo.get(key)
        if found is not None:
            return found[1]
        packed = self._explore(entry)
        if len(self._memo) > 2_000_000:
            self._memo.clear()
        self._memo[key] = (entry, packed)
        return packed

    def _explore(self, entry: Function) -> int:
        rank = self.rank_of_level[entry.level]
        last, false = self.last_level_of_rank[rank], self.bdd.false
        own, packed = 0, 0
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
                own |= self._expand(value | bit, known | weight, rank)
                packed |= self._full_between(rank + 1, self._rank(child)) | self._below(child)
        return packed | (own << self._offset[rank])

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
