"""`nnviz run`: the scenario is checked before the app opens; the options reach make_app."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from tui_helpers import FIXTURES

import nnviz.tui
from nnviz.cli import cli


class FakeApp:
    def __init__(self, calls, args, kwargs):
        self.calls, self.args, self.kwargs = calls, args, kwargs

    def run(self):
        self.calls.append((self.args, self.kwargs))


@pytest.fixture
def calls(monkeypatch):
    made = []
    monkeypatch.setattr(nnviz.tui, "make_app", lambda *a, **k: FakeApp(made, a, k))
    return made


def test_bad_file_gives_the_loaders_error_and_exit_2_before_the_app(calls):
    result = CliRunner().invoke(cli, ["run", str(FIXTURES / "bad_layers.toml")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "nnviz: bad_layers.toml: model.layers: expected an array, got the string "
        "'four sigmoid units'"
    ]
    assert calls == []


def test_unknown_scenario_and_missing_file(calls):
    result = CliRunner().invoke(cli, ["run", "xro"])
    assert result.exit_code == 2 and "unknown scenario 'xro'; did you mean 'xor'?" in result.output
    result = CliRunner().invoke(cli, ["run", "nowhere/own.toml"])
    assert result.exit_code == 2 and "no such scenario file" in result.output
    assert calls == []


def test_defaults_to_xor_and_passes_the_options(calls, tmp_path):
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = calls
    assert args == ("xor",) and kwargs["seed"] is None and kwargs["ascii"] is False
    assert kwargs["session"].scenario.name == "xor"
    calls.clear()
    own = str(FIXTURES / "own.toml")
    result = CliRunner().invoke(
        cli, ["run", own, "--seed", "7", "--ascii", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = calls
    assert args == (own,) and kwargs["seed"] == 7 and kwargs["ascii"] is True
    assert kwargs["data_dir"] == str(tmp_path)
    assert kwargs["session"].scenario.training.seed == 7


def test_help_lists_the_options():
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--seed", "--ascii", "--data-dir"):
        assert option in result.output
