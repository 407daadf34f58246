"""Modular sofa: a plan from above (seats, the chaise or corner return on its side, arms) over
a front elevation at the same scale (seats, arms, legs), in the chosen colour.

Third-angle views: the plan's front edge faces the elevation below it, so the plan's left is
the customer's left as they face the sofa, the side a "chaise left" layout names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from c2m.previews.canvas import Frame, box, document, fit, rect, stretch
from c2m.previews.reader import Reader, title_of

KIND = "sofa"
NEEDS = frozenset({"layout", "seats_800", "seats_1000", "return_seats", "arms", "total_width",
                   "return_length", "seat_depth", "colour", "legs"})
BACK_MM = 220  # depth of the back cushions seen from above
CHAISE_MM = 1600  # how far a chaise reaches forward from the back
SEAT_MM, ARM_MM, BACK_H_MM = 300, 480, 650  # heights above the legs
GAP_MM = 350  # between the plan and the elevation
LEG_MM = 45
PlanRect = Callable[..., str]
SHADE = "#000000"
LEG_COLOURS = {"oak": "#b98a57", "walnut": "#5a3b28", "black_steel": "#222326",
               "brass_steel": "#b8913a", "hidden_plastic": "#3a3a3a"}


@dataclass(frozen=True)
class Module:
    kind: str  # arm, seat, chaise or corner
    x: float
    width: float


def side_of(reader: Reader) -> str:
    code = reader.code("layout")
    return "left" if code.endswith("left") else "right"


def main_run(reader: Reader) -> list[Module]:
    """The main run from left to right, stretched to the stated total width."""
    end = ("corner" if reader.attribute("layout", "corner") == 1
           else "chaise" if reader.attribute("layout", "chaise") == 1 else "")
    arm, end_w = reader.attribute("arms", "width_mm"), reader.attribute("layout", "end_width")
    seats = [("seat", 1000)] * reader.number("seats_1000") + [("seat", 800)] * reader.number(
        "seats_800")
    left = (end, end_w) if end and side_of(reader) == "left" else ("arm", arm)
    right = (end, end_w) if end and side_of(reader) == "right" else ("arm", arm)
    nominal = [piece for piece in (left, *seats, right) if piece[1] > 0]
    widths = stretch([w for _, w in nominal], reader.number("total_width"))
    modules, x = [], 0.0
    for (kind, _), width in zip(nominal, widths, strict=True):
        modules.append(Module(kind, x, width))
        x += width
    return modules


def draw(reader: Reader, title: str) -> str:
    colour = reader.hex("colour")
    modules = main_run(reader)
    width = modules[-1].x + modules[-1].width if modules else 1.0
    depth = reader.number("seat_depth", 950)
    corner = any(m.kind == "corner" for m in modules)
    return_mm = reader.number("return_length") if corner else 0
    reach = max(depth, CHAISE_MM if any(m.kind == "chaise" for m in modules) else 0, return_mm)
    legs = reader.attribute("legs", "height_mm")
    elevation_h = legs + BACK_H_MM
    frame = fit(width, reach + GAP_MM + elevation_h)
    plan_top = elevation_h + GAP_MM + reach

    def plan(x: float, d: float, w: float, dd: float, fill: str, cls: str, **extra: str) -> str:
        """A rectangle of the plan: x from the left, d from the back, both in mm."""
        return rect(frame.x(x), frame.y(plan_top - d), frame.len(w), frame.len(dd), fill, cls,
                    **extra)

    shade = {"fill_opacity": ".18", "stroke": "none"}
    out: list[str] = []
    for m in modules:
        reach_m = {"chaise": CHAISE_MM, "corner": m.width}.get(m.kind, depth)
        cls = {"seat": "seat"}.get(m.kind, m.kind)
        out.append(plan(m.x, 0, m.width, reach_m, colour, cls, rx="3"))
        if m.kind != "arm":
            out.append(plan(m.x, 0, m.width, BACK_MM, SHADE, "back", **shade))
    if corner:
        out += _return_run(reader, modules, return_mm, plan, colour, shade)
    out += _elevation(frame, modules, legs, colour, reader.code("legs"))
    caption = f"{reader.number('total_width')} × {depth} mm"
    caption += f" + {return_mm} mm" if corner else ""
    parts = [reader.option_label("layout"), reader.measure("total_width"),
             reader.measure("seat_depth"), reader.measure("return_length") if corner else ""]
    return document(KIND, title_of(reader, title, parts), out, caption)


def _return_run(reader: Reader, modules: list[Module], return_mm: int, plan: PlanRect,
                colour: str, shade: dict[str, str]) -> list[str]:
    """The corner's return: seats coming forward from the corner module, an arm at its end."""
    corner = next(m for m in modules if m.kind == "corner")
    arm = reader.attribute("arms", "width_mm")
    nominal = [800] * reader.number("return_seats") + ([arm] if arm else [])
    lengths = stretch(nominal, max(return_mm - int(corner.width), 0))
    outer = corner.x if side_of(reader) == "left" else corner.x + corner.width - BACK_MM
    out, d = [], corner.width
    for index, length in enumerate(lengths):
        is_arm = bool(arm) and index == len(lengths) - 1
        out.append(plan(corner.x, d, corner.width, length, colour,
                        "arm" if is_arm else "return-seat", rx="3"))
        if not is_arm:
            out.append(plan(outer, d, BACK_MM, length, SHADE, "back", **shade))
        d += length
    out.append(plan(outer, 0, BACK_MM, corner.width, SHADE, "back", **shade))
    return out


def _elevation(frame: Frame, modules: list[Module], legs: int, colour: str,
               leg_code: str) -> list[str]:
    """Seen from the front: backs, seats and arms on their legs; a corner shows the end of its
    return (an arm facing the viewer), a chaise its low front."""
    def part(m: Module, height: float, cls: str) -> str:
        return box(frame, m.x, legs, m.width, height, colour, cls, rx="4", stroke_opacity=".7")

    out: list[str] = []
    for m in modules:
        if m.kind in ("seat", "chaise"):
            back = BACK_H_MM if m.kind == "seat" else SEAT_MM + 120
            out.append(part(m, back, "back-front"))
            out.append(part(m, SEAT_MM, f"{m.kind}-front"))
        elif m.kind == "corner":
            out.append(part(m, BACK_H_MM, "back-front"))
            out.append(part(m, ARM_MM, "return-end"))
        else:
            out.append(part(m, ARM_MM, "arm-front"))
    width = modules[-1].x + modules[-1].width if modules else 0.0
    # A leg at each end and under each joint between two seated modules (an arm rests on
    # the end legs).
    joints = [b.x - LEG_MM / 2 for a, b in zip(modules, modules[1:], strict=False)
              if "arm" not in (a.kind, b.kind)]
    spots = [60.0, *joints, width - 60.0 - LEG_MM]
    paint = LEG_COLOURS.get(leg_code, "#6b4f32")
    for x in spots:
        out.append(rect(frame.x(x), frame.y(legs), frame.len(LEG_MM), frame.len(legs), paint,
                        "leg", stroke="none"))
    return out

