"""The CLI plans a file; the planner pulls in no web, database or benchmark-only library."""

import json
import subprocess
import sys

from click.testing import CliRunner

from c2m.cli import cli
from tests.conftest import SHARED


def test_plan_fjsp_prints_makespan_and_every_assignment_as_json() -> None:
    out = CliRunner().invoke(
        cli,
        [
            "plan-fjsp",
            str(SHARED / "benchmarks/fjsp/kacem/k1.txt"),
            "--time-limit",
            "0.5",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["violations"] == []
    assert len(data["assignments"]) == 12
    assert data["makespan"] == max(a["end"] for a in data["assignments"])


def test_a_malformed_file_gives_a_line_numbered_error(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n1 1 9 3\n")
    out = CliRunner().invoke(cli, ["plan-fjsp", str(bad), "--time-limit", "1"])
    assert out.exit_code != 0
    assert "bad.txt:2" in out.output and "'9'" in out.output


def test_importing_the_planner_loads_no_flask_sqlalchemy_celery_or_ortools() -> None:
    code = (
        "import sys, planner, planner.api, planner.bench; "
        "bad = [m for m in ('flask', 'sqlalchemy', 'celery', 'weasyprint', 'ortools') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
