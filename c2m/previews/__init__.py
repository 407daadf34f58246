"""One parametric drawer per product kind; `drawer_for` picks one for a model.

A drawer is chosen by the model's name, and only if the model has every feature the drawer
reads: an uploaded model that shares a sample's name but not its features gets the generic
box rather than a wrong picture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from c2m.previews import desk, fridge, generic, kitchen, sofa, wardrobe, washer
from c2m.previews.reader import Reader
from configurator.model import ProductModel

Draw = Callable[[Reader, str], str]


@dataclass(frozen=True)
class Drawer:
    needs: frozenset[str]
    draw: Draw


DRAWERS: dict[str, Drawer] = {
    module.KIND: Drawer(module.NEEDS, module.draw)
    for module in (desk, fridge, kitchen, sofa, wardrobe, washer)
}
GENERIC = Drawer(frozenset(), generic.draw)


def drawer_for(model: ProductModel) -> Drawer:
    drawer = DRAWERS.get(model.name)
    if drawer is None or not drawer.needs <= set(model.feature_names):
        return GENERIC
    return drawer
