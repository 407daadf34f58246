"""Machine availability: shifts minus downtime, and the free gaps left around fixed work."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from planner.model import INFINITY, Machine, Minutes, Window


def availability(machine: Machine) -> list[Window]:
    """Shifts minus downtime, sorted and merged; one endless window when there is no calendar."""
    shifts = [Window(0 - INFINITY, INFINITY)] if machine.shifts is None else list(machine.shifts)
    merged = _merge(shifts)
    for down in sorted(machine.downtime, key=lambda w: w.start):
        merged = _subtract(merged, down)
    return merged


def _merge(windows: list[Window]) -> list[Window]:
    out: list[Window] = []
    for w in sorted(windows, key=lambda w: w.start):
        if w.end <= w.start:
            continue
        if out and w.start <= out[-1].end:
            out[-1] = Window(out[-1].start, max(out[-1].end, w.end))
        else:
            out.append(w)
    return out


def _subtract(windows: list[Window], cut: Window) -> list[Window]:
    out: list[Window] = []
    for w in windows:
        if cut.end <= w.start or cut.start >= w.end:
            out.append(w)
            continue
        if w.start < cut.start:
            out.append(Window(w.start, cut.start))
        if cut.end < w.end:
            out.append(Window(cut.end, w.end))
    return out


@dataclass(frozen=True)
class Gap:
    """A free stretch of a machine; the families of the fixed work that bounds it (or -1)."""

    start: Minutes
    end: Minutes
    left_family: int
    right_family: int


class Gaps:
    """Free gaps of one machine, searched by time. A machine without calendar or fixed work
    has `open=True`, which lets the decoder skip the search."""

    def __init__(self, gaps: list[Gap]) -> None:
        self.gaps = gaps
        self.starts = [g.start for g in gaps]
        self.ends = [g.end for g in gaps]
        self.open = len(gaps) == 1 and gaps[0].start <= -INFINITY + 1 and gaps[0].end >= INFINITY

    def fit(self, ready: Minutes, duration: Minutes, family: int,
            setup: list[list[int]]) -> Minutes:
        """Earliest start >= ready such that the operation fits wholly inside one gap."""
        if self.open:
            return ready
        i = max(bisect_right(self.starts, ready) - 1, 0)
        gaps = self.gaps
        while i < len(gaps):
            g = gaps[i]
            s = ready
            if g.left_family >= 0:
                s = max(s, g.start + setup[g.left_family][family])
            else:
                s = max(s, g.start)
            limit = g.end - (setup[family][g.right_family] if g.right_family >= 0 else 0)
            if s + duration <= limit:
                return s
            i += 1
        return INFINITY


def build_gaps(windows: list[Window], fixed: list[tuple[Minutes, Minutes, int]]) -> Gaps:
    """Cut fixed work (start, end, family) out of the availability windows."""
    gaps = [Gap(w.start, w.end, -1, -1) for w in windows]
    for start, end, family in sorted(fixed):
        out: list[Gap] = []
        for g in gaps:
            if end <= g.start or start >= g.end:
                out.append(g)
                continue
            if g.start < start:
                out.append(Gap(g.start, start, g.left_family, family))
            if end < g.end:
                out.append(Gap(end, g.end, family, g.right_family))
        gaps = out
    return Gaps(gaps)
