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

    error_message = None
    return_code = 0

    def run(self):
        self.calls.append((self.args, self.kwargs))


@pytest.fixture
def calls(monkeypatch):
    made = []
    monkeypatch.setattr(nnviz.tui, "make_app", lambda *a, **k: FakeApp(made, a, k))
    # CliRunner's streams are not a terminal; the refusal itself is tested in tests/cli
    monkeypatch.setattr("nnviz.cli.run.terminal_problem", lambda: None)
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


def test_defaults_to_xor_and_passes_the_options(calls, tmp_path, monkeypatch):
    # a 256-colour terminal, so that ASCII mode is only what --ascii asks for
    monkeypatch.setenv("TERM", "xterm-256color")
    for var in ("NO_COLOR", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = calls
    assert args == ("xor",) and kwargs["seed"] is None and kwargs["ascii"] is False
    assert kwargs["scenario"].name == "xor" and kwargs["exit_on_error"]
    calls.clear()
    own = str(FIXTURES / "own.toml")
    result = CliRunner().invoke(
        cli, ["run", own, "--seed", "7", "--ascii", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = calls
    assert args == (own,) and kwargs["seed"] == 7 and kwargs["ascii"] is True
    assert kwargs["data_dir"] == str(tmp_path)
    assert kwargs["scenario"].training.seed == 7


def test_history_gives_the_apps_history_its_budget_or_none_and_refuses_what_cannot_be(calls):
    from nnviz.limits import DEFAULT_HISTORY_BYTES

    for argv, budget in ((["run"], DEFAULT_HISTORY_BYTES), (["run", "--history", "1.5"], 3 << 19),
                         (["run", "--history", "0"], None)):  # fmt: skip
        calls.clear()
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, result.output
        ((_, kwargs),) = calls
        assert kwargs["history_budget"] == budget, argv
    calls.clear()
    for value, expected in (("-1", "is not in the range"), ("1e9", "64 GiB a history may hold"),
                            ("abc", "is not a valid float")):  # fmt: skip
        result = CliRunner().invoke(cli, ["run", "--history", value])
        assert result.exit_code == 2 and expected in result.output, result.output
        assert "Traceback" not in result.output
    assert calls == []


def test_help_lists_the_options():
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--seed", "--ascii", "--data-dir", "--history"):
        assert option in result.output


def test_a_session_that_cannot_be_built_ends_with_exit_2(tmp_path):
    # the file is valid, but its csv data file is missing: found while the app loads
    bad = tmp_path / "missing_data.toml"
    bad.write_text(
        (FIXTURES / "own.toml")
        .read_text()
        .replace('kind = "gate"\ngate = "and"', 'kind = "csv"\npath = "nowhere.csv"')
    )
    from nnviz.tui import make_app
    from nnviz.tui.app import NnvizApp

    app = make_app(str(bad), exit_on_error=True, animate=False)
    assert isinstance(app, NnvizApp)

    async def go():
        async with app.run_test(size=(100, 36)) as pilot:
            for _ in range(200):
                if app.return_code is not None:
                    break
                await pilot.pause(0.05)

    import asyncio

    asyncio.run(go())
    assert app.return_code == 2
    assert "missing_data.toml" in app.error_message and "nowhere.csv" in app.error_message


def test_run_takes_the_overrides_train_takes(calls, tmp_path):
    import re

    def options(command: str) -> set[str]:
        text = CliRunner().invoke(cli, [command, "--help"]).output
        return set(re.findall(r"--[a-z][a-z-]+", text))

    shared = {"--epochs", "--lr", "--batch-size", "--optimizer", "--seed", "--dtype",
              "--data-dir", "--load"}  # fmt: skip
    assert shared <= options("run") and shared <= options("train")
    weights = tmp_path / "w.npz"
    result = CliRunner().invoke(cli, [
        "run", "xor", "--epochs", "7", "--lr", "0.25", "--batch-size", "2", "--optimizer",
        "adam", "--seed", "3", "--dtype", "float64", "--load", str(weights),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = calls
    sc = kwargs["scenario"]
    assert (sc.training.epochs, sc.optimizer.lr, sc.training.batch_size) == (7, 0.25, 2)
    assert (sc.optimizer.kind, sc.training.seed, sc.training.dtype) == ("adam", 3, "float64")
    assert kwargs["weights"] == str(weights) and kwargs["seed"] == 3


def test_run_refuses_a_bad_override_in_one_line(calls):
    result = CliRunner().invoke(cli, ["run", "xor", "--optimizer", "newton"])
    assert result.exit_code == 2 and "newton" in result.output and calls == []
    assert "Traceback" not in result.output


def test_run_starts_from_saved_weights_and_keeps_them_on_reset(tmp_path):
    import asyncio

    import numpy as np
    from tui_helpers import wait_open

    from nnviz.tui import make_app
    from nnviz.weights import save_weights

    path = tmp_path / "w.npz"
    saved = {
        "W1": np.full((2, 4), 0.25, np.float32),
        "b1": np.zeros((1, 4), np.float32),
        "W2": np.full((4, 1), -0.5, np.float32),
        "b2": np.ones((1, 1), np.float32),
    }
    save_weights(path, saved)
    app = make_app("xor", weights=str(path), animate=False)

    async def go():
        async with app.run_test(size=(100, 36)) as pilot:
            screen = await wait_open(pilot)
            for name, arr in saved.items():
                np.testing.assert_array_equal(screen.ctl.program.value(name), arr)
            await pilot.press("s", "r")
            await pilot.pause()
            np.testing.assert_array_equal(screen.ctl.program.value("W2"), saved["W2"])

    asyncio.run(go())


def test_run_with_a_bad_weights_file_ends_with_one_line(tmp_path):
    import asyncio

    from nnviz.tui import make_app

    bad = tmp_path / "w.npz"
    bad.write_text("not a zip")
    app = make_app("xor", weights=str(bad), exit_on_error=True, animate=False)

    async def go():
        async with app.run_test(size=(100, 36)) as pilot:
            for _ in range(200):
                if app.return_code is not None:
                    break
                await pilot.pause(0.05)

    asyncio.run(go())
    assert app.return_code == 2 and "w.npz" in app.error_message
