"""The experiments screen (x in the explorer, nnviz run --experiment): every legend entry, best
mark and health row is recomputed here from the engine's own result objects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tui_helpers import aio, until, wait_open

from nnviz import experiments, health
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.tui import fmt, make_app
from nnviz.tui.screens.experiments import ExperimentsScreen
from nnviz.tui.screens.explorer import ExplorerScreen
from nnviz.tui.widgets.experiment_views import race_note


def _plain(screen) -> str:
    return screen.query_one("#exp-text").plain


async def _done(pilot, screen, kind: str, timeout: float = 180.0) -> None:
    await until(pilot, lambda: screen.results[kind].state != "running", timeout)
    await pilot.pause()


def _race_runs(name: str):
    sc = load_scenario(name)
    settings = experiments.race_settings(sc, experiments.DEFAULT_OPTIMIZERS)
    return list(experiments.run_settings(sc, settings, threads=1))


@aio
async def test_x_opens_the_race_with_a_legend_entry_and_a_map_per_run():
    app = make_app("xor", animate=False)
    async with app.run_test(size=(80, 24)) as pilot:
        explorer = await wait_open(pilot)
        assert isinstance(explorer, ExplorerScreen)
        await pilot.press("x")
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen) and screen.kind == "race"
        await _done(pilot, screen, "race")
        assert screen.results["race"].state == "done"
        text = _plain(screen)
        expected = _race_runs("xor")
        shown = screen.results["race"].items
        assert [r.label for r in shown] == [r.label for r in expected]
        for run, again in zip(shown, expected, strict=True):
            assert run.final_loss == again.final_loss  # same weights, same batch order
            legend = next(line for line in text.splitlines() if f"● {run.label} " in line)
            assert f"final loss {fmt.num(again.final_loss)}" in legend
            assert f"acc {fmt.num(again.train_accuracy, 3)}" in legend
        best = experiments.best_run(expected)
        assert "◀ lowest" in next(line for line in text.splitlines() if best.label + " " in line)
        maps = screen.query(".exp-map")
        assert len(maps) == len(expected)
        await pilot.press("escape")  # nothing runs: back to the explorer
        assert app.screen is explorer


@aio
async def test_the_race_in_ascii_gives_each_run_its_own_character():
    app = make_app("xor", animate=False, ascii=True, experiment="race")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_open(pilot)
        screen = app.screen
        await _done(pilot, screen, "race")
        lines = _plain(screen).splitlines()
        runs = screen.results["race"].items
        for char, run in zip("*o+x", runs, strict=True):
            assert any(line.startswith(f" {char} {run.label} ") for line in lines), char
        chart = "\n".join(line for line in lines if "│" in line or "|" in line)
        assert sum(char in chart for char in "*o+x") >= 2  # the curves differ where they differ


@aio
async def test_the_sweep_marks_the_best_learning_rate_of_the_runs():
    app = make_app("moons", animate=False, experiment="sweep")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_open(pilot)
        screen = app.screen
        assert screen.kind == "sweep"
        await _done(pilot, screen, "sweep", timeout=300)
        sc = load_scenario("moons")
        param, text, points = experiments.DEFAULT_SWEEP
        values = experiments.sweep_values(param, text, points)
        runs = list(experiments.run_settings(sc, experiments.sweep_settings(param, values),
                                             threads=1))  # fmt: skip
        best = experiments.best_run(runs)
        shown = _plain(screen)
        assert f"best lr = {fmt.num(best.lr, 4)}: lowest final test loss {fmt.num(best.score)}" in (
            shown
        )
        row = next(line for line in shown.splitlines() if line.endswith("◀ best"))
        assert row.split()[0] == fmt.num(best.lr, 4)
        assert "final test loss" in shown and "(log)" in shown
        # the ▲ sits under the best value's column on the log axis
        axis = next(line for line in shown.splitlines() if "▲" in line)
        col = axis.index("▲") - axis.index("└") - 1
        width = len(axis) - axis.index("└") - 1
        t = (np.log10(best.lr) - np.log10(values[0])) / (np.log10(values[-1]) - np.log10(values[0]))
        assert col == round(t * (width - 1))


@aio
async def test_the_health_view_shows_each_layers_numbers_from_track():
    app = make_app("moons", animate=False, experiment="health")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_open(pilot)
        screen = app.screen
        await _done(pilot, screen, "health")
        samples = list(health.track(build(load_scenario("moons"), threads=1), 20))
        shown = screen.results["health"].items
        assert len(shown) == len(samples)
        text = _plain(screen)
        words = " ".join(text.split())  # the legend pads its labels
        first, last = samples[0], samples[-1]
        for k, layer in enumerate(last.layers):
            name = fmt.sub(f"W{layer.layer}")
            legend = f"{name} {layer.activation} {fmt.num(first.layers[k].grad_norm, 3)} → "
            assert legend + fmt.num(layer.grad_norm, 3) in words
        row = next(line for line in text.splitlines() if line.startswith("W₁ tanh"))
        sat = f"{first.layers[0].saturated_share:.0%} → {last.layers[0].saturated_share:.0%}"
        assert sat in row and fmt.num(last.layers[0].update_ratio, 3) in row
        assert "Update/weight ratio" in text


@aio
async def test_escape_stops_a_running_sweep_and_r_runs_it_again():
    long = load_scenario("circles").with_overrides(epochs=5_000_000)  # minutes, if not stopped
    app = make_app("circles", scenario=long, animate=False, experiment="sweep")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_open(pilot)
        screen = app.screen
        await pilot.press("escape")
        await _done(pilot, screen, "sweep", timeout=60)
        res = screen.results["sweep"]
        assert res.state == "cancelled" and len(res.items) < 2  # stopped within a run
        assert app.screen is screen  # the first escape only stops
        await pilot.press("r")
        assert screen.results["sweep"].state == "running"
        await pilot.press("x")  # the next experiment stops this one
        assert screen.kind == "health"
        await _done(pilot, screen, "sweep", timeout=60)
        assert screen.results["sweep"].state == "cancelled"
        await pilot.press("escape")
        await _done(pilot, screen, "health", timeout=60)
        await pilot.press("escape")
        assert isinstance(app.screen, ExplorerScreen)


@aio
async def test_a_failing_experiment_says_so_in_one_line_and_logs_the_traceback(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")
        yield

    monkeypatch.setattr(experiments, "run_settings", broken)
    app = make_app("xor", animate=False, experiment="race")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_open(pilot)
        screen = app.screen
        await _done(pilot, screen, "race")
        res = screen.results["race"]
        assert res.state == "failed"
        assert res.message.startswith("race failed: ZeroDivisionError: boom (traceback in ")
        logs = sorted(Path(tmp_path, "nnviz", "logs").glob("*.log"))
        assert len(logs) == 1 and "ZeroDivisionError: boom" in logs[0].read_text()
        await pilot.press("x")  # alive: the next experiment runs
        assert screen.kind == "sweep" and screen.results["sweep"].state in ("running", "failed")


def test_the_screens_race_is_the_clis_default():
    from nnviz.cli.experiments import DEFAULT_RACE

    assert ",".join(experiments.DEFAULT_OPTIMIZERS) == DEFAULT_RACE


def test_race_note_says_the_runs_numbers():
    run = _race_runs("xor")[0]
    note = race_note(run)
    assert note.startswith(f"final loss {fmt.num(run.final_loss)} · acc 1")


# ---------------------------------------------------------------- nnviz run --experiment
def test_run_experiment_reaches_the_app_and_bad_uses_are_one_line(monkeypatch):
    from click.testing import CliRunner

    import nnviz.tui
    from nnviz.cli import cli

    made = []

    class FakeApp:
        error_message = None
        return_code = 0

        def __init__(self, *args, **kwargs):
            made.append(kwargs)

        def run(self):
            pass

    monkeypatch.setattr(nnviz.tui, "make_app", FakeApp)
    monkeypatch.setattr("nnviz.cli.run.terminal_problem", lambda: None)
    result = CliRunner().invoke(cli, ["run", "circles", "--experiment", "sweep"])
    assert result.exit_code == 0, result.output
    assert made[-1]["experiment"] == "sweep"
    result = CliRunner().invoke(cli, ["run", "xor", "--experiment", "cv"])
    assert result.exit_code == 2 and "'cv' is not one of 'race', 'sweep', 'health'" in result.output
    result = CliRunner().invoke(cli, ["run", "chain", "--experiment", "race"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "nnviz: chain.toml: --experiment: an expression graph has nothing to train"
    )
    assert len(made) == 1
    help_text = CliRunner().invoke(cli, ["run", "--help"]).output
    assert "--experiment [race|sweep|health]" in help_text


def test_the_experiments_screen_binds_only_the_key_map():
    from textual.binding import Binding

    from nnviz.tui import keys

    mapped = {(k, e.action) for e in keys.KEYS for k in e.keys.split(",")}
    bound = {(b.key, b.action) for b in Binding.make_bindings(ExperimentsScreen.BINDINGS)}
    assert bound <= mapped
    explorer = {b.key: b.action for b in Binding.make_bindings(ExplorerScreen.BINDINGS)}
    assert explorer["x"] == "experiments" and ("x", "experiments") in bound
    assert ("escape", "back") in bound and ("r", "reset") in bound


def test_a_diverged_run_has_no_point_and_says_so():
    import dataclasses

    from nnviz.tui.widgets.experiment_views import sweep_series, sweep_text

    runs = list(experiments.run_settings(load_scenario("xor").with_overrides(epochs=50),
                                         experiments.sweep_settings("lr", [0.1, 1.0]),
                                         threads=1))  # fmt: skip
    gone = dataclasses.replace(runs[1], diverged="the loss became NaN or infinite at step 7")
    assert race_note(gone) == "diverged after 50 epochs"
    (train,) = sweep_series("lr", [runs[0], gone])
    assert train.ys[0] == runs[0].final_loss and np.isnan(train.ys[1])
    text = sweep_text("lr", [runs[0], gone], 2, 80, 5, ascii_mode=True).plain
    assert f"best lr = 0.1: lowest final training loss {fmt.num(runs[0].final_loss)}" in text
    assert any(line.split() == ["1", "diverged"] for line in text.splitlines())


@aio
async def test_x_while_training_stops_the_explorers_worker_first():
    from tui_helpers import press_busy

    long = load_scenario("xor").with_overrides(epochs=5_000_000)
    app = make_app("xor", scenario=long, animate=False)
    async with app.run_test(size=(80, 24)) as pilot:
        explorer = await wait_open(pilot)
        await pilot.press("p")
        assert explorer.playing == "fast"
        await press_busy(pilot, "x")
        await until(pilot, lambda: isinstance(app.screen, ExperimentsScreen), timeout=30)
        assert explorer.playing == "" and explorer._idle.is_set()
        await pilot.press("escape")  # stops the race
        await _done(pilot, app.screen, "race")  # a cold kernel cache compiles the race first


@aio
async def test_a_race_stopped_before_its_thread_began_is_stopped():
    """Textual never runs a thread worker cancelled before its thread began: the screen says
    stopped at once, instead of waiting for a last message that will not come."""
    app = make_app("xor", animate=False)
    async with app.run_test(size=(80, 24)) as pilot:
        explorer = await wait_open(pilot)
        await pilot.press("x")
        screen = app.screen
        await _done(pilot, screen, "race")
        screen.action_reset()
        screen.action_back()  # in the same callback: the worker's thread has not begun
        assert screen.results["race"].state == "cancelled" and not screen.running
        await pilot.pause(0.3)
        assert screen.results["race"].state == "cancelled" and not screen.results["race"].items
        assert "│ stopped · r runs it again · esc back" in str(screen.status_text())
        await pilot.press("escape")
        assert app.screen is explorer
