"""Every machine installs what CI tested: requirements.lock pins each dependency that
pyproject.toml declares (runtime and test), within its declared range, and make installs
through it."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement

from tests.conftest import REPO


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    lines = (REPO / "requirements.lock").read_text().splitlines()
    found = [line.split("==") for line in lines if line and not line.startswith("#")]
    assert all(len(parts) == 2 for parts in found), "every line of the lock is name==version"
    return {normalised(name): version for name, version in found}


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]
    ]


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    locked = pins()
    for requirement in declared():
        version = locked.get(normalised(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements.lock: make lock"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {requirement.name}=={version}, outside {requirement}"
        )


def test_every_declared_dependency_has_an_upper_bound() -> None:
    unbounded = [
        str(r)
        for r in declared()
        if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)
    ]
    assert unbounded == []


def test_make_installs_through_the_lock_file() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "pip install --quiet -c requirements.lock -e '.[test]'" in makefile
