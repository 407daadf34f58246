"""A configuration as a drawer reads it.

A model may come from an upload rather than the loader: every value read here is checked for
its type and falls back to the feature's default, so a partial or odd configuration still
draws, and colours are checked against HEX_COLOUR.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from c2m.previews.canvas import DEFAULT_COLOUR, paint
from configurator.model import Feature, FeatureType, Option, ProductModel


@dataclass(frozen=True)
class Reader:
    """The chosen values of one model, and the language its words are wanted in."""

    model: ProductModel
    values: Mapping[str, object]
    language: str = "en"

    def feature(self, name: str) -> Feature | None:
        for feature in self.model.features:
            if feature.name == name:
                return feature
        return None

    def _raw(self, name: str) -> object:
        feature = self.feature(name)
        value = self.values.get(name)
        return feature.default if value is None and feature is not None else value

    def option(self, name: str) -> Option | None:
        feature = self.feature(name)
        if feature is None or feature.type is not FeatureType.CHOICE:
            return None
        code = self._raw(name)
        for option in feature.options:
            if option.code == code:
                return option
        return None

    def code(self, name: str, default: str = "") -> str:
        option = self.option(name)
        return option.code if option is not None else default

    def number(self, name: str, default: int = 0) -> int:
        value = self._raw(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        return default

    def flag(self, name: str) -> bool:
        return self._raw(name) is True

    def attribute(self, name: str, key: str, default: int = 0) -> int:
        option = self.option(name)
        value = option.attributes.get(key) if option is not None else None
        try:
            return int(value) if value is not None else default
        except (TypeError, ValueError):
            return default

    def text_attribute(self, name: str, key: str, default: str = "") -> str:
        option = self.option(name)
        value = option.attributes.get(key) if option is not None else None
        return str(value) if value is not None else default

    def hex(self, name: str, fallback: str = DEFAULT_COLOUR) -> str:
        option = self.option(name)
        return paint(option.attributes.get("hex") if option is not None else None, fallback)

    def option_label(self, name: str) -> str:
        option = self.option(name)
        return option.label.get(self.language) if option is not None else ""

    def measure(self, name: str) -> str:
        """ "Top width 1400 mm": the feature's own label, in the page language."""
        feature = self.feature(name)
        if feature is None:
            return ""
        return f"{feature.label.get(self.language)} {self.number(name)} {feature.unit}".strip()

    def product(self, title: str = "") -> str:
        return title or self.model.label.get(self.language)


def title_of(reader: Reader, title: str, parts: Iterable[str]) -> str:
    """ "Modular sofa · Chaise longue left · Total width 2840 mm": the product and what sizes it."""
    return " · ".join([reader.product(title), *(part for part in parts if part)])
