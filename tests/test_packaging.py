"""The package as pip sees it: the sdist (built from the checkout) holds the tests and the
scenarios, the wheel (built from that sdist) carries the scenarios inside the package, and an
install of the wheel with `pip install --target` finds them, away from any checkout.

Built with `python -m build --no-isolation` from the test extra's setuptools and build, so
no network is needed."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from nnviz.scenario import scenario_dir, scenario_names

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,) = out.glob("nnviz-*.tar.gz")
    (wheel,) = out.glob("nnviz-*.whl")
    return sdist, wheel, proc.stdout + proc.stderr


def test_the_build_warns_of_nothing_deprecated(built):
    """setuptools used to print a deprecation notice per install for `license = {text=...}`."""
    log = built[2]
    assert "Deprecat" not in log and "deprecat" not in log, log[-3000:]


def test_sdist_holds_tests_scenarios_and_licence(built):
    with tarfile.open(built[0]) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for path in ("LICENSE", "NOTICE", "README.md", "setup.py", "pyproject.toml", ".ci/run"):
        assert path in names, path
    for name in SHIPPED:
        assert f"scenarios/{name}.toml" in names, name
    tests_here = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert tests_here and tests_here <= names, sorted(tests_here - names)[:5]
    assert not any("__pycache__" in name for name in names)


def test_wheel_carries_the_scenarios_inside_the_package(built):
    with zipfile.ZipFile(built[1]) as whl:
        names = set(whl.namelist())
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = whl.read(metadata).decode()
    assert sorted(n[len("nnviz/scenarios/") : -5] for n in names
                  if n.startswith("nnviz/scenarios/")) == SHIPPED  # fmt: skip
    assert not any(n.startswith(("scenarios/", "tests/")) for n in names)
    assert "nnviz/tui/app.tcss" in names and "nnviz/data/mnist_sample.npz" in names
    assert "nnviz/schema/events.schema.json" in names
    assert "License-Expression: MIT" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "Classifier: Intended Audience :: Education" in meta


def test_target_install_lists_every_scenario(built, tmp_path):
    """`pip install --target DIR` puts nnviz in DIR with no share/ prefix: the scenarios must
    come with the package."""
    target = tmp_path / "target"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--target", str(target), str(built[1])],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    elsewhere = tmp_path / "elsewhere"  # not the checkout: its nnviz/ must not be importable
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import nnviz.scenario as s; print(s.scenario_dir())"],
        capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()) == target / "nnviz" / "scenarios"
    listed = subprocess.run(
        [sys.executable, "-m", "nnviz", "list"],
        capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == SHIPPED


def test_a_checkout_or_editable_install_reads_the_top_level_folder():
    """The tests run from the checkout (the CI's editable install points here)."""
    assert scenario_dir() == ROOT / "scenarios"
    assert scenario_names() == SHIPPED


def test_no_scenarios_found_is_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import nnviz.scenario as scenario
    from nnviz.cli import cli

    monkeypatch.setattr(scenario, "scenario_dir", lambda: tmp_path)
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0
    assert f"no shipped scenarios in {tmp_path}" in result.output


def test_every_dependency_has_the_floor_the_lowest_ci_leg_pins():
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "floors.py")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    pins = proc.stdout.splitlines()
    assert len(pins) == len(deps)
    for dep, pin in zip(deps, pins, strict=True):
        name, floor = pin.split("==")
        assert dep.startswith(f"{name}>={floor}"), (dep, pin)
    assert "textual==5.0" in pins  # Static.update(layout=...) came in 5.0: 1.0 crashes
