"""Golden files: the opening state of every sample product (counts, prices, options, reasons).

Regenerate after an intended model change with C2M_UPDATE_GOLDEN=1 and review the diff.
"""

import json
import os
from pathlib import Path

import pytest

from configurator.api import state_to_dict
from configurator.session import Configurator
from configurator.sources import load_any, sample_product_models

GOLDEN = Path(__file__).parent / "golden"
PRODUCTS = sample_product_models()


def summary(path: Path) -> dict:
    configurator = Configurator(load_any(path))
    configurator.check_model()
    result = state_to_dict(configurator, configurator.configure({}))
    return {
        "model": result["model"], "version": result["version"],
        "completions": result["completions"], "price_range": result["price_range"],
        "warnings": [str(w) for w in configurator.check_model()],
        "cheapest": configurator.complete({}, "cheapest"),
        "features": {
            f["name"]: {
                "available": [v["value"] for v in f["available"]],
                "unavailable": {str(v["value"]): v["reason"]["text"]["en"]
                                for v in f["unavailable"]},
            } for f in result["features"]},
    }


@pytest.mark.slow
@pytest.mark.parametrize("path", PRODUCTS, ids=[p.parent.name for p in PRODUCTS])
def test_sample_product_opening_state_matches_golden(path):
    found = json.loads(json.dumps(summary(path), ensure_ascii=False, default=str))
    golden = GOLDEN / f"{path.parent.name}.json"
    if os.environ.get("C2M_UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n")
    assert found == json.loads(golden.read_text())
