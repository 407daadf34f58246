"""Kitchen cabinet run: the front elevation of each base cabinet in order (tall oven housing,
400s, the sink, the dishwasher slot, 600s, 800s with the hob), stretched to the stated run
length, under the worktop in its material; wall cabinets around the range hood; and for an
L-shape the return unfolded beside the run (a dashed fold line at the corner), starting with
the corner carousel.
"""

from __future__ import annotations

from c2m.previews.canvas import Frame, box, document, element, fit, outline, stretch
from c2m.previews.reader import Reader, title_of

KIND = "kitchen"
NEEDS = frozenset({"layout", "base_400", "base_600", "base_800", "sink_cabinet", "run_length",
                   "return_length", "base_height"})
WORKTOPS = {"hpl_particleboard": "#d9d4cc", "quartz": "#ecebe6", "sintered_stone": "#cfd0d2",
            "stainless_304": "#b8bcc0", "oak": "#c49a62"}
HANDLES = {"bar_black": "#1b1c1e", "bar_brass": "#b8913a"}
PLINTH_MM, WALL_BOTTOM_MM, WALL_MM, TALL_MM = 100, 1450, 720, 2100
HOOD_MM, CORNER_MM, FOLD_MM, WALL_UNIT_MM = 900, 900, 300, 600
DARK, STEEL = "#2b2e33", "#b8bcc0"

Cabinet = tuple[str, float, float]  # kind, left edge and width in mm


def cabinets(reader: Reader) -> list[Cabinet]:
    """The main run from left to right, as the model sums it into `run_length`."""
    nominal: list[tuple[str, int]] = [("tall", 600)] if reader.flag("tall_oven_unit") else []
    nominal += [("base", 400)] * reader.number("base_400")
    nominal.append(("sink", reader.attribute("sink_cabinet", "width_mm", 800)))
    nominal += [("dishwasher", 600)] if reader.flag("dishwasher") else []
    nominal += [("base", 600)] * reader.number("base_600")
    eights = reader.number("base_800")
    nominal += [("hob", 800)] + [("base", 800)] * (eights - 1) if eights else []
    widths = stretch([width for _, width in nominal], reader.number("run_length"))
    lefts = [sum(widths[:i]) for i in range(len(widths))]
    return [(kind, x, w) for (kind, _), x, w in zip(nominal, lefts, widths, strict=True)]


def draw(reader: Reader, title: str) -> str:
    run = cabinets(reader)
    length = run[-1][1] + run[-1][2]
    l_shape = reader.attribute("layout", "corner_units") == 1
    return_mm = reader.number("return_length") if l_shape else 0
    worktop_h = reader.number("base_height", 850)
    thick = reader.attribute("worktop", "thickness_mm", 20)
    walls = reader.number("wall_cabinets")
    hood = reader.code("range_hood", "none") != "none"
    tall = any(kind == "tall" for kind, _, _ in run)
    # Room up to the wall cabinets' top even when there are none: one scale for every run.
    high = max(worktop_h, TALL_MM if tall else 0, WALL_BOTTOM_MM + WALL_MM)
    frame = fit(length + (FOLD_MM + return_mm if return_mm else 0), high)
    front = reader.hex("front_colour", "#f5f5f2")
    top = WORKTOPS.get(reader.text_attribute("worktop", "material"), "#e0ddd6")
    body_h = worktop_h - thick - PLINTH_MM
    out = [box(frame, 0, 0, length, PLINTH_MM, DARK, "plinth", fill_opacity=".6")]
    for kind, x, w in run:
        out += _cabinet(reader, frame, kind, x, w, body_h, front)
    start = next((x for kind, x, _ in run if kind != "tall"), length)
    out.append(box(frame, start, worktop_h - thick, length - start, thick, top, "worktop"))
    hob = next(((x, w) for kind, x, w in run if kind == "hob"), (run[-1][1], run[-1][2]))
    hood_x = hob[0] + hob[1] / 2 - HOOD_MM / 2
    if hood:
        out += _hood(frame, reader.code("range_hood"), hood_x)
    blocked = [(hood_x, hood_x + HOOD_MM)] if hood else []
    blocked += [(x, x + w) for kind, x, w in run if kind == "tall"]
    out += _wall_cabinets(reader, frame, walls, length, blocked, front)
    if return_mm:
        out += _return(reader, frame, length + FOLD_MM, return_mm, body_h, front, top, high)
    caption = f"{int(length)} × {worktop_h} mm" + (f" + {return_mm} mm" if return_mm else "")
    parts = [reader.option_label("layout"), reader.measure("run_length"),
             reader.measure("return_length") if return_mm else "",
             reader.measure("base_height"), reader.option_label("worktop")]
    return document(KIND, title_of(reader, title, parts), out, caption)


