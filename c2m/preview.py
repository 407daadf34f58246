"""An SVG picture of a configured product, drawn from its values to scale.

Generic over product models by naming convention: the overall width comes from a
`total_width`, `width` or `run_length` feature, the height from `height`/`base_height`, the
module count from integer features named `seats_*`, `sections_*` or `base_*` (a number of
modules), a corner return from `return_length`, the colour from the first chosen option with
a `hex` attribute; handles and legs are drawn when such features are chosen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from configurator.model import FeatureType, ProductModel

WIDTH_NAMES = ("total_width", "width", "run_length")
HEIGHT_NAMES = ("height", "base_height")
MODULE_PREFIXES = ("seats_", "sections_", "base_")
DEFAULT_HEIGHT_MM = 850
VIEW_W, VIEW_H = 640, 320
MARGIN = 20
DEFAULT_COLOUR = "#b9bec7"
# The loader admits only these; checked again here because the colour is written into an SVG
# attribute on public pages, and a model may come from somewhere other than the loader.
HEX_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})\Z")


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
    for feature in model.features:
        value = values.get(feature.name)
        if feature.type is not FeatureType.CHOICE or value is None:
            continue
        attributes = feature.option(str(value)).attributes
        if "hex" in attributes and colour == DEFAULT_COLOUR:
            colour = str(attributes["hex"])
        if feature.name == "legs":
            legs_mm = int(attributes.get("height_mm", 0))
        if feature.name == "arms":
            arms_mm = int(attributes.get("width_mm", 0))
        if feature.name == "handle" and value not in ("none", "push_to_open", "handleless"):
            handles = True
    modules = sum(
        int(v)
        for k, v in values.items()
        if k.startswith(MODULE_PREFIXES)
        and k not in HEIGHT_NAMES
        and isinstance(v, int)
        and not isinstance(v, bool)
        and not k.endswith("height")
    )
    return Shape(
        width_mm=_first_int(values, WIDTH_NAMES, 2000),
        height_mm=_first_int(values, HEIGHT_NAMES, DEFAULT_HEIGHT_MM),
        return_mm=_first_int(values, ("return_length",), 0),
        modules=max(1, modules),
        colour=colour if HEX_COLOUR.match(colour) else DEFAULT_COLOUR,
        handles=handles,
        legs_mm=legs_mm,
        arms_mm=arms_mm,
    )


def svg(model: ProductModel, values: Mapping[str, object], title: str = "") -> str:
    """Front elevation (and the corner return beside it) at one scale for both."""
    shape = shape_of(model, values)
    total_mm = shape.width_mm + (shape.return_mm + 200 if shape.return_mm else 0)
    scale = min((VIEW_W - 2 * MARGIN) / total_mm, (VIEW_H - 2 * MARGIN - 24) / shape.height_mm)
    body_h = (shape.height_mm - shape.legs_mm) * scale
    base_y = VIEW_H - MARGIN - 24
    parts = [
        _run(
            shape,
            MARGIN,
            base_y,
            shape.width_mm * scale,
            body_h,
            shape.modules,
            shape.legs_mm * scale,
            shape.arms_mm * scale,
        )
    ]
    if shape.return_mm:
        x = MARGIN + (shape.width_mm + 200) * scale
        parts.append(
            _run(shape, x, base_y, shape.return_mm * scale, body_h, 1, shape.legs_mm * scale, 0)
        )
    parts.append(
        f'<text x="{MARGIN}" y="{VIEW_H - 8}" font-size="13" fill="#5b6475">'
        f"{shape.width_mm} × {shape.height_mm} mm"
        + (f" + {shape.return_mm} mm" if shape.return_mm else "")
        + "</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {VIEW_W} {VIEW_H}" '
        f'role="img" aria-label="{escape(title or model.label.en)}" class="preview">'
        f"<title>{escape(title or model.label.en)}</title>" + "".join(parts) + "</svg>"
    )


def _run(
    shape: Shape,
    x: float,
    base_y: float,
    width: float,
    body_h: float,
    modules: int,
    legs_h: float,
    arms_w: float,
) -> str:
    top = base_y - legs_h - body_h
    out = [
        f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" height="{body_h:.1f}" '
        f'rx="6" fill="{shape.colour}" stroke="#1d2330" stroke-width="1.5"/>'
    ]
    inner_x, inner_w = x + arms_w, width - 2 * arms_w
    if arms_w:
        for ax in (x, x + width - arms_w):
            out.append(
                f'<rect x="{ax:.1f}" y="{top + body_h * 0.25:.1f}" width="{arms_w:.1f}" '
                f'height="{body_h * 0.75:.1f}" fill="{shape.colour}" stroke="#1d2330" '
                'stroke-opacity=".6"/>'
            )
    step = inner_w / modules
    for i in range(modules):
        mx = inner_x + i * step
        out.append(
            f'<rect x="{mx + 2:.1f}" y="{top + body_h * 0.45:.1f}" width="{step - 4:.1f}"'
            f' height="{body_h * 0.5:.1f}" rx="4" fill="#ffffff" fill-opacity=".18" '
            'stroke="#1d2330" stroke-opacity=".5"/>'
        )
        if shape.handles:
            out.append(
                f'<rect x="{mx + step / 2 - 12:.1f}" y="{top + body_h * 0.2:.1f}" '
                'width="24" height="4" rx="2" fill="#3a3f4a"/>'
            )
    if legs_h:
        for lx in (x + 6, x + width - 12):
            out.append(
                f'<rect x="{lx:.1f}" y="{base_y - legs_h:.1f}" width="6" '
                f'height="{legs_h:.1f}" fill="#6b4f32"/>'
            )
    return "".join(out)
