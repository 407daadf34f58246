"""The order flow end to end on the real sample products (catalogue loaded once per test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from c2m import bootstrap
from c2m.settings import REPO_ROOT, Settings

SAMPLES = REPO_ROOT / "sample_products"


def named_configuration(model: str, name: str) -> dict[str, Any]:
    configurations = yaml.safe_load((SAMPLES / model / "configurations.yaml").read_text())
    for entry in configurations["configurations"]:
        if entry["name"] == name:
            return dict(entry["choices"])
    raise KeyError(name)


@pytest.fixture()
def shop(settings: Settings, app: Flask) -> Flask:
    bootstrap.load_catalogue(settings.with_changes(products_dir=SAMPLES))
    return app


@pytest.fixture()
def customer() -> dict[str, str]:
    return {
        "name": "李雷",
        "email": "lilei@example.com",
        "phone": "+86 138 0000 0000",
        "address": "广东省佛山市顺德区大良街道 88 号",
    }


def samples_dir() -> Path:
    return SAMPLES
