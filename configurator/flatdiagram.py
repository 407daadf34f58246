"""The compiled diagram as plain integer arrays, asked about choices without restricting it.

A click used to cofactor the diagram in CUDD and walk the new nodes through ``dd``'s API:
every node touched cost a few Python objects, and every click left garbage nodes behind whose
collection (inside CUDD, at unpredictable moments) stalled some later click. Here the
diagram is copied once into lists; a query follows only the branches that agree with the
fixed bits. Nodes below the deepest fixed level answer from a summary computed once, so a
click costs the part of the diagram above its deepest choice, and nothing in CUDD.

References: ``2 * index + complemented``; index 0 is the terminal, so 0 is true, 1 false.

Many threads ask at once, without a lock: the arrays never change after the copy, and the
summaries kept across clicks are a pure function of their key (an id of fixed bits and a
node), so whichever thread stores one first stores what any other would.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from configurator.blocks import BlockLayout

Function = Any
TRUE, FALSE = 0, 1
# Summaries kept per generation, per node of the diagram: a click of a session reuses the
# summaries of the clicks before it, which touch every node a few times; far more only holds
# memory (a web process serves every product at once, and its memory must stay flat).
# Measured on sofa (1,100 nodes): ~140 bytes a summary, ~2.6 MiB at the floor.
_MEMO_PER_NODE = 16
_MEMO_MIN, _MEMO_MAX = 20_000, 2_000_000


@dataclass
class _Memo:
    """One generation of summaries, with the ids they are keyed by: a full memo is replaced
    by a new generation, never cleared under a query that still uses it."""

    codes: dict[int, int] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    signatures: dict[int, int] = field(default_factory=lambda: {0: 0})
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def id_of(self, signature: int) -> int:
        found = self.signatures.get(signature)
        if found is None:  # setdefault is atomic: two threads never get two ids for one key
            found = self.signatures.setdefault(signature, next(self.ids))
        return found


@dataclass(frozen=True)
class _Query:
    bits: list[int]  # per level: the fixed bit, or -1
    free: list[int]  # per level: how many free levels lie above it
    signature: list[int]  # per level: an id of the bits fixed at and below it
    memo: _Memo  # the generation the ids belong to


class FlatDiagram:
    def __init__(self, root: Function, layout: BlockLayout) -> None:
        self.layout = layout
        self.levels = layout.levels
        self.level: list[int] = [self.levels]  # the terminal sits below every level
        self.low: list[int] = [TRUE]
        self.high: list[int] = [TRUE]
        self.root = self._export(root)
        # Summaries by fixed-bits id and reference, as plain integers: dictionaries of
        # integers are invisible to the garbage collector, however large they grow.
        self._memo = _Memo()
        self.memo_limit = min(_MEMO_MAX, max(_MEMO_MIN, _MEMO_PER_NODE * len(self.level)))
        self._span = 2 * len(self.level)
        self._weights = layout.weight_of_level
        self._rank_of = [*layout.rank_of_level, len(layout.var_of_rank)]  # terminal: past all
        self._last_of_rank = layout.last_level_of_rank
        self._prefix_full = layout.prefix_full
        self._jump_masks: dict[int, list[int]] = {}
        self._children = list(zip(self.low, self.high, strict=True))
        self._own: list[dict[int, int]] = [{} for _ in layout.var_of_rank]

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
        query = self._query(fixed)
        if self.root == TRUE:
            return self.layout.full_between(0, len(self.layout.var_of_rank)), 1 << query.free[-1]
        top = self.level[self.root >> 1]
        packed, models = self._below(self.root, query)
        if not models:
            return 0, 0
        return (packed | self.layout.full_between(0, self.layout.rank_at(top)),
                models << query.free[top])

    def _query(self, fixed: Mapping[int, bool]) -> _Query:
        """Per level: the fixed bit (-1 when free), free levels above it, and an id for the
        fixed bits at and below it. A node's summary depends only on the bits fixed at and
        below its level, so summaries are kept across clicks under that id: a new choice
        recomputes only the part of the diagram above it."""
        memo = self._memo
        if len(memo.codes) > self.memo_limit or len(memo.signatures) > self.memo_limit:
            memo = self._memo = _Memo()
        bits = [-1] * self.levels
        for level, bit in fixed.items():
            bits[level] = int(bit)
        free = [0]
        for value in bits:
            free.append(free[-1] + (value < 0))
        signature = 0  # two bits a level: 0 free, 1 or 2 fixed to 0 or 1 (small keys)
        ids = [0] * (self.levels + 1)
        for level in reversed(range(self.levels)):
            if bits[level] >= 0:
                signature |= (bits[level] + 1) << (2 * level)
            ids[level] = memo.id_of(signature)
        return _Query(bits, free, ids, memo)

    def _below(self, ref: int, query: _Query) -> tuple[int, int]:
        key = query.signature[self.level[ref >> 1]] * self._span + ref
        codes = query.memo.codes.get(key)
        if codes is not None:
            return codes, query.memo.counts[key]
        codes, count = self._explore(ref, query)
        query.memo.counts[key] = count  # the count first: a stored code implies its count
        query.memo.codes[key] = codes
        return codes, count

    def _explore(self, ref: int, query: _Query) -> tuple[int, int]:
        """One block from ``ref`` on, as in ``BlockLayout._explore``, following only the
        branch a fixed bit allows and counting only free levels that paths jump over; where
        a path leaves the block, the summary below joins in. The hot loop of a click: one
        function, every lookup hoisted into a local."""
        level_of, children, weights = self.level, self._children, self._weights
        bits, free, signature, span = query.bits, query.free, query.signature, self._span
        summaries, counts, rank_of = query.memo.codes, query.memo.counts, self._rank_of
        start = level_of[ref >> 1]
        rank = rank_of[start]
        last, jumps, own_codes = self._last_of_rank[rank], self._jumps(rank), self._own[rank]
        own, packed, models = 0, 0, 0
        inner = [(ref, start, 0, 0, 0)]  # reference, level, code bits, known bits, skipped
        while inner:
            node, level, value, known, skipped = inner.pop()
            fixed, base, weight = bits[level], free[level + 1], weights[level]
            known |= weight
            for taken, child in enumerate(children[node >> 1]):
                if fixed == 1 - taken:
                    continue
                child ^= node & 1
                if child == FALSE:
                    continue
                below = level_of[child >> 1]
                code = value | weight if taken else value
                gap = skipped + free[below] - base
                if below <= last:
                    inner.append((child, below, code, known, gap))
                    continue
                if child == TRUE:
                    codes, count = 0, 1
                else:
                    key = signature[below] * span + child
                    found = summaries.get(key)
                    if found is None:
                        codes, count = self._explore(child, query)
                        counts[key] = count  # first, as in _below
                        summaries[key] = codes
                    else:
                        codes, count = found, counts[key]
                    if not count:  # every path below disagrees with some fixed bit
                        continue
                mask = own_codes.get(known << 32 | code)
                if mask is None:
                    mask = own_codes[known << 32 | code] = self.layout.expand(
                        code, known, rank) << self.layout.offset(rank)
                own |= mask
                packed |= jumps[rank_of[below]] | codes
                models += count << gap
        return packed | own, models

    def _jumps(self, rank: int) -> list[int]:
        """Per rank below this block's: the codes of the blocks a path to it jumps over."""
        found = self._jump_masks.get(rank)
        if found is None:
            prefix, after = self._prefix_full, self._prefix_full[rank + 1]
            found = self._jump_masks[rank] = [
                prefix[below] & ~after if below > rank else 0 for below in range(len(prefix))]
        return found
