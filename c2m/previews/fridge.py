"""Refrigerator: the front with the doors and drawers of its door layout, the handles of the
chosen kind on the side opposite the hinges, the panel colour (glass with a sheen), and a
side view at the same scale showing the depth and how far the handles stand out.
"""

from __future__ import annotations

from dataclasses import dataclass

from c2m.previews.canvas import Frame, box, document, fit, sheen
from c2m.previews.reader import Reader, title_of

KIND = "fridge"
NEEDS = frozenset({"door_style", "width_mm", "height_mm", "depth_mm", "panel", "handle"})
PANEL_COLOURS = {"white": "#f3f4f5", "silver": "#c5c9cd", "stainless": "#b4b9bd",
                 "black": "#232528", "champagne": "#d8c39b"}
# (class, colour, stands out): a recess is a dark groove in the door, a bar a handle on it.
HANDLES = {"recessed": ("handle handle-recessed", "#3a3f4a", False),
           "bar_stainless": ("handle handle-bar", "#d4d8dc", True),
           "bar_black": ("handle handle-bar", "#17181a", True)}
GAP_MM, PLINTH_MM, GRIP_MM = 260, 50, 28


@dataclass(frozen=True)
class Door:
    """A door or drawer as fractions of the front (x, y from the top left), and where it is
    gripped: along its left or right edge, or along its top (drawers)."""

    x: float
    y: float
    w: float
    h: float
    grip: str


def doors(style: str, hinge: str) -> list[Door]:
    free = "left" if hinge == "right" else "right"
    if style == "two_door":
        return [Door(0, 0, 1, 0.62, free), Door(0, 0.62, 1, 0.38, free)]
    if style == "three_door":
        return [Door(0, 0, 1, 0.55, free), Door(0, 0.55, 1, 0.17, "top"),
                Door(0, 0.72, 1, 0.28, "top")]
    if style == "side_by_side":
        return [Door(0, 0, 0.45, 1, "right"), Door(0.45, 0, 0.55, 1, "left")]
    if style == "cross_door":
        return [Door(0, 0, 0.5, 0.55, "right"), Door(0.5, 0, 0.5, 0.55, "left"),
                Door(0, 0.55, 0.5, 0.45, "right"), Door(0.5, 0.55, 0.5, 0.45, "left")]
    # French doors: two doors meeting in the middle over two freezer drawers.
    return [Door(0, 0, 0.5, 0.6, "right"), Door(0.5, 0, 0.5, 0.6, "left"),
            Door(0, 0.6, 1, 0.2, "top"), Door(0, 0.8, 1, 0.2, "top")]


def draw(reader: Reader, title: str) -> str:
    width, height = reader.number("width_mm", 700), reader.number("height_mm", 1800)
    depth = reader.number("depth_mm", 640)
    projection = reader.attribute("handle", "projection_mm")
    colour = PANEL_COLOURS.get(reader.text_attribute("panel", "colour"), "#c5c9cd")
    glass = reader.text_attribute("panel", "material") == "tempered_glass"
    handle = HANDLES.get(reader.code("handle"), HANDLES["recessed"])
    frame = fit(width + GAP_MM + projection + depth, height)
    body = height - PLINTH_MM
    out = [box(frame, 0, 0, width, PLINTH_MM, "#3a3f4a", "plinth")]
    layout = doors(reader.code("door_style", "french_door"), reader.code("door_hinge", "right"))
    for door in layout:
        x, w = door.x * width, door.w * width
        bottom, h = PLINTH_MM + body * (1 - door.y - door.h), body * door.h
        out.append(box(frame, x, bottom, w, h, colour, "door", rx="3"))
        if glass:
            out.append(sheen(frame, x, bottom, w, h))
        out.append(_handle(frame, door, x, bottom, w, h, handle))
    if reader.code("ice_maker") == "dispenser":
        first = layout[0]
        out.append(box(frame, first.w * width / 2 - 110, PLINTH_MM + body * 0.55, 220, 320,
                       "#2b2e33", "dispenser", rx="4"))
    side = width + GAP_MM + projection
    out.append(box(frame, side, 0, depth, height, colour, "side", rx="3"))
    if handle[2]:
        for door in layout:
            mid = PLINTH_MM + body * (1 - door.y - door.h / 2)
            out.append(box(frame, side - projection, mid - 150, projection, 300, handle[1],
                           "handle-side"))
    caption = f"{width} × {height} × {depth} mm"
    capacity = reader.number("capacity_l")
    caption += f" · {capacity} l" if capacity else ""
    parts = [reader.option_label("door_style"), reader.option_label("handle"),
             reader.option_label("panel"), reader.measure("width_mm"),
             reader.measure("height_mm"), reader.measure("depth_mm"),
             reader.measure("capacity_l")]
    return document(KIND, title_of(reader, title, parts), out, caption)


def _handle(frame: Frame, door: Door, x: float, bottom: float, w: float, h: float,
            handle: tuple[str, str, bool]) -> str:
    cls, colour, bar = handle
    thick = GRIP_MM if bar else GRIP_MM / 2
    extra = {} if bar else {"stroke": "none", "fill_opacity": ".55"}
    if door.grip == "top":
        length = w * (0.6 if bar else 0.45)
        return box(frame, x + (w - length) / 2, bottom + h - 40 - thick, length, thick, colour,
                   cls, rx="3", **extra)
    length = min(h * (0.55 if bar else 0.3), 900)
    edge = x + 35 if door.grip == "left" else x + w - 35 - thick
    # Upper doors are gripped low, lower doors high: where a hand reaches either.
    start = bottom + (h * 0.25 if door.y < 0.5 else h - length - 60)
    return box(frame, edge, start, thick, length, colour, cls, rx="3", **extra)

