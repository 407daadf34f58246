"""An SVG Gantt chart of a schedule: one lane per machine, bars coloured by order and labelled
where wide enough, the frozen zone shaded and a line at now. Plain data in, SVG text out (pages
and PDFs). Times are shown in the zone of the window's start (the factory's, on the pages)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from html import escape

LANE_H, LABEL_W, AXIS_H = 26, 96, 22
ZOOMS = {"shift": timedelta(hours=8), "day": timedelta(days=1), "week": timedelta(days=7)}
# Lanes on one printed page: a 1200-unit-wide chart fills the 277 mm of an A4 landscape page
# (10 mm margins) at 0.23 mm a unit, so a lane is 6 mm; 24 of them with the time axis and the
# page's heading leave room below. More lanes than that go on further pages.
PRINT_LANES = 24


@dataclass(frozen=True)
class Bar:
    id: int  # PlannedOperation id (the detail link)
    machine: str
    start: datetime
    end: datetime
    order: str  # order number, the colour key
    operation: str
    fixed: bool
    setup_minutes: int = 0


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def colour(key: str) -> str:
    """A stable, distinguishable colour per order."""
    hue = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) % 360
    return f"hsl({hue} 62% 52%)"


def window(start: datetime, zoom: str) -> Window:
    return Window(start, start + ZOOMS.get(zoom, ZOOMS["day"]))


def print_pages(machines: Sequence[str], lanes: int = PRINT_LANES) -> list[list[str]]:
    """The machines split into pages of at most ``lanes`` lanes, balanced (38 machines: two
    pages of 19, not 24 and 14); one empty page when there is no machine at all."""
    if not machines:
        return [[]]
    count = -(-len(machines) // lanes)
    size = -(-len(machines) // count)
    return [list(machines[i : i + size]) for i in range(0, len(machines), size)]


def _ticks(win: Window) -> list[datetime]:
    step = (
        timedelta(hours=1)
        if win.seconds <= 8 * 3600
        else (timedelta(hours=3) if win.seconds <= 86400 else timedelta(days=1))
    )
    tick = win.start
    ticks = []
    while tick <= win.end:
        ticks.append(tick)
        tick += step
    return ticks


def svg(
    bars: Sequence[Bar],
    machines: Sequence[str],
    win: Window,
    frozen_until: datetime | None,
    now: datetime | None,
    width: int = 1200,
    interactive: str = "",
) -> str:
    """`interactive`: URL prefix for htmx detail requests (bars become buttons)."""
    plot_w = width - LABEL_W
    height = AXIS_H + LANE_H * max(1, len(machines)) + 4

    def x(moment: datetime) -> float:
        fraction = (moment - win.start).total_seconds() / win.seconds
        return LABEL_W + max(0.0, min(1.0, fraction)) * plot_w

    lane = {machine: i for i, machine in enumerate(machines)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="gantt" '
        # bars that are buttons must stay reachable: an img role would hide them
        + ('role="group" hx-target="#op-detail" ' if interactive else 'role="img" ')
        + f'aria-label="Gantt {win.start:%Y-%m-%d %H:%M} {zone_name(win)}">'
    ]
    if frozen_until is not None and frozen_until > win.start:
        out.append(
            f'<rect class="frozen" x="{LABEL_W}" y="{AXIS_H}" '
            f'width="{x(frozen_until) - LABEL_W:.1f}" height="{height - AXIS_H}" '
            'fill="#9aa3b5" fill-opacity=".25"><title>frozen</title></rect>'
        )
    for i, machine in enumerate(machines):
        y = AXIS_H + i * LANE_H
        out.append(
            f'<text x="4" y="{y + 17}" font-size="12">{escape(machine)}</text>'
            f'<line x1="0" x2="{width}" y1="{y + LANE_H}" y2="{y + LANE_H}" '
            'stroke="#d9dee7"/>'
        )
    for tick in _ticks(win):
        tx = x(tick)
        # the label of a tick at the right edge ends there instead of running off the chart
        at_end = tx > width - 80
        anchor = f'x="{tx - 2:.1f}" text-anchor="end"' if at_end else f'x="{tx + 2:.1f}"'
        out.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{AXIS_H - 4}" y2="{height}" '
            f'stroke="#eef0f4"/><text {anchor} y="14" font-size="10" '
            f'fill="#5b6475">{tick:%m-%d %H:%M}</text>'
        )
    for bar in bars:
        if bar.end <= win.start or bar.start >= win.end or bar.machine not in lane:
            continue
        out.append(
            _bar(bar, x, AXIS_H + lane[bar.machine] * LANE_H, interactive, win.start.tzinfo)
        )
    if now is not None and win.start <= now <= win.end:
        out.append(
            f'<line class="now" x1="{x(now):.1f}" x2="{x(now):.1f}" y1="{AXIS_H - 6}" '
            f'y2="{height}" stroke="#c0392b" stroke-width="2"><title>now</title></line>'
        )
    out.append("</svg>")
    return "".join(out)


# A label's characters at font-size 10 are about 6 units wide; a bar narrower than its label
# shows none (its title is the tooltip).
CHAR_W = 6.0


def bar_label(bar: Bar, width: float) -> str:
    """"order/operation" where the bar is wide enough, else the order alone, else nothing."""
    for text in (f"{bar.order}/{bar.operation}", bar.order):
        if len(text) * CHAR_W + 6 <= width:
            return text
    return ""


def _bar(bar: Bar, x: object, y: int, interactive: str, zone: tzinfo | None) -> str:
    x0, x1 = x(bar.start), x(bar.end)  # type: ignore[operator]
    start, end = bar.start.astimezone(zone), bar.end.astimezone(zone)
    title = f"{bar.order} · {bar.operation} · {start:%H:%M}–{end:%H:%M} {_zone_name(zone)}"
    if bar.fixed:
        title += " · fixed"
    stroke = ' stroke="#1d2330" stroke-width="1.5"' if bar.fixed else ""
    rect = (
        f"<title>{escape(title)}</title>"
        f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(1.5, x1 - x0):.1f}" '
        f'height="{LANE_H - 6}" rx="2" fill="{colour(bar.order)}"{stroke}/>'
    )
    if bar.setup_minutes:
        setup_end = x(min(bar.end, bar.start + timedelta(minutes=bar.setup_minutes)))  # type: ignore[operator]
        rect += (
            f'<rect class="setup" x="{x0:.1f}" y="{y + 3}" width="{max(1.0, setup_end - x0):.1f}" '
            f'height="{LANE_H - 6}" fill="#1d2330" fill-opacity=".35"/>'
        )
    label = bar_label(bar, x1 - x0)
    if label:
        rect += (
            f'<text class="bar-label" x="{x0 + 3:.1f}" y="{y + 17}" font-size="10" '
            f'fill="#fff" pointer-events="none">{escape(label)}</text>'
        )
    if not interactive:
        return f"<g>{rect}</g>"
    return (
        f'<g class="op" data-order="{escape(bar.order)}" tabindex="0" role="button" '
        # Enter and Space click the bar in c2m/static/js/gantt.js: an htmx trigger filter
        # (keyup[key=='Enter']) is evaluated with Function(), which the CSP forbids.
        f'hx-get="{escape(interactive)}{bar.id}" hx-trigger="click">'
        f"{rect}</g>"
    )


def _zone_name(zone: tzinfo | None) -> str:
    """"Asia/Shanghai" for a zoneinfo zone, "UTC" for the UTC of stored times."""
    return str(getattr(zone, "key", None) or zone or "UTC")


def zone_name(win: Window) -> str:
    return _zone_name(win.start.tzinfo)
