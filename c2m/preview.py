"""An SVG picture of a configured product, drawn to scale from its own dimensions and options.

Pure: plain data in (the product model and the chosen values), a string out, no I/O. Each
sample product kind has its own drawer in `c2m.previews` (sofa seats and which side the chaise
or corner is on, fridge doors and handles, ...); a model no drawer knows gets the generic box.
Everything written into the picture is escaped and colours must match HEX_COLOUR, because
the picture is shown on public pages and a model may come from an upload.
"""

from __future__ import annotations

from collections.abc import Mapping

from c2m.previews import drawer_for
from c2m.previews.canvas import DEFAULT_COLOUR, HEX_COLOUR
from c2m.previews.generic import Shape, shape_of
from c2m.previews.reader import Reader
from configurator.model import ProductModel

__all__ = ["DEFAULT_COLOUR", "HEX_COLOUR", "Shape", "shape_of", "svg"]


def svg(
    model: ProductModel, values: Mapping[str, object], title: str = "", language: str = "en"
) -> str:
    """The picture; its <title> names the product (``title`` if given, else the model's
    label in ``language``) and its main dimensions."""
    return drawer_for(model).draw(Reader(model, values, language), title)
