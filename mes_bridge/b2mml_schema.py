"""Locating, compiling (once) and applying the official B2MML XSDs.

The B2MML used here is courtesy of MESA International (see the standards README).
"""

from __future__ import annotations

import enum
import os
import threading
from functools import cache
from pathlib import Path

import xmlschema
from lxml import etree

from mes_bridge.errors import PayloadInvalid

NS_V0701 = "http://www.mesa.org/xml/B2MML"
NS_V0600 = "http://www.mesa.org/xml/B2MML-V0600"

ENV_VAR = "C2M_B2MML_DIR"


class B2mmlSchema(enum.Enum):
    """Entry-point XSDs, relative to the standards folder (each set must stay in its folder)."""

    OPERATIONS_SCHEDULE = "Schema/B2MML-OperationsSchedule.xsd"
    OPERATIONS_PERFORMANCE = "Schema/B2MML-OperationsPerformance.xsd"
    PRODUCTION_SCHEDULE_V0600 = "V0600/B2MML-V0600-ProductionSchedule.xsd"


def standards_dir() -> Path:
    """$C2M_B2MML_DIR, else `shared/standards/b2mml` beside the repository checkout."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parent.parent
    return repo.parent / "shared" / "standards" / "b2mml"


_lock = threading.Lock()


@cache
def _compiled(path: Path) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(path))


def schema(which: B2mmlSchema) -> xmlschema.XMLSchema:
    """The compiled schema; V0701 takes seconds to build, so it is built once per process."""
    path = standards_dir() / which.value
    if not path.is_file():
        raise FileNotFoundError(
            f"B2MML schema not found: {path} (set {ENV_VAR} to the standards/b2mml folder)")
    with _lock:  # two threads must not both spend seconds compiling the same schema
        return _compiled(path)


def validate(root: etree._Element, which: B2mmlSchema) -> None:
    """Raise PayloadInvalid with the validator's first message if `root` does not validate."""
    compiled = schema(which)
    for error in compiled.iter_errors(root):
        raise PayloadInvalid(Path(which.value).name, error.path or "/", str(error.reason))


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
