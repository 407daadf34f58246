"""Where the sample products are: a module of its own so settings can name the folder without
importing the model loaders."""

from __future__ import annotations

from pathlib import Path

# Installed, the wheel carries them in this package (see setup.py); else the checkout's own.
_INSTALLED = Path(__file__).resolve().parent / "sample_products"
SAMPLE_PRODUCTS = (_INSTALLED if _INSTALLED.is_dir()
                   else _INSTALLED.parent.parent / "sample_products")
