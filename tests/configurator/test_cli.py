"""`c2m configure`: JSON on stdout, clear errors with exit code 2."""

import json
from pathlib import Path

from click.testing import CliRunner

from c2m.commands.configure import configure_command

MINI = str(Path(__file__).parent / "models" / "mini.yaml")


def test_configure_json_lists_features_reasons_and_counts():
    result = CliRunner().invoke(configure_command, [MINI, "-c", "cover=leather", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # stderr has the compile progress on a cold cache
    assert data["choices"] == {"cover": "leather"} and data["completions"] == "800"
    legs = next(f for f in data["features"] if f["name"] == "legs")
    plastic = next(u for u in legs["unavailable"] if u["value"] == "plastic")
    assert plastic["reason"]["blocking"] == [{"feature": "cover", "value": "leather"}]
    assert plastic["reason"]["repair"]["changes"] == [{"feature": "cover", "value": "fabric"}]


def test_configure_text_in_chinese_and_bad_choice_is_exit_code_2():
    text = CliRunner().invoke(configure_command, [MINI, "-c", "cover=leather", "--lang", "zh"])
    assert "真皮面料需配木腿或金属腿" in text.output
    bad = CliRunner().invoke(configure_command, [MINI, "-c", "width=1405"])
    assert bad.exit_code == 2
    assert "not 1400 plus a multiple of 10" in bad.output
