"""Wardrobe system: the front elevation of its row of carcass sections (500, 800 and 1000 mm,
stretched to the stated width), with hinged doors (one on a narrow section, two on the
others), sliding doors on a track, or an open front showing rails, shelves and drawers; the
handles chosen, the front and carcass colours, and top cabinets when ordered.
"""

from __future__ import annotations

from c2m.previews.canvas import Frame, box, document, element, fit, sheen
from c2m.previews.reader import Reader, title_of

KIND = "wardrobe"
NEEDS = frozenset({"sections_500", "sections_800", "sections_1000", "width", "height",
                   "door_type", "front", "carcass_colour", "handle"})
FRONT_COLOURS = {"white": "#f6f5f1", "oak": "#c8a77a", "warm_grey": "#b3aca3",
                 "white_gloss": "#fbfbfb", "silver": "#d7dde2", "tea": "#7a5a3c"}
TOP_CABINET_MM, PLINTH_MM, BOARD_MM = 400, 60, 18
DARK, BRASS = "#2b2e33", "#b8913a"

Section = tuple[float, float, int]  # left edge, width (mm), nominal width


def sections(reader: Reader) -> list[Section]:
    nominal = ([1000] * reader.number("sections_1000") + [800] * reader.number("sections_800")
               + [500] * reader.number("sections_500")) or [800]
    total = reader.number("width") or sum(nominal)
    scaled = [width * total / sum(nominal) for width in nominal]
    out, x = [], 0.0
    for width, size in zip(scaled, nominal, strict=True):
        out.append((x, width, size))
        x += width
    return out


def draw(reader: Reader, title: str) -> str:
    row = sections(reader)
    width = row[-1][0] + row[-1][1]
    height, depth = reader.number("height", 2400), reader.number("depth", 580)
    tops = TOP_CABINET_MM if reader.flag("top_cabinets") else 0
    frame = fit(width, height + tops)
    carcass = reader.hex("carcass_colour", "#f4f1ea")
    front = FRONT_COLOURS.get(reader.text_attribute("front", "colour"), carcass)
    glass = reader.text_attribute("front", "material").startswith("aluminium_frame")
    door_type = reader.code("door_type", "hinged")
    out = [box(frame, 0, 0, width, height + tops, carcass, "carcass"),
           box(frame, 0, 0, width, PLINTH_MM, DARK, "plinth", fill_opacity=".35")]
    for x, w, _ in row:
        out.append(box(frame, x, PLINTH_MM, w, height - PLINTH_MM, carcass, "section"))
        if tops:
            out.append(box(frame, x + 4, height + 4, w - 8, tops - 8, front, "top-cabinet"))
    doors: list[tuple[float, float, str]] = []  # left edge, width, the edge gripped
    if door_type == "sliding":
        count = max(2, len(row))
        step = width / count
        doors = [(i * step, step, "left" if i % 2 else "right") for i in range(count)]
        out.append(box(frame, 0, height - 50, width, 50, "#8d939b", "track"))
    elif door_type != "open":
        for x, w, size in row:
            # A 500 mm section takes one door; two leaves that narrow would not hang clothes.
            doors += ([(x, w, "right")] if size <= 500 else
                      [(x, w / 2, "right"), (x + w / 2, w / 2, "left")])
    for x, w, grip in doors:
        out.append(box(frame, x + 3, PLINTH_MM + 3, w - 6, height - PLINTH_MM - 56, front,
                       f"door door-{door_type}", rx="2"))
        if glass:
            out.append(sheen(frame, x, PLINTH_MM, w, height - PLINTH_MM - 56))
        out += _handle(reader, frame, x, w, grip, height)
    if door_type == "open":
        out += _interior(reader, frame, row, height)
    caption = f"{int(width)} × {height + tops} × {depth} mm"
    parts = [reader.option_label("door_type"), reader.measure("width"),
             reader.measure("height"), reader.measure("depth"),
             reader.option_label("front") if doors else ""]
    return document(KIND, title_of(reader, title, parts), out, caption)


def _handle(reader: Reader, frame: Frame, x: float, w: float, grip: str,
            height: int) -> list[str]:
    kind = reader.code("handle", "none")
    edge = x + 40 if grip == "left" else x + w - 40
    if kind == "groove":
        return [box(frame, x + 10, height - 90, w - 20, 14, DARK, "handle handle-groove",
                    stroke="none", fill_opacity=".6")]
    if kind == "aluminium_bar":
        length = reader.attribute("handle", "length_mm", 600)
        return [box(frame, edge - 12, 1000, 24, length, DARK, "handle handle-bar", rx="3")]
    if kind == "brass_knob":
        return [element("circle", "handle handle-knob", fill=BRASS, cx=frame.x(edge),
                        cy=frame.y(1100), r=frame.len(22))]
    return []


def _interior(reader: Reader, frame: Frame, row: list[Section], height: int) -> list[str]:
    """Rails, drawers and shelves dealt round the sections in turn; drawers only into the
    sections they are made for (500 and 800 mm)."""
    out: list[str] = []
    filled = {index: 0 for index in range(len(row))}
    for rail in range(reader.number("hanging_rails")):
        x, w, _ = row[rail % len(row)]
        level = 1750 if rail < len(row) else 950
        out.append(box(frame, x + 40, level, w - 80, 25, "#8d939b", "rail", rx="6"))
    small = [i for i, (_, _, size) in enumerate(row) if size <= 800] or [0]
    for drawer in range(reader.number("drawers")):
        index = small[drawer % len(small)]
        x, w, _ = row[index]
        bottom = PLINTH_MM + 10 + 190 * filled[index]
        filled[index] += 1
        out.append(box(frame, x + 20, bottom, w - 40, 180, "#ffffff", "drawer",
                       fill_opacity=".6"))
    for shelf in range(reader.number("shelves")):
        x, w, _ = row[shelf % len(row)]
        level = height - 250 - 180 * (shelf // len(row))
        out.append(box(frame, x + BOARD_MM, level, w - 2 * BOARD_MM, BOARD_MM, DARK, "shelf",
                       fill_opacity=".5"))
    return out

