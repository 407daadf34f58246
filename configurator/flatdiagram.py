"""The compiled diagram as plain integer arrays, asked about choices without restricting it.

A click used to cofactor the diagram in CUDD and walk the new nodes through ``dd``'s API:
every node touched cost a few Python objects, and every click left garbage nodes behind whose
collection (inside CUDD, at unpredictable moments) stalled some later click. Here the
diagram is copied once into lists; a query follows only the branches that agree with the
fixed bits. Nodes below the deepest fixed level answer from a summary computed once, so a
click costs the part of the diagram above its deepest choice, and nothing in CUDD.

References: ``2 * index + complemented``; index 0 is the terminal, so 0 is true, 1 false.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from configurator.blocks import BlockLayout

Function = Any
TRUE, FALSE = 0, 1


class FlatDiagram:
    def __init__(self, root: Function, layout: BlockLayout) -> None:
        self.layout = layout
        self.levels = layout.levels
        self.level: list[int] = [self.levels]  # the terminal sits below every level
        self.low: list[int] = [TRUE]
        self.high: list[int] = [TRUE]
        self.root = self._export(root)
        self._lasting: dict[int, tuple[int, int]] = {}  # summaries with nothing fixed
        self._unfixed = [-1] * self.levels
        self._all_free = list(range(self.levels + 1))

    def _export(self, root: Function) -> int:
        """Regular nodes bottom-up, children before parents (an explicit stack: deep
        diagrams exceed Python's recursion)."""
        index: dict[int, int] = {}

        def reference(u: Function) -> int | None:
            if u.var is None:
                return TRUE if int(u) == int(u.bdd.true) else FALSE
            regular = ~u if u.negated else u
            found = index.get(int(regular))
            return None if found is None else 2 * found + int(u.negated)

        stack = [root]
        while stack:
            node = stack[-1]
            regular = ~node if node.negated else node
            if reference(node) is not None:
                stack.pop()
                continue
            low, high = reference(regular.low), reference(regular.high)
            if low is None or high is None:
                stack.extend(c for c, r in ((regular.low, low), (regular.high, high)) if r is None)
                continue
            stack.pop()
            index[int(regular)] = len(self.level)
            self.level.append(int(regular.level))
            self.low.append(low)
            self.high.append(high)
        found = reference(root)
        assert found is not None
        return found

    def summary(self, fixed: Mapping[int, bool]) -> tuple[int, int]:
        """Packed valid codes of every block (as ``BlockLayout.valid_codes`` packs them) and
        the number of models, over the free levels, that agree with ``fixed`` (level: bit)."""
        if self.root == FALSE:
            return 0, 0
        if not fixed:
            return self._root_summary(self._unfixed, self._all_free, -1, {})
        bits = list(self._unfixed)
        for level, bit in fixed.items():
            bits[level] = int(bit)
        free = [0]
        for level in range(self.levels):
            free.append(free[-1] + (bits[level] < 0))
        return self._root_summary(bits, free, max(fixed), {})

    def _root_summary(self, bits: list[int], free: list[int], deepest: int,
                      memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
        if self.root == TRUE:
            return self.layout.full_between(0, len(self.layout.var_of_rank)), 1 << free[-1]
        top = self.level[self.root >> 1]
        packed, models = self._below(self.root, bits, free, deepest, memo)
        if not models:
            return 0, 0
        return packed | self.layout.full_between(0, self.layout.rank_at(top)), models << free[top]

    def _below(self, ref: int, bits: list[int], free: list[int], deepest: int,
               memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
        if self.level[ref >> 1] > deepest:  # nothing fixed down there: the lasting summary
            found = self._lasting.get(ref)
            if found is None:
                found = self._lasting[ref] = self._explore(
                    ref, self._unfixed, self._all_free, -1, self._lasting)
            return found
        found = memo.get(ref)
        if found is None:
            found = memo[ref] = self._explore(ref, bits, free, deepest, memo)
        return found

    def _explore(self, ref: int, bits: list[int], free: list[int], deepest: int,
                 memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
        """One block from ``ref`` on, as in ``BlockLayout._explore``, following only the
        branch a fixed bit allows and counting only free levels that paths jump over."""
        layout, level_of, lows, highs = self.layout, self.level, self.low, self.high
        start = level_of[ref >> 1]
        rank = layout.rank_of_level[start]
        last = layout.last_level_of_rank[rank]
        own, packed, models = 0, 0, 0
        inner = [(ref, start, 0, 0, 0)]  # reference, level, code bits, known bits, skipped
        while inner:
            node, level, value, known, skipped = inner.pop()
            weight = layout.weight_of_level[level]
            known |= weight
            polarity, fixed = node & 1, bits[level]
            for child, bit, taken in ((lows[node >> 1], 0, 0), (highs[node >> 1], weight, 1)):
                child ^= polarity
                if child == FALSE or fixed == 1 - taken:
                    continue
                below = level_of[child >> 1]
                gap = skipped + free[below] - free[level + 1]
                if below <= last:
                    inner.append((child, below, value | bit, known, gap))
                    continue
                codes, count = (0, 1) if child == TRUE else self._below(
                    child, bits, free, deepest, memo)
                if not count:  # every path below disagrees with some fixed bit
                    continue
                own |= layout.expand(value | bit, known, rank)
                packed |= layout.full_between(rank + 1, layout.rank_at(below)) | codes
                models += count << gap
        return packed | (own << layout.offset(rank)), models