def _cabinet(reader: Reader, frame: Frame, kind: str, x: float, w: float, body_h: float,
             front: str) -> list[str]:
    height = TALL_MM - PLINTH_MM if kind == "tall" else body_h
    out = [box(frame, x, PLINTH_MM, w, height, front, f"cabinet cabinet-{kind}")]
    if kind == "tall":
        out.append(box(frame, x + 60, 950, w - 120, 480, DARK, "oven", rx="4"))
    elif kind == "hob":
        out += [box(frame, x + 10, PLINTH_MM + i * body_h / 3 + 8, w - 20, body_h / 3 - 16,
                    front, "drawer") for i in range(3)]
    elif kind == "sink":  # its tap, standing on the worktop
        c, t = x + w / 2, PLINTH_MM + body_h + 40
        tap = [(c - 20, t), (c - 20, t + 300), (c + 140, t + 300), (c + 140, t + 250),
               (c + 20, t + 250), (c + 20, t)]
        out.append(outline(frame, tap, STEEL, "tap"))
    fronts = 3 if kind == "hob" else 2 if kind in ("sink", "base") and w > 650 else 1
    for i in range(fronts):
        if kind == "hob":  # drawers, each gripped at its top
            out += _grip(reader, frame, x, w, PLINTH_MM + (i + 1) * body_h / 3)
        else:
            out += _grip(reader, frame, x + w * i / fronts, w / fronts, PLINTH_MM + height)
    return out


def _grip(reader: Reader, frame: Frame, x: float, w: float, top: float) -> list[str]:
    kind = reader.code("handle", "push_open")
    if kind == "gola":
        return [box(frame, x + 4, top - 40, w - 8, 25, DARK, "handle handle-gola",
                    stroke="none", fill_opacity=".7")]
    if kind in HANDLES:
        return [box(frame, x + w / 2 - 80, top - 70, 160, 18, HANDLES[kind], "handle handle-bar",
                    rx="4")]
    return []


def _hood(frame: Frame, kind: str, x: float) -> list[str]:
    """A side-draft hood is a slanted glass panel; a chimney hood a canopy under its flue."""
    if kind == "side_draft":
        return [outline(frame, [(x, 1550), (x + HOOD_MM, 1550), (x + HOOD_MM, 2150), (x, 2150)],
                        "#30343b", "hood")]
    return [outline(frame, [(x, 1600), (x + HOOD_MM, 1600), (x + 600, 1750), (x + 600, 2170),
                            (x + 300, 2170), (x + 300, 1750)], STEEL, "hood")]


def _wall_cabinets(reader: Reader, frame: Frame, count: int, length: float,
                   blocked: list[tuple[float, float]], front: str) -> list[str]:
    """600 mm wall cabinets from the left, stepping over the hood and the tall housing."""
    out, x = [], 0.0
    led = reader.flag("under_cabinet_led")
    while count and x + WALL_UNIT_MM <= length + 1:
        clash = next((end for start, end in blocked if x < end and start < x + WALL_UNIT_MM),
                     None)
        if clash is not None:
            x = clash
            continue
        out.append(box(frame, x, WALL_BOTTOM_MM, WALL_UNIT_MM, WALL_MM, front, "wall-cabinet"))
        if led:
            out.append(box(frame, x + 20, WALL_BOTTOM_MM - 12, WALL_UNIT_MM - 40, 12, "#ffd966",
                           "led", stroke="none"))
        x, count = x + WALL_UNIT_MM, count - 1
    return out


def _return(reader: Reader, frame: Frame, start: float, length: int, body_h: float,
            front: str, top: str, high: int) -> list[str]:
    """The L return, unfolded: the corner carousel, then its cabinets up to the stated length."""
    thick = reader.attribute("worktop", "thickness_mm", 20)
    out = [element("line", "fold", stroke="#5b6475", x1=frame.x(start - FOLD_MM / 2),
                   x2=frame.x(start - FOLD_MM / 2), y1=frame.y(0), y2=frame.y(high),
                   stroke_dasharray="6 5"),
           box(frame, start, 0, length, PLINTH_MM, DARK, "plinth", fill_opacity=".6"),
           box(frame, start, PLINTH_MM, CORNER_MM, body_h, front, "corner")]
    rest = max(length - CORNER_MM, 0)
    units = max(1, round(rest / 600))
    for i in range(units if rest else 0):
        x = start + CORNER_MM + i * rest / units
        out.append(box(frame, x, PLINTH_MM, rest / units, body_h, front, "return-cabinet"))
        out += _grip(reader, frame, x, rest / units, PLINTH_MM + body_h)
    out.append(box(frame, start, PLINTH_MM + body_h, length, thick, top, "worktop"))
    return out
