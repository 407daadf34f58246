"""The generic box, for a model no drawer knows: drawn from its values by naming convention.

The overall width comes from a `total_width`, `width` or `run_length` feature, the height from
`height`/`base_height`, the module count from integer features named `seats_*`, `sections_*`
or `base_*` (a number of modules), a corner return from `return_length`, the colour from the
first chosen option with a `hex` attribute; handles and legs are drawn when such features are
chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from c2m.previews.canvas import DEFAULT_COLOUR, MARGIN, VIEW_H, VIEW_W, paint, rect
from c2m.previews.canvas import document as svg_document
from c2m.previews.reader import Reader
from configurator.model import FeatureType, ProductModel

WIDTH_NAMES = ("total_width", "width", "run_length")
HEIGHT_NAMES = ("height", "base_height")
MODULE_PREFIXES = ("seats_", "sections_", "base_")
DEFAULT_HEIGHT_MM = 850
NO_HANDLES = ("none", "push_to_open", "handleless")


@dataclass(frozen=True)
class Shape:
    width_mm: int
    height_mm: int
    return_mm: int
    modules: int
    colour: str
    handles: bool
    legs_mm: int
    arms_mm: int


def _first_int(values: Mapping[str, object], names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = values.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return default


def shape_of(model: ProductModel, values: Mapping[str, object]) -> Shape:
    colour, legs_mm, arms_mm, handles = DEFAULT_COLOUR, 0, 0, False
    reader = Reader(model, values)
    for feature in model.features:
        option = reader.option(feature.name) if feature.name in values else None
        if feature.type is not FeatureType.CHOICE or option is None:
            continue
        if "hex" in option.attributes and colour == DEFAULT_COLOUR:
            colour = str(option.attributes["hex"])
        if feature.name == "legs":
            legs_mm = reader.attribute("legs", "height_mm")
        if feature.name == "arms":
            arms_mm = reader.attribute("arms", "width_mm")
        if feature.name == "handle" and option.code not in NO_HANDLES:
            handles = True
    modules = sum(
        int(v)
        for k, v in values.items()
        if k.startswith(MODULE_PREFIXES)
        and isinstance(v, int)
        and not isinstance(v, bool)
        and not k.endswith("height")
    )
    return Shape(
        width_mm=_first_int(values, WIDTH_NAMES, 2000),
        height_mm=_first_int(values, HEIGHT_NAMES, DEFAULT_HEIGHT_MM),
        return_mm=_first_int(values, ("return_length",), 0),
        modules=max(1, modules),
        colour=paint(colour),
        handles=handles,
        legs_mm=legs_mm,
        arms_mm=arms_mm,
    )


def dimensions(shape: Shape) -> str:
    text = f"{shape.width_mm} × {shape.height_mm} mm"
    return text + (f" + {shape.return_mm} mm" if shape.return_mm else "")


def draw(reader: Reader, title: str) -> str:
    """Front elevation (and the corner return beside it) at one scale for both."""
    shape = shape_of(reader.model, reader.values)
    total_mm = shape.width_mm + (shape.return_mm + 200 if shape.return_mm else 0)
    scale = min((VIEW_W - 2 * MARGIN) / total_mm, (VIEW_H - 2 * MARGIN - 24) / shape.height_mm)
    body_h = max(shape.height_mm - shape.legs_mm, 0) * scale
    base_y = VIEW_H - MARGIN - 24
    legs_h = shape.legs_mm * scale
    parts = [
        _run(shape, MARGIN, base_y, shape.width_mm * scale, body_h, shape.modules, legs_h,
             shape.arms_mm * scale)
    ]
    if shape.return_mm:
        x = MARGIN + (shape.width_mm + 200) * scale
        parts.append(_run(shape, x, base_y, shape.return_mm * scale, body_h, 1, legs_h, 0))
    name = reader.product(title)
    return svg_document("generic", f"{name} · {dimensions(shape)}", parts, dimensions(shape))


def _run(shape: Shape, x: float, base_y: float, width: float, body_h: float, modules: int,
         legs_h: float, arms_w: float) -> str:
    top = base_y - legs_h - body_h
    out = [rect(x, top, width, body_h, shape.colour, "body", rx=6, stroke_width=1.5)]
    inner_x, inner_w = x + arms_w, width - 2 * arms_w
    if arms_w:
        for ax in (x, x + width - arms_w):
            out.append(rect(ax, top + body_h * 0.25, arms_w, body_h * 0.75, shape.colour, "arm",
                            stroke_opacity=".6"))
    step = inner_w / modules
    for i in range(modules):
        mx = inner_x + i * step
        out.append(rect(mx + 2, top + body_h * 0.45, step - 4, body_h * 0.5, "#ffffff", "module",
                        rx=4, fill_opacity=".18", stroke_opacity=".5"))
        if shape.handles:
            out.append(rect(mx + step / 2 - 12, top + body_h * 0.2, 24, 4, "#3a3f4a", "handle",
                            rx=2, stroke="none"))
    if legs_h:
        for lx in (x + 6, x + width - 12):
            out.append(rect(lx, base_y - legs_h, 6, legs_h, "#6b4f32", "leg", stroke="none"))
    return "".join(out)
