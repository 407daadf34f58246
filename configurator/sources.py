"""Finding and loading a model from a path or a sample-product name, whatever its format."""

from __future__ import annotations

from pathlib import Path

from configurator.errors import ModelError
from configurator.importers.dimacs import load_dimacs
from configurator.importers.xcsp import load_xcsp
from configurator.loading import load_model
from configurator.model import ProductModel
from configurator.samples import SAMPLE_PRODUCTS


def load_any(reference: str | Path) -> ProductModel:
    """A model.yaml, a product folder, a sample product name, an XCSP .xml or a DIMACS file."""
    path = Path(reference)
    if not path.exists() and (SAMPLE_PRODUCTS / str(reference) / "model.yaml").exists():
        path = SAMPLE_PRODUCTS / str(reference) / "model.yaml"
    if path.is_dir():
        path = path / "model.yaml"
    if not path.exists():
        raise ModelError("no such model (give a model.yaml, a product folder, a sample "
                         "product name, an XCSP .xml or a .dimacs file)", file=str(reference))
    suffix = path.suffix.lower()
    if suffix == ".xml":
        names = [p / "value_names.txt" for p in (path.parent, path.parent.parent)]
        return load_xcsp(path, next((n for n in names if n.exists()), None))
    if suffix in (".dimacs", ".cnf"):
        return load_dimacs(path)
    return load_model(path)


def sample_product_models() -> list[Path]:
    return sorted(SAMPLE_PRODUCTS.glob("*/model.yaml"))
