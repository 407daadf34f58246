"""Height-adjustable desk: a front elevation (the lifting columns with their stages in the
frame colour, the top at its lowest height and, dashed, at its highest) beside a plan of the
top (rectangle, curved front or L with the return on its side, grommets) in its colour.
"""

from __future__ import annotations

from c2m.previews.canvas import (
    INK,
    NONE,
    Frame,
    box,
    document,
    element,
    fit,
    polygon,
    rect,
)
from c2m.previews.reader import Reader, title_of

KIND = "desk"
NEEDS = frozenset({"frame", "frame_colour", "shape", "top_width", "top_depth", "return_width",
                   "top_material", "top_colour"})
FRAME_COLOURS = {"black": "#23252a", "white": "#e9ebea", "grey": "#a7abaf"}
GAP_MM = 400
COLUMN_MM, FOOT_MM, INSET_MM = 80, 40, 90
CASTOR_MM = 60
GROMMET_MM = 70


def draw(reader: Reader, title: str) -> str:
    width, depth = reader.number("top_width", 1400), reader.number("top_depth", 700)
    l_shape = reader.attribute("shape", "returns") == 1
    return_w = reader.number("return_width") if l_shape else 0
    low = reader.attribute("frame", "min_height_mm", 700)
    high = max(reader.attribute("frame", "max_height_mm", 1200), low)
    thick = reader.attribute("top_material", "thickness_mm", 25)
    castors = CASTOR_MM if reader.flag("castors") else 0
    top_colour = reader.hex("top_colour")
    frame = fit(2 * width + GAP_MM, max(high + castors, depth, return_w))
    out = _elevation(reader, frame, width, low + castors, high + castors, thick, top_colour)
    plan_top = frame.y(max(high + castors, depth, return_w))
    out += _plan(reader, frame.x(width + GAP_MM), plan_top, frame.scale, width, depth, return_w,
                 top_colour)
    caption = f"{width} × {depth} mm" + (f" + {return_w} mm" if l_shape else "")
    caption += f" · {low}–{high} mm"
    parts = [reader.option_label("shape"), reader.measure("top_width"),
             reader.measure("top_depth"), reader.measure("return_width") if l_shape else "",
             reader.option_label("frame")]
    return document(KIND, title_of(reader, title, parts), out, caption)


def _elevation(reader: Reader, frame: Frame, width: int, low: int, high: int, thick: int,
               top_colour: str) -> list[str]:
    metal = FRAME_COLOURS.get(reader.code("frame_colour"), "#55595f")
    stages = max(1, reader.attribute("frame", "stages", 2))
    castors = CASTOR_MM if reader.flag("castors") else 0
    column_h = low - thick - castors - FOOT_MM
    out: list[str] = []
    for x in (INSET_MM, width - INSET_MM - COLUMN_MM):
        out.append(box(frame, x - 40, castors, COLUMN_MM + 80, FOOT_MM, metal, "foot"))
        step = column_h / stages
        for stage in range(stages):
            inset = 8 * stage
            out.append(box(frame, x + inset, castors + FOOT_MM + stage * step,
                           COLUMN_MM - 2 * inset, step, metal, "stage"))
        if castors:
            for cx in (x - 25, x + COLUMN_MM + 25):
                out.append(element("circle", "castor", fill="#2b2b2b", cx=frame.x(cx),
                                   cy=frame.y(castors / 2), r=frame.len(castors / 2)))
    out.append(box(frame, INSET_MM, low - thick - 60, width - 2 * INSET_MM, 60, metal, "beam"))
    if reader.flag("keyboard_tray"):
        out.append(box(frame, width * 0.3, low - thick - 90, width * 0.4, 25, "#3a3f4a",
                       "keyboard-tray"))
    out.append(box(frame, 0, low - thick, width, thick, top_colour, "top", rx="2"))
    out.append(box(frame, 0, high - thick, width, thick, NONE, "top-raised",
                   stroke_dasharray="5 4", stroke_opacity=".6"))
    return out


def _plan(reader: Reader, left: float, top: float, scale: float, width: int, depth: int,
          return_w: int, colour: str) -> list[str]:
    """The top seen from above, its back edge at the top of the drawing."""

    def at(x_mm: float, d_mm: float) -> tuple[float, float]:
        return left + x_mm * scale, top + d_mm * scale

    shape = reader.code("shape", "rectangle")
    w, d, r = width, depth, return_w
    if shape == "l_left":
        out = [polygon([at(0, 0), at(w, 0), at(w, d), at(d, d), at(d, r), at(0, r)], colour,
                       "top-plan")]
    elif shape == "l_right":
        out = [polygon([at(0, 0), at(w, 0), at(w, r), at(w - d, r), at(w - d, d), at(0, d)],
                       colour, "top-plan")]
    elif shape == "curved":
        (x0, y0), (x1, _), (_, y1) = at(0, 0), at(w, 0), at(0, d)
        mid_x, mid_y = at(w / 2, d - 2 * min(120, d / 5))
        # The ergonomic front: a concave curve from corner to corner, deepest in the middle.
        path = (f"M{x0:.1f},{y0:.1f} H{x1:.1f} V{y1:.1f} "
                f"Q{mid_x:.1f},{mid_y:.1f} {x0:.1f},{y1:.1f} Z")
        out = [element("path", "top-plan", fill=colour, d=path)]
    else:
        out = [rect(*at(0, 0), w * scale, d * scale, colour, "top-plan", rx="2")]
    count = reader.number("grommets")
    for index in range(count):
        cx, cy = at(w * (index + 1) / (count + 1), 90)
        out.append(element("circle", "grommet", fill="#3a3f4a", stroke=INK, cx=cx, cy=cy,
                           r=GROMMET_MM * scale / 2))
    if reader.code("power_outlet", "none") != "none":
        out.append(rect(*at(w - 260, 50), 160 * scale, 60 * scale, "#3a3f4a", "outlet"))
    return out
