"""Valid domains of every variable in one pass over a BDD whose feature bits are contiguous.

Each feature's bits form one block of levels (the compiler groups them for sifting). A value
is valid when some path to 1 agrees with its code on the block's bits; blocks that a path
jumps over are unconstrained on it, so all their values are valid.
"""

from __future__ import annotations

import threading
from typing import Any

from configurator.encoding import Encoding

Function = Any
# A generation of summaries lasts until either limit. Each root asked about keeps its own
# CUDD nodes alive (on sofa ~40 nodes, ~10 summaries a root): 20,000 roots held ~120 MiB of
# CUDD nodes per product in a web process. A click asks about a few dozen roots, so 1,000
# still covers the clicks of a session.
_MEMO_LIMIT = 200_000
_ROOT_LIMIT = 1_000


class _Summaries:
    """One generation of the per-node memo with the roots that keep its node ids unique."""

    def __init__(self) -> None:
        self.packed: dict[int, int] = {}
        self.roots: list[Function] = []


class BlockLayout:
    def __init__(self, bdd: Any, encoding: Encoding,
                 lock: threading.RLock | None = None) -> None:
        self.bdd = bdd
        self.lock = threading.RLock() if lock is None else lock  # the CUDD manager's
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
        self._memo = _Summaries()
        self._true, self._false = int(bdd.true), int(bdd.false)
        self._slot_full = [(1 << self.size_of_var[var]) - 1 for var in self.var_of_rank]
        self._offset = [0]
        for full in self._slot_full:  # each block's slot is as wide as its domain
            self._offset.append(self._offset[-1] + full.bit_length())
        self.prefix_full = [0]
        for rank, full in enumerate(self._slot_full):
            self.prefix_full.append(self.prefix_full[-1] | (full << self._offset[rank]))

    def _check_contiguous(self) -> None:
        for level in range(1, self.levels):
            before, now = self.rank_of_level[level - 1], self.rank_of_level[level]
            if now not in (before, before + 1):
                raise ValueError("feature bits are not contiguous in the BDD order")

    def _rank(self, node: Function) -> int:
        return len(self.var_of_rank) if node.var is None else self.rank_of_level[node.level]

    def valid_codes(self, root: Function) -> list[int]:
        """Per variable index, a bit mask of the value codes that extend to a model."""
        with self.lock:  # walks CUDD nodes
            if root == self.bdd.false:
                return [0] * len(self.var_of_rank)
            return self.unpack(self._summary(root) | self.full_between(0, self._rank(root)))

    def unpack(self, packed: int) -> list[int]:
        """Per variable index, the mask of its valid codes, from one slot per block."""
        masks = [0] * len(self.var_of_rank)
        for rank, var in enumerate(self.var_of_rank):
            masks[var] = (packed >> self._offset[rank]) & self._slot_full[rank]
        return masks

    def slot_full(self, rank: int) -> int:
        """Every code of the block at ``rank``, as its slot in a packed summary."""
        return self._slot_full[rank]

    def offset(self, rank: int) -> int:
        return self._offset[rank]

    def full_between(self, first: int, end: int) -> int:
        """All codes of the blocks ranked first..end-1 (jumped over, so unconstrained)."""
        if first >= end:
            return 0
        return self.prefix_full[end] & ~self.prefix_full[first]

    def _summary(self, root: Function) -> int:
        """Memoised per node across calls: restricted diagrams share their lower parts with
        the compiled root, so later clicks mostly hit the memo. The memo holds plain integers
        only (a memo of diagram nodes made every full garbage collection walk millions of
        objects: 100+ ms pauses); the roots asked about are kept instead, which keeps every
        node below them alive, so a node id is never reused while it is a key."""
        memo = self._memo
        if len(memo.packed) > _MEMO_LIMIT or len(memo.roots) > _ROOT_LIMIT:
            memo = self._memo = _Summaries()  # a new generation: entries and roots together
        memo.roots.append(root)
        key = int(root)
        if key in (self._true, self._false):
            return 0
        return self._below_node(entry=root, key=key, memo=memo)

    def _below_node(self, entry: Function, key: int, memo: _Summaries) -> int:
        """Packed masks (one slot per block) of what paths from ``entry`` to 1 allow."""
        packed = memo.packed.get(key)
        if packed is None:
            packed = memo.packed[key] = self._explore(entry, key & 1, memo)
        return packed

    def _explore(self, entry: Function, negated: int, memo: _Summaries) -> int:
        """One block from ``entry`` on: every path through the block's own levels, then the
        memoised summaries of where the paths leave it. This pass is what a cold click
        costs, so each node is touched as few times as the dd API allows: a node's id
        carries its complement bit, which stands in for ``~`` on the children."""
        start = entry.level
        rank = self.rank_of_level[start]
        last, levels = self.last_level_of_rank[rank], self.levels
        false, true = self._false, self._true
        own, packed = 0, 0
        inner = [(entry, negated, start, 0, 0)]  # node, its polarity, level, code bits, known
        while inner:
            node, polarity, level, value, known = inner.pop()
            weight = self.weight_of_level[level]
            known |= weight
            for child, bit in ((node.low, 0), (node.high, weight)):
                key = int(child) ^ polarity
                if key == false:
                    continue
                below_level = levels if key == true else child.level
                if below_level <= last:
                    inner.append((child, key & 1, below_level, value | bit, known))
                    continue
                own |= self.expand(value | bit, known, rank)
                below = 0 if key == true else self._below_node(child, key, memo)
                packed |= self.full_between(rank + 1, self.rank_at(below_level)) | below
        return packed | (own << self._offset[rank])

    def rank_at(self, level: int) -> int:
        return len(self.var_of_rank) if level >= self.levels else self.rank_of_level[level]

    def expand(self, value: int, known: int, rank: int) -> int:
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
