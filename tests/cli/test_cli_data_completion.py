"""`nnviz data info` through the main group, and shell completion of scenario names."""

from __future__ import annotations

import json

import pytest

from nnviz.cli import complete_scenario
from nnviz.scenario import scenario_names


@pytest.fixture
def no_full_mnist(monkeypatch, tmp_path):
    monkeypatch.delenv("NNVIZ_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_data_info_through_the_main_group(invoke, no_full_mnist):
    ran = invoke("data", "info")
    assert ran.code == 0, ran.stderr
    assert "MNIST sample (bundled): 8,000 train / 2,000 test" in ran.stdout
    assert "Full MNIST: not found" in ran.stdout
    assert "nnviz data fetch mnist" in ran.stdout


def test_data_info_json_through_the_main_group(invoke, no_full_mnist):
    ran = invoke("data", "info", "--json")
    assert ran.code == 0, ran.stderr
    info = json.loads(ran.stdout)
    assert info["sample"]["train"] == 8000 and info["sample"]["test"] == 2000
    assert info["full"]["found"] is False
    assert info["mnist_auto"] == "sample"
    assert "mnist" in info["kinds"]


def test_data_without_a_subcommand_shows_its_commands(invoke):
    ran = invoke("data", "--help")
    assert ran.code == 0
    assert "fetch" in ran.stdout and "info" in ran.stdout


def test_complete_scenario_returns_names_with_the_prefix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .toml files here
    assert complete_scenario(None, None, "x") == ["xor"]
    assert complete_scenario(None, None, "perc") == [
        "perceptron",
        "perceptron-step",
        "perceptron-update",
    ]
    assert complete_scenario(None, None, "mnist") == ["mnist", "mnist-cnn", "mnist-relu"]
    assert complete_scenario(None, None, "") == scenario_names()
    assert complete_scenario(None, None, "zzz") == []


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("nnviz train x", ["xor"]),
        ("nnviz info perc", ["perceptron", "perceptron-step", "perceptron-update"]),
        ("nnviz trace ch", ["chain"]),
    ],
)
def test_bash_completion_of_scenario_names(nnviz_process, words, expected):
    ran = nnviz_process(
        env={"_NNVIZ_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": "2"}
    )
    assert ran.code == 0, ran.stderr
    assert "Traceback" not in ran.stderr
    assert ran.stdout.splitlines() == [f"plain,{name}" for name in expected]


@pytest.fixture
def own_files(tmp_path, monkeypatch):
    (tmp_path / "mine.toml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "xor-variant.toml").write_text("")
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "week1.toml").write_text("")
    (tmp_path / ".hidden.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_completion_adds_toml_files_after_the_names(own_files):
    assert complete_scenario(None, None, "x") == ["xor", "xor-variant.toml"]
    assert complete_scenario(None, None, "m") == [
        "mnist",
        "mnist-cnn",
        "mnist-relu",
        "moons",
        "mine.toml",
    ]
    # notes.txt is not a scenario
    assert complete_scenario(None, None, "n") == ["nand-by-hand", "not-by-hand"]
    assert complete_scenario(None, None, "") == [*scenario_names(), "mine.toml", "xor-variant.toml"]


def test_completion_walks_folders_when_no_name_fits(own_files):
    assert complete_scenario(None, None, "la") == ["lab/"]
    assert complete_scenario(None, None, "lab/") == ["lab/week1.toml"]
    assert complete_scenario(None, None, "./") == ["./lab/", "./mine.toml", "./xor-variant.toml"]
    assert complete_scenario(None, None, ".h") == [".hidden.toml"]
    where = str(own_files / "lab") + "/w"
    assert complete_scenario(None, None, where) == [where + "eek1.toml"]
    assert complete_scenario(None, None, "nowhere/x") == []


def test_bash_completion_of_a_toml_path(own_files):
    import os
    import subprocess
    import sys

    env = {**os.environ, "_NNVIZ_COMPLETE": "bash_complete", "COMP_WORDS": "nnviz run lab/",
           "COMP_CWORD": "2"}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", "from nnviz.cli import main; main()"],
        env=env, cwd=own_files, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["plain,lab/week1.toml"]
