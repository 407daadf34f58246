"""Washing machine, drawn in oblique projection so the depth shows: a front loader with its
porthole door sized by the drum's capacity and a control strip across the front, or a top
loader with its lid (sized the same way) and control console on top; the cabinet colour,
the controls chosen and a drawer pedestal underneath when there is one.
"""

from __future__ import annotations

from c2m.previews.canvas import Frame, box, document, element, fit, polygon
from c2m.previews.reader import Reader, title_of

KIND = "washer"
NEEDS = frozenset({"type", "capacity_kg", "depth_mm", "colour"})
OBLIQUE = 0.35  # depth is drawn receding at 45°, shortened to this fraction
PANEL_MM, KICK_MM = 130, 60
CHROME, GLASS, DARK = "#d0d4d8", "#2f3a48", "#3a3f4a"


def door_mm(capacity_kg: int, room_mm: float) -> float:
    """A bigger drum has a bigger opening: about 22 mm of diameter per kilogram."""
    return min(300 + 22 * capacity_kg, room_mm)


def draw(reader: Reader, title: str) -> str:
    width = reader.attribute("type", "width_mm", 595)
    height = reader.attribute("type", "height_mm", 850)
    depth, capacity = reader.number("depth_mm", 560), reader.number("capacity_kg", 8)
    pedestal = reader.number("pedestal_height")
    front_loader = reader.text_attribute("type", "drum_axis", "horizontal") == "horizontal"
    colour = reader.hex("colour", "#f5f5f5")
    lean = depth * OBLIQUE
    frame = fit(width + lean, pedestal + height + lean)
    top = pedestal + height

    def at(x: float, y: float) -> tuple[float, float]:
        return frame.x(x), frame.y(y)

    out = []
    if pedestal:
        out.append(box(frame, 0, 0, width, pedestal, colour, "pedestal"))
        out.append(box(frame, width * 0.3, pedestal * 0.55, width * 0.4, 18, DARK, "handle"))
    out.append(box(frame, 0, pedestal, width, height, colour, "cabinet", rx="4"))
    out.append(polygon([at(width, pedestal), at(width + lean, pedestal + lean),
                        at(width + lean, top + lean), at(width, top)], colour, "side",
                       fill_opacity=".8"))
    out.append(polygon([at(0, top), at(width, top), at(width + lean, top + lean),
                        at(lean, top + lean)], colour, "top"))
    out.append(box(frame, 0, pedestal, width, KICK_MM, DARK, "kick", fill_opacity=".25"))
    if front_loader:
        out += _front_loader(reader, frame, width, height, pedestal, capacity)
    else:
        out += _top_loader(reader, frame, width, top, lean, capacity)
    dry = reader.number("dry_capacity_kg")
    caption = f"{width} × {pedestal + height} × {depth} mm · {capacity} kg"
    caption += f" / {dry} kg" if dry else ""
    parts = [reader.option_label("type"), reader.measure("capacity_kg"),
             reader.measure("dry_capacity_kg") if dry else "", reader.measure("depth_mm"),
             reader.option_label("colour")]
    return document(KIND, title_of(reader, title, parts), out, caption)


def _controls(reader: Reader, frame: Frame, x: float, y: float) -> list[str]:
    """A knob beside an LED read-out, or a touch display (with a Wi-Fi mark for the app)."""
    control = reader.code("control", "touch_lcd")
    if control == "knob_led":
        return [element("circle", "knob", fill=CHROME, cx=frame.x(x + 60), cy=frame.y(y),
                        r=frame.len(38)),
                box(frame, x - 110, y - 15, 90, 30, "#7fd67a", "display")]
    out = [box(frame, x - 80, y - 30, 180, 60, "#1f2731", "display", rx="3")]
    if control == "wifi_app":
        out.append(element("circle", "wifi", fill="#4aa3ff", stroke="none",
                           cx=frame.x(x + 130), cy=frame.y(y), r=frame.len(12)))
    return out


def _front_loader(reader: Reader, frame: Frame, width: int, height: int, pedestal: int,
                  capacity: int) -> list[str]:
    strip_y = pedestal + height - PANEL_MM
    out = [box(frame, 0, strip_y, width, PANEL_MM, "#ffffff", "panel", fill_opacity=".35"),
           box(frame, 30, strip_y + 30, 170, 70, "#ffffff", "drawer", fill_opacity=".5")]
    out += _controls(reader, frame, width * 0.62, strip_y + PANEL_MM / 2)
    room = strip_y - pedestal - KICK_MM
    diameter = door_mm(capacity, min(width * 0.86, room * 0.92))
    cx, cy = frame.x(width / 2), frame.y(pedestal + KICK_MM + room / 2)
    out.append(element("circle", "door", fill=CHROME, cx=cx, cy=cy,
                       r=frame.len(diameter / 2), stroke_width="1.5"))
    out.append(element("circle", "glass", fill=GLASS, cx=cx, cy=cy,
                       r=frame.len(diameter * 0.36), fill_opacity=".85"))
    return out


def _top_loader(reader: Reader, frame: Frame, width: int, top: int, lean: float,
                capacity: int) -> list[str]:
    """The lid is a circle on the top face; in this projection, an ellipse."""

    def at(x: float, d: float) -> tuple[float, float]:
        """A point on the top face, d mm back from the front edge."""
        return frame.x(x + d * OBLIQUE), frame.y(top + d * OBLIQUE)

    depth = lean / OBLIQUE
    console = [at(0, depth * 0.78), at(width, depth * 0.78), at(width, depth), at(0, depth)]
    out = [polygon(console, "#ffffff", "panel", fill_opacity=".45")]
    diameter = door_mm(capacity, min(width * 0.8, depth * 0.7))
    cx, cy = at(width / 2, depth * 0.38)
    out.append(element("ellipse", "lid", fill=GLASS, cx=cx, cy=cy, rx=frame.len(diameter / 2),
                       ry=frame.len(diameter / 2 * OBLIQUE * 1.4), fill_opacity=".8"))
    out.append(box(frame, width * 0.4, top - 50, width * 0.2, 25, "#3a3f4a", "lid-grip"))
    x, y = at(width * 0.6, depth * 0.89)
    out += _controls(reader, frame, (x - frame.left) / frame.scale,
                     (frame.ground - y) / frame.scale)
    return out
