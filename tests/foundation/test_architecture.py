"""The domain packages stay free of web, database, queue and PDF frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN_PACKAGES = ("configurator", "bom", "routing", "planner")
FORBIDDEN = {"flask", "sqlalchemy", "celery", "weasyprint", "kombu", "alembic", "c2m"}


def imported_top_level_modules(source: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_domain_package_imports_no_framework(package: str) -> None:
    offenders = {
        f"{path.relative_to(REPO)} imports {module}"
        for path in (REPO / package).rglob("*.py")
        for module in imported_top_level_modules(path.read_text()) & FORBIDDEN
    }
    assert not offenders, sorted(offenders)


def test_the_check_itself_catches_a_framework_import() -> None:
    assert "flask" in imported_top_level_modules("from flask import Flask\n")
    assert "sqlalchemy" in imported_top_level_modules("def f():\n    import sqlalchemy.orm\n")
