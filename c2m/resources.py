"""Where c2m's own files are: inside the installed package, or in the checkout it runs from.

The layout keeps `templates/` and `sample_products/` at the top of the checkout; the wheel
carries them inside the packages (`c2m/templates`, `configurator/sample_products`, see
setup.py), so an installed c2m reads nothing outside its site-packages.
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def running_from_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "templates").is_dir()


def templates_dir() -> Path:
    installed = PACKAGE / "templates"
    return installed if installed.is_dir() else CHECKOUT / "templates"


def static_dir() -> Path:
    return PACKAGE / "static"


def default_instance_dir() -> Path:
    """The checkout's `instance/` in development; installed, Flask's convention for packages:
    `<prefix>/var/c2m-instance`, beside the virtualenv and never inside site-packages."""
    if running_from_checkout():
        return CHECKOUT / "instance"
    return Path(sys.prefix) / "var" / "c2m-instance"
