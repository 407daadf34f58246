"""`c2m screenshots` starts its own scratch stack, writes the README's pictures and leaves
nothing running behind it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from tests.conftest import CHROMIUM, require

pytestmark = pytest.mark.browser


def processes_started_under(folder: Path) -> list[str]:
    """Processes whose environment names `folder` as their temporary folder: everything the
    command started (stack, browser, Playwright's driver) inherits it."""
    marker = f"TMPDIR={folder}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # ended meanwhile, or not ours to read
    return found


def test_the_sofa_picture_is_taken_in_a_scratch_stack_that_is_gone_afterwards(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    require(CHROMIUM.exists(), "Debian's chromium is not installed (apt-get install chromium)")
    # A short temporary folder: chromium refuses a profile whose socket path is long.
    scratch, out = Path(tempfile.mkdtemp(prefix="shots-", dir="/tmp")), tmp_path / "shots"
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2M_")}
    done = subprocess.run(
        [sys.executable, "-m", "c2m", "screenshots", "--out", str(out), "--only", "sofa-en"],
        env={**env, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    picture = out / "sofa-en.png"
    assert done.stdout.splitlines() == [str(picture)]
    assert sorted(p.name for p in out.iterdir()) == ["sofa-en.png"]
    with Image.open(picture) as image:
        assert image.width == 1280
        spread = ImageStat.Stat(image.convert("L")).stddev[0]
    assert spread > 10, "the picture is blank"
    assert processes_started_under(scratch) == []
    assert list(scratch.glob("c2m-sim-*")) == []  # the scratch instance folder is removed


def test_a_missing_browser_is_one_clear_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from c2m.commands import screenshots

    monkeypatch.setattr(screenshots, "CHROMIUM", tmp_path / "no-chromium")
    result = CliRunner().invoke(screenshots.screenshots, ["--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    missing = tmp_path / "no-chromium"
    assert result.output.strip().splitlines() == [
        f"{missing} not found: install Debian's chromium (apt-get install chromium)"
    ]


def test_only_keeps_the_pictures_named_and_phone_adds_narrow_ones() -> None:
    from c2m.commands.screenshots import planned_shots, unknown_names

    files = [s.filename for s in planned_shots(1280, True, ("sofa-en", "planner"))]
    assert files == [
        "sofa-en.png",
        "sofa-en-phone.png",
        "planner-en.png",
        "planner-en-phone.png",
        "planner-zh.png",
        "planner-zh-phone.png",
    ]
    assert len(planned_shots(1280, False, ())) == 6
    assert unknown_names(("sofa-fr", "fridge")) == ["sofa-fr"]
