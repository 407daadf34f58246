"""Locating, compiling (once) and applying the official B2MML XSDs.

The B2MML used here is courtesy of MESA International (see the standards README).
"""

from __future__ import annotations

import enum
import os
import threading
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import xmlschema
from lxml import etree

from mes_bridge.errors import PayloadInvalid

NS_V0701 = "http://www.mesa.org/xml/B2MML"
NS_V0600 = "http://www.mesa.org/xml/B2MML-V0600"

ENV_VAR = "C2M_B2MML_DIR"
ENGINE_ENV = "C2M_B2MML_VALIDATOR"


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
            f"B2MML schema not found: {path} (set {ENV_VAR} to the standards/b2mml folder)"
        )
    with _lock:  # two threads must not both spend seconds compiling the same schema
        return _compiled(path)


class Engine(enum.StrEnum):
    """xmlschema (pure Python, the reference here; ~35 ms per V0701 work order) or libxml2 via
    lxml (~0.5 ms). Both read the same official XSDs; tests check they agree."""

    XMLSCHEMA = "xmlschema"
    LIBXML2 = "libxml2"


def engine() -> Engine:
    """$C2M_B2MML_VALIDATOR, default libxml2: releasing 1,000 work orders costs ~1 s of
    validation instead of ~35 s, and the tests hold both validators to the same verdicts."""
    return Engine(os.environ.get(ENGINE_ENV, Engine.LIBXML2.value))


@cache
def _compiled_libxml2(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def libxml2_schema(which: B2mmlSchema) -> etree.XMLSchema:
    path = standards_dir() / which.value
    if not path.is_file():
        raise FileNotFoundError(f"B2MML schema not found: {path} (set {ENV_VAR})")
    with _lock:
        return _compiled_libxml2(path)


def validate(
    root: etree._Element, which: B2mmlSchema, using: Engine | None = None, keep_lines: bool = False
) -> None:
    """Raise PayloadInvalid with the validator's first message if `root` does not validate.

    `keep_lines` (for documents we received) reports the line of the offending element.
    """
    name = Path(which.value).name
    if (using or engine()) is Engine.LIBXML2:
        checker = libxml2_schema(which)
        if not checker.validate(root):
            error = checker.error_log[0]
            raise PayloadInvalid(name, error.path or "/", error.message, error.line)
        return
    # xmlschema walks an ElementTree copy markedly faster than the lxml tree itself, but only
    # the lxml tree knows source lines.
    tree = root if keep_lines else ElementTree.fromstring(etree.tostring(root))
    for error in schema(which).iter_errors(tree):
        line = getattr(error.elem, "sourceline", None) if keep_lines else None
        raise PayloadInvalid(name, error.path or "/", str(error.reason), line)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
