"""Use cases around the catalogue: loading product models into the database."""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m.models import ProductModelRecord
from configurator.compiler import compile_problem
from configurator.errors import CompileError
from configurator.loading import load_model
from configurator.model import ProductModel
from configurator.problem import problem_of
from routing.validate import load_validated

Progress = Callable[[str], object]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedProduct:
    model: str
    version: str
    created: bool


def product_dirs(products_dir: Path) -> list[Path]:
    return sorted(path.parent for path in products_dir.glob("*/model.yaml"))


def content_hash(product_dir: Path) -> str:
    """Hash of every file of the product, so an edited model without a new version is caught."""
    digest = hashlib.sha256()
    for path in sorted(p for p in product_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(product_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def print_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_products(session: Session, products_dir: Path,
                  progress: Progress = print_progress) -> list[LoadedProduct]:
    """Load every product folder; all or nothing, so one bad model stores no half catalogue.
    Each model is compiled into the on-disk diagram cache now (progress on stderr), so no
    customer's click waits for a compile."""
    return [load_product(session, path, progress) for path in product_dirs(products_dir)]


def compile_into_cache(model: ProductModel, progress: Progress = print_progress) -> bool:
    """Whether the model's diagram is in the cache; if it cannot be compiled within the
    budget, one line says so and which engine will serve it."""
    try:
        compile_problem(problem_of(model), progress=progress)
    except CompileError as error:
        progress(f"note: {error}; the SAT engine will serve it (no completion count)")
        log.warning("configurator engine fallback",
                    extra={"model": model.name, "warning": str(error)})
        return False
    return True


@lru_cache(maxsize=64)
def _validated_engineering(product_dir: str, digest: str) -> tuple[str, ...]:
    """BOM and routing checked against the compiled model (exact and sampled checks);
    cached by content so each version is checked once per process."""
    _model, warnings = load_validated(product_dir)
    return tuple(str(warning) for warning in warnings)


def load_product(session: Session, product_dir: Path,
                 progress: Progress = print_progress) -> LoadedProduct:
    model = load_model(product_dir / "model.yaml")
    digest = content_hash(product_dir)
    compiled = compile_into_cache(model, progress)
    if (product_dir / "bom.yaml").exists() and not compiled:
        progress(f"note: {model.name}: BOM and routing not checked (the checks need the "
                 "compiled diagram)")
    elif (product_dir / "bom.yaml").exists():
        for warning in _validated_engineering(str(product_dir), digest):
            log.warning("product model warning", extra={"model": model.name, "warning": warning})
    existing = session.scalar(
        select(ProductModelRecord).filter_by(model=model.name, version=model.version)
    )
    if existing is not None:
        if existing.content_hash != digest:
            raise ModelVersionConflict(model.name, model.version, product_dir)
        return LoadedProduct(model.name, model.version, created=False)
    session.add(
        ProductModelRecord(
            model=model.name,
            version=model.version,
            content_hash=digest,
            label_en=model.label.en,
            label_zh=model.label.zh,
            base_price=str(model.base_price),
            source={"dir": str(product_dir)},
        )
    )
    return LoadedProduct(model.name, model.version, created=True)


class ModelVersionConflict(ValueError):
    def __init__(self, model: str, version: str, product_dir: Path) -> None:
        super().__init__(
            f"{product_dir / 'model.yaml'}: model {model!r} version {version!r} is already "
            "loaded with different content; give the edited model a new version"
        )


def latest_products(session: Session) -> list[ProductModelRecord]:
    records = session.scalars(
        select(ProductModelRecord).order_by(ProductModelRecord.model, ProductModelRecord.id)
    ).all()
    latest: dict[str, ProductModelRecord] = {}
    for record in records:
        latest[record.model] = record  # later ids are newer versions
    return list(latest.values())
