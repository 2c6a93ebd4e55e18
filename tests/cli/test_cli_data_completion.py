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


def test_complete_scenario_returns_names_with_the_prefix():
    assert complete_scenario(None, None, "x") == ["xor"]
    assert complete_scenario(None, None, "perc") == ["perceptron", "perceptron-step"]
    assert complete_scenario(None, None, "mnist") == ["mnist", "mnist-cnn", "mnist-relu"]
    assert complete_scenario(None, None, "") == scenario_names()
    assert complete_scenario(None, None, "zzz") == []


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("nnviz train x", ["xor"]),
        ("nnviz info perc", ["perceptron", "perceptron-step"]),
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
