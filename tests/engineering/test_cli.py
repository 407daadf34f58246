"""`c2m engineer`: text and canonical JSON output, completion of unchosen features, errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from c2m.cli import cli


def test_engineer_json_has_bom_requirements_cut_list_cost_and_routing() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "engineer",
            "sofa",
            "--choose",
            "cover=velvet",
            "--choose",
            "colour=navy",
            "--json",
            "--samples",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"bom", "requirements", "parts", "cut_list", "cost", "routing"}
    assert data["choices"]["cover"] == "velvet"
    assert any(
        row["material"] == "FAB-VELVET" and row["grain"] == "length" for row in data["cut_list"]
    )
    assert data["routing"]["critical_path"][-1] == "pack"
    assert isinstance(data["cost"]["total"], str)


def test_engineer_text_shows_alternative_machines_and_lead_time() -> None:
    result = CliRunner().invoke(cli, ["engineer", "wardrobe", "--samples", "5"])
    assert result.exit_code == 0, result.output
    assert "SAW-01" in result.output and "CNC-01" in result.output
    assert "Lead time:" in result.output and "Cut list" in result.output


def test_engineer_rejects_an_unknown_feature_by_name() -> None:
    result = CliRunner().invoke(
        cli, ["engineer", "sofa", "--choose", "colr=grey", "--samples", "5"]
    )
    assert result.exit_code != 0 and "unknown feature 'colr'" in result.output


def test_engineer_reports_an_impossible_choice_combination() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "engineer",
            "sofa",
            "--choose",
            "cover=velvet",
            "--choose",
            "colour=cognac",
            "--samples",
            "5",
        ],
    )
    assert result.exit_code != 0
    assert "cover=velvet, colour=cognac cannot be combined" in result.output
