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


class _Choice:
    """What the application chose with `use_standards_dir`, once it has."""

    made: bool = False
    folder: Path | None = None


def use_standards_dir(folder: Path | None) -> None:
    """The application's setting wins over the environment. None: no schema set is installed,
    so documents are built and checked structurally, but not against the XSDs."""
    _Choice.made, _Choice.folder = True, folder


def standards_dir() -> Path | None:
    """Where the XSDs are looked up: the application's choice, else $C2M_B2MML_DIR, else
    nowhere. Nothing outside the installed package is guessed at: an installed c2m has no
    checkout beside it."""
    if _Choice.made:
        return _Choice.folder
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else None


def missing_schemas() -> list[str]:
    """Entry-point XSDs that validation cannot find; [] when the schema set is complete."""
    folder = standards_dir()
    return [w.value for w in B2mmlSchema if folder is None or not (folder / w.value).is_file()]


def _schema_path(which: B2mmlSchema) -> Path:
    folder = standards_dir()
    path = (folder or Path(f"<no {ENV_VAR}>")) / which.value
    if folder is None or not path.is_file():
        raise FileNotFoundError(
            f"B2MML schema not found: {path} (set {ENV_VAR} to the standards/b2mml folder)"
        )
    return path


_lock = threading.Lock()


@cache
def _compiled(path: Path) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(path))


def schema(which: B2mmlSchema) -> xmlschema.XMLSchema:
    """The compiled schema; V0701 takes seconds to build, so it is built once per process."""
    path = _schema_path(which)
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
    path = _schema_path(which)
    with _lock:
        return _compiled_libxml2(path)


def validate(
    root: etree._Element, which: B2mmlSchema, using: Engine | None = None, keep_lines: bool = False
) -> None:
    """Raise PayloadInvalid with the validator's first message if `root` does not validate;
    without an installed schema set, do nothing (the builders' own checks still run).

    `keep_lines` (for documents we received) reports the line of the offending element.
    """
    name = Path(which.value).name
    if which.value in missing_schemas():
        return  # no schema set installed: said once at start and in /healthz, not per document
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
