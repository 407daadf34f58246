"""Packaging only (everything else is in pyproject.toml): the layout keeps `templates/` and
`sample_products/` at the top of the checkout, and the wheel carries them inside the packages
that read them (c2m.resources, configurator.samples). pyproject.toml's static tables cannot
add such mapped folders to the packages that `find` discovers."""

from setuptools import find_packages, setup

PACKAGES = ["configurator", "bom", "routing", "planner", "mes_bridge", "c2m"]
MAPPED = {"c2m.templates": "templates", "configurator.sample_products": "sample_products"}

setup(
    packages=find_packages(include=[f"{name}*" for name in PACKAGES]) + list(MAPPED),
    package_dir=MAPPED,
    package_data={
        "c2m.templates": ["**/*"],
        "configurator.sample_products": ["**/*"],
        # Alembic reads its folder as files (no __init__.py), so each is package data.
        "c2m": ["static/**/*", "migrations/*.py", "migrations/*.mako", "migrations/versions/*.py"],
    },
)
