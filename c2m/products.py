"""Per-process caches of loaded product models, their configurators and engineering data.

Keyed by the product folder's content hash, so an edited model is never served stale.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m.catalogue import content_hash
from c2m.errors import Conflict, NotFound
from c2m.models import ProductModelRecord
from configurator.loading import load_model
from configurator.session import Configurator
from routing.engineer import EngineeringModel, load_engineering


def record_for(session: Session, model: str, version: str | None = None) -> ProductModelRecord:
    """The requested version, or the newest loaded one."""
    query = select(ProductModelRecord).filter_by(model=model)
    if version is not None:
        query = query.filter_by(version=version)
    record = session.scalars(query.order_by(ProductModelRecord.id.desc())).first()
    if record is None:
        raise NotFound(f"no product model {model!r}" + (f" version {version!r}" if version else ""))
    return record


def product_dir(record: ProductModelRecord) -> Path:
    return Path(record.source["dir"])


@lru_cache(maxsize=32)
def _engineering(directory: str, digest: str) -> EngineeringModel:
    return load_engineering(Path(directory))


@lru_cache(maxsize=32)
def _configurator(directory: str, digest: str) -> Configurator:
    return Configurator(load_model(Path(directory) / "model.yaml"))


def engineering_for(record: ProductModelRecord) -> EngineeringModel:
    """Orders must be engineered from exactly the files that were loaded as this version."""
    directory = product_dir(record)
    if content_hash(directory) != record.content_hash:
        raise Conflict(
            f"{directory}: product model {record.model} {record.version} changed on disk since "
            "it was loaded; give it a new version and reload"
        )
    return _engineering(str(directory), record.content_hash)


def configurator_for(record: ProductModelRecord) -> Configurator:
    return _configurator(str(product_dir(record)), record.content_hash)
