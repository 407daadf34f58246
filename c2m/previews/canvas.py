"""What every product drawer draws with: a millimetre frame, and SVG elements that escape
what they write and let only hex colours into paint attributes (the picture is shown on public
pages, and a model may come from an upload rather than the loader).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

VIEW_W, VIEW_H = 640, 320
MARGIN = 20
CAPTION_H = 24
GROUND = VIEW_H - MARGIN - CAPTION_H
INK = "#1d2330"
MUTED = "#5b6475"
DEFAULT_COLOUR = "#b9bec7"
NONE = "none"
HEX_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})\Z")


def paint(colour: object, fallback: str = DEFAULT_COLOUR) -> str:
    """The colour if it is a hex colour (or "none"), else the fallback."""
    if isinstance(colour, str) and (colour == NONE or HEX_COLOUR.match(colour)):
        return colour
    return fallback


@dataclass(frozen=True)
class Frame:
    """Millimetres to view-box units at one scale: x from the drawing's left edge, y in mm
    above the ground line (SVG's y grows downwards; drawings think upwards)."""

    scale: float
    left: float
    ground: float = GROUND

    def x(self, mm: float) -> float:
        return self.left + mm * self.scale

    def y(self, mm: float) -> float:
        return self.ground - mm * self.scale

    def len(self, mm: float) -> float:
        return mm * self.scale


def fit(width_mm: float, height_mm: float) -> Frame:
    """The largest scale at which the whole drawing fits, centred, standing on the ground."""
    room_w, room_h = VIEW_W - 2 * MARGIN, GROUND - MARGIN
    scale = min(room_w / max(width_mm, 1.0), room_h / max(height_mm, 1.0))
    return Frame(scale, MARGIN + (room_w - width_mm * scale) / 2)


def _attr(key: str, value: float | str) -> str:
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return f' {key.rstrip("_").replace("_", "-")}="{escape(text)}"'


def element(
    tag: str,
    cls: str = "",
    *,
    fill: str | None = None,
    stroke: str | None = INK,
    text: str = "",
    **geometry: float | str,
) -> str:
    """One SVG element; paint passes `paint`, everything else is escaped."""
    return _element(tag, cls, fill, stroke, text, geometry)


def _element(tag: str, cls: str, fill: str | None, stroke: str | None, text: str,
             geometry: Mapping[str, float | str]) -> str:
    attrs = _attr("class", cls) if cls else ""
    attrs += "".join(_attr(key, value) for key, value in geometry.items())
    if fill is not None:
        attrs += _attr("fill", paint(fill))
    if stroke is not None:
        attrs += _attr("stroke", paint(stroke, INK))
    if text:
        return f"<{tag}{attrs}>{escape(text)}</{tag}>"
    return f"<{tag}{attrs}/>"


def rect(
    x: float, y: float, w: float, h: float, fill: str, cls: str = "", **extra: float | str
) -> str:
    """A rectangle by its top-left corner in view units (negative sizes drawn as nothing)."""
    stroke = str(extra.pop("stroke", INK))
    size = {"x": float(x), "y": float(y), "width": max(float(w), 0.0),
            "height": max(float(h), 0.0)}
    return _element("rect", cls, fill, stroke, "", {**size, **extra})


def box(frame: Frame, x_mm: float, bottom_mm: float, w_mm: float, h_mm: float, fill: str,
        cls: str = "", **extra: float | str) -> str:
    """A rectangle in millimetres: left edge, height of its bottom above the ground, size."""
    return rect(frame.x(x_mm), frame.y(bottom_mm + h_mm), frame.len(w_mm), frame.len(h_mm),
                fill, cls, **extra)


def polygon(points: Iterable[tuple[float, float]], fill: str, cls: str = "",
            **extra: float | str) -> str:
    stroke = str(extra.pop("stroke", INK))
    spec = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return _element("polygon", cls, fill, stroke, "", {"points": spec, **extra})


def label(x: float, y: float, text: str, size: int = 11, anchor: str = "start") -> str:
    return element(
        "text", "label", fill=MUTED, stroke=None, text=text, x=float(x), y=float(y),
        font_size=size, text_anchor=anchor,
    )


def document(kind: str, title: str, body: Iterable[str], caption: str) -> str:
    """The whole picture: a <title> (and the same accessible name) and a caption line."""
    name = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {VIEW_W} {VIEW_H}" '
        f'role="img" aria-label="{name}" class="preview preview-{escape(kind)}" '
        f'data-product="{escape(kind)}"><title>{name}</title>'
        + "".join(body)
        + element(
            "text", "caption", fill=MUTED, stroke=None, text=caption,
            x=float(MARGIN), y=float(VIEW_H - 8), font_size=13,
        )
        + "</svg>"
    )


def stretch(nominal: list[int], total: int) -> list[float]:
    """Module widths scaled so they fill the stated overall width (the model derives that
    width from the modules, but a drawing must never contradict the number it prints)."""
    whole = sum(nominal)
    if whole <= 0 or total <= 0:
        return [float(width) for width in nominal]
    return [width * total / whole for width in nominal]


def outline(frame: Frame, points_mm: Iterable[tuple[float, float]], fill: str, cls: str = "",
            **extra: float | str) -> str:
    """A polygon through points in millimetres (x from the left, height above the ground)."""
    return polygon([(frame.x(x), frame.y(y)) for x, y in points_mm], fill, cls, **extra)


def sheen(frame: Frame, x: float, bottom: float, w: float, h: float) -> str:
    """The highlight of a glass or mirror front: a pale diagonal band across it."""
    points = [(x + w * 0.18, bottom + h), (x + w * 0.45, bottom + h), (x + w * 0.12, bottom),
              (x, bottom)]
    return outline(frame, points, "#ffffff", "glass", fill_opacity=".2", stroke="none")
