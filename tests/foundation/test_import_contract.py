"""Every rule of DESIGN.md's layout table, as a test: what each package may import, first
party and third party. A new import outside its row fails here, naming file and module; so
the domain packages stay free of Flask, SQLAlchemy, Celery and WeasyPrint, and of c2m."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

# package -> (first-party packages it may import, third-party libraries it may import)
MAY_IMPORT: dict[str, tuple[set[str], set[str]]] = {
    # "stdlib, its solver library": the BDD (dd) and SAT (python-sat) engines; YAML is how
    # product models are written.
    "configurator": (set(), {"dd", "pysat", "yaml"}),
    "bom": ({"configurator"}, {"yaml"}),
    # networkx: the operation graph is the layout table's own words.
    "routing": ({"configurator", "bom"}, {"networkx", "yaml"}),
    "planner": (set(), {"pulp"}),
    # "domain packages"; the MES interface speaks HTTP (requests) and B2MML (lxml, xmlschema).
    "mes_bridge": (
        {"configurator", "bom", "routing", "planner"},
        {"requests", "lxml", "xmlschema"},
    ),
}
# The CP-SAT peer of `c2m bench planner` runs in a subprocess of its own; never imported by
# the planner itself (the `[bench]` extra).
EXCEPTIONS = {("planner/bench_cpsat.py", "ortools")}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"__future__"}


def offences(package: str) -> list[str]:
    own, third_party = MAY_IMPORT[package]
    allowed = own | third_party | {package}
    return sorted(
        f"{path.relative_to(REPO)} imports {module}"
        for path in (REPO / package).rglob("*.py")
        for module in imports_of(path) - allowed
        if (str(path.relative_to(REPO)), module) not in EXCEPTIONS
    )


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_what_the_layout_allows(package: str) -> None:
    assert offences(package) == []


def test_every_package_of_the_layout_has_a_rule() -> None:
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")}
    assert packages - {"c2m", "tests"} == set(MAY_IMPORT)


def test_the_contract_catches_a_domain_package_importing_the_app(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from c2m.models import Order\n    import flask.json\n")
    assert imports_of(sneaky) == {"c2m", "flask"}
