"""Per-process caches of loaded product models, their configurators and engineering data.

Keyed by the product folder's content hash, so an edited model is never served stale. Each
is built once per process, however many requests ask for it at the same moment; the
configurator is then shared by all of them (it is safe to share: see configurator.session).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2m.catalogue import content_hash
from c2m.errors import Conflict, NotFound
from c2m.models import ProductModelRecord
from configurator.loading import load_model
from configurator.session import Configurator
from routing.engineer import EngineeringModel, load_engineering

log = logging.getLogger(__name__)
T = TypeVar("T")
_guard = threading.Lock()
_building: dict[tuple[str, str, str], threading.Lock] = {}


def _once(kind: str, directory: str, digest: str, build: Callable[[str, str], T]) -> T:
    """``build`` (an lru_cache) called under a lock of its own key: concurrent first
    requests wait for one build instead of each compiling the same model."""
    with _guard:
        lock = _building.setdefault((kind, directory, digest), threading.Lock())
    with lock:
        return build(directory, digest)


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
    configurator = Configurator(load_model(Path(directory) / "model.yaml"))
    if configurator.fallback_note:
        log.warning("configurator engine fallback", extra={
            "model": configurator.model.name, "warning": configurator.fallback_note})
    return configurator


def engineering_for(record: ProductModelRecord) -> EngineeringModel:
    """Orders must be engineered from exactly the files that were loaded as this version."""
    directory = product_dir(record)
    if content_hash(directory) != record.content_hash:
        raise Conflict(
            f"{directory}: product model {record.model} {record.version} changed on disk since "
            "it was loaded; give it a new version and reload"
        )
    return _once("engineering", str(directory), record.content_hash, _engineering)


def configurator_for(record: ProductModelRecord) -> Configurator:
    return _once("configurator", str(product_dir(record)), record.content_hash, _configurator)
