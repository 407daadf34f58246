"""c2m as a user installs it: built into a wheel, installed into a new virtualenv outside the
checkout, started from a folder of its own. Templates, static files, the sample products and
the migrations come from the package; nothing is read beside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.slow
SOFA = "sofa"
CUSTOMER = {"name": "Li Lei", "email": "lilei@example.com", "phone": "+86 138 0000 0000",
            "address": "88 Daliang Street, Shunde, Foshan"}


def release_tree(destination: Path) -> Path:
    """The tracked files plus htmx (git-ignored, copied from npm by `make setup`): what a
    release build starts from, apart from the working tree's stray files."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in [n for n in listed if n] + ["c2m/static/vendor/htmx.min.js"]:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return destination


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv, outside the checkout, holding c2m's wheel and its locked dependencies."""
    scratch = tmp_path_factory.mktemp("wheel")
    source = release_tree(scratch / "source")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(scratch / "dist"), str(source)])
    (wheel,) = (scratch / "dist").glob("c2m-*.whl")
    venv = scratch / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin/pip"), "install", "--quiet", "-c", str(REPO / "requirements.lock"),
         str(wheel)])
    shutil.rmtree(source)  # the installed c2m must not need its sources
    return venv


def outside_env(home: Path, port: int) -> dict[str, str]:
    """The embedded default, run from a folder of its own, with no schema set and no hint of
    the checkout: whatever C2M_* the suite runs with is dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("C2M_", "PYTHON"))}
    return {**env, "C2M_INSTANCE_DIR": str(home / "instance"), "C2M_PORT": str(port),
            "C2M_MES_SIM_PORT": str(free_port()), "C2M_LOG_LEVEL": "INFO"}


@pytest.fixture(scope="module")
def served(
    installed: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    tmp_path, port = tmp_path_factory.mktemp("home"), free_port()
    process = subprocess.Popen([str(installed / "bin/c2m"), "serve"], cwd=tmp_path,
                               env=outside_env(tmp_path, port), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines = read_until_url(process)
    try:
        yield f"http://127.0.0.1:{port}/", lines
    finally:
        process.send_signal(2)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def read_until_url(process: subprocess.Popen[str], timeout: float = 180) -> list[str]:
    deadline, lines = time.monotonic() + timeout, []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "open http" in line:
            return lines
        if not line and process.poll() is not None:
            pytest.fail("c2m serve exited:\n" + "".join(lines))
    pytest.fail("c2m serve never printed its URL:\n" + "".join(lines))


def a_sample_sofa(installed: Path) -> dict[str, object]:
    """A configuration from the sample products as the wheel installed them."""
    (folder,) = (installed / "lib").glob("python3*/site-packages/configurator/sample_products")
    listed = yaml.safe_load((folder / SOFA / "configurations.yaml").read_text())
    return dict(listed["configurations"][0]["choices"])


def test_the_installed_wheel_serves_pages_styles_and_scripts_from_its_package(
    served: tuple[str, list[str]],
) -> None:
    url, _lines = served
    catalogue = requests.get(url, timeout=30)
    assert catalogue.status_code == 200 and "/configure/sofa" in catalogue.text
    for asset in ("static/css/c2m.css", "static/vendor/htmx.min.js"):
        assert requests.get(url + asset, timeout=30).status_code == 200, asset
    assert requests.get(url + "configure/sofa", timeout=30).status_code == 200


def test_the_installed_wheel_without_schemas_says_so_once_and_still_answers(
    served: tuple[str, list[str]],
) -> None:
    url, lines = served
    said = [line for line in lines if "C2M_B2MML_DIR" in line]
    assert len(said) == 1, "".join(lines)
    health = requests.get(url + "healthz", timeout=30).json()
    assert health["status"] == "ok" and "b2mml" in health


def test_an_order_placed_on_the_installed_wheel_is_engineered_and_planned(
    installed: Path, served: tuple[str, list[str]],
) -> None:
    url, _lines = served
    body = {"model": SOFA, "choices": a_sample_sofa(installed), "customer": CUSTOMER}
    placed = requests.post(url + "api/v1/orders", json=body, timeout=60,
                           headers={"Idempotency-Key": "installed-wheel-order-1"})
    assert placed.status_code == 201, placed.text
    track = placed.json()["tracking_url"]
    deadline, status = time.monotonic() + 120, "placed"
    while time.monotonic() < deadline and status != "planned":
        status = requests.get(track, timeout=30).json()["status"]
        time.sleep(0.5)
    assert status == "planned"
