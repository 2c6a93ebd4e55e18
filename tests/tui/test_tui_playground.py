"""The playground's keys through Pilot: S the settings panel, E the element cursor, W write the
setup; the numbers on screen against the engine's."""

from __future__ import annotations

import numpy as np
from tui_helpers import aio, press_busy, wait_idle, wait_open

from nnviz.explorer import Controller
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.tui import make_app
from nnviz.tui.screens.cursor import CursorPanel
from nnviz.tui.screens.explorer import ExplorerScreen
from nnviz.tui.screens.save import SaveScreen
from nnviz.tui.screens.settings import SettingsPanel
from nnviz.tui.widgets.panels import TextPanel

SIZE = (120, 36)


def panel(screen, name: str) -> str:
    return screen.query_one(f"#{name}", TextPanel).plain


def settings(app) -> SettingsPanel:
    return app.screen.query_one(SettingsPanel)


def settings_text(app) -> str:
    return str(settings(app).query_one("#settings-list").render())


def settings_message(app) -> str:
    return str(settings(app).query_one("#settings-message").render())


async def to_row(pilot, label: str) -> None:
    """Move the settings panel's selection to the row with this label."""
    settings = pilot.app.screen.query_one(SettingsPanel)
    labels = [f.label for f in settings.fields()]
    target = labels.index(label)
    while settings.row != target:
        await pilot.press("down" if settings.row < target else "up")


async def typed(pilot, text: str) -> None:
    await pilot.press("enter", *list(text), "enter")
    await pilot.pause()


@aio
async def test_settings_change_the_architecture_and_the_screen_follows():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("S")
        await pilot.pause()
        assert settings(app).has_focus
        assert "hidden 1: units" in settings_text(app)
        await to_row(pilot, "hidden 1: units")
        await pilot.press("right")  # one unit more
        await pilot.pause()
        assert screen.ctl.program.shape("W1") == (2, 5)
        assert ("u1", 4) in screen.unit_list()  # the hidden units' panel draws the new unit
        assert screen.unit_labels(screen.unit_list())[("u1", 4)].startswith("u₁[4]")
        assert "new weights (seed 0)" in settings_message(app)
        await pilot.press("left", "left")
        await pilot.pause()
        assert screen.ctl.program.shape("W1") == (2, 3)
        await to_row(pilot, "hidden 1: activation")
        await pilot.press("right")
        await pilot.pause()
        assert screen.ctl.scenario.model.layers[0].activation == "tanh"
        assert "tanh(z₁)" in panel(screen, "graph")
        assert "weights kept" in settings_message(app)
        await to_row(pilot, "add a hidden layer")
        await pilot.press("enter")
        await pilot.pause()
        assert [lay.units for lay in screen.ctl.scenario.model.layers] == [3, 3, 1]
        assert "W₃" in panel(screen, "graph")
        await to_row(pilot, "remove the last hidden layer")
        await pilot.press("enter")
        await pilot.pause()
        assert len(screen.ctl.scenario.model.layers) == 2
        await to_row(pilot, "output + loss")
        await pilot.press("right")  # identity + bce_logits
        await pilot.pause()
        assert screen.ctl.scenario.model.loss == "bce_logits"
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.query(SettingsPanel)


@aio
async def test_settings_change_the_data_and_the_training():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("S")
        await pilot.pause()
        await to_row(pilot, "data set")
        await pilot.press("right")  # gate -> circles
        await pilot.pause()
        assert screen.ctl.scenario.data.kind == "circles"
        assert screen.ctl.dataset.n_train == 400
        assert "#table" not in [f"#{w.id}" for w in screen.query(TextPanel)]  # no truth table
        await to_row(pilot, "points")
        await typed(pilot, "200")
        assert screen.ctl.dataset.n_train == 200
        await to_row(pilot, "test share")
        await typed(pilot, "0.5")
        assert screen.ctl.dataset.n_test == 200
        await to_row(pilot, "data seed")
        await pilot.press("right")
        await pilot.pause()
        assert screen.ctl.scenario.data.get("seed") == 1 and screen.ctl.seed == 0
        await to_row(pilot, "optimizer")
        while screen.ctl.optimizer.kind != "adam":
            await pilot.press("right")
            await pilot.pause()
        assert "Adam β₁" in settings_text(app)
        await to_row(pilot, "Adam β₂")
        await typed(pilot, "0.99")
        assert screen.ctl.optimizer.settings["beta2"] == 0.99
        await to_row(pilot, "learning rate")
        await typed(pilot, "0.25")
        assert screen.ctl.optimizer.lr == 0.25
        await to_row(pilot, "batch size (0: all)")
        await typed(pilot, "16")
        assert screen.ctl.trainer.batch_size == 16
        await to_row(pilot, "L2")
        await typed(pilot, "0.001")
        assert screen.ctl.scenario.model.l2 == 0.001
        await to_row(pilot, "schedule")
        await pilot.press("right")  # step
        await pilot.pause()
        assert screen.ctl.optimizer.schedule_kind == "step"
        await to_row(pilot, "γ (lr factor)")
        await typed(pilot, "0.9")
        assert screen.ctl.scenario.training.gamma == 0.9
        await to_row(pilot, "init seed")
        await pilot.press("right")
        await pilot.pause()
        assert screen.ctl.seed == 1


@aio
async def test_a_bad_typed_value_gets_the_loaders_message_and_changes_nothing():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        ctl = screen.ctl
        await pilot.press("S")
        await pilot.pause()
        await to_row(pilot, "learning rate")
        await typed(pilot, "-1")
        message = settings_message(app)
        assert "xor.toml: optimizer.lr: must be at least 0.0, got -1.0 (nothing changed)" in message
        assert screen.ctl is ctl and ctl.optimizer.lr == 0.5
        await typed(pilot, "fast")
        assert "expected a number, got 'fast'" in settings_message(app)
        await to_row(pilot, "hidden 1: activation")
        while settings(app).current.value != "step":
            await pilot.press("right")
            await pilot.pause()
            if settings(app).current.value == "step" or "step has no" in settings_message(app):
                break
        assert "step has no gradient" in settings_message(app)
        assert screen.ctl.scenario.model.layers[0].activation != "step"
        await to_row(pilot, "epochs")
        await typed(pilot, "0")
        assert "training.epochs: must be at least 1, got 0" in settings_message(app)
        assert screen.ctl.trainer.epochs == 10000


@aio
async def test_the_element_cursor_types_and_nudges_a_weight_and_the_table_follows():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        table_before = panel(screen, "table")
        await pilot.press("E")
        await pilot.pause()
        cursor = screen.query_one(CursorPanel)
        assert cursor.has_focus and cursor.name_ == "W1"
        await pilot.press("right", "down")
        assert cursor.index == (1, 1)
        await pilot.press("3", ".", "5", "enter")
        await pilot.pause()
        assert screen.ctl.program.value("W1")[1, 1] == np.float32(3.5)
        assert panel(screen, "table") != table_before
        expected = screen.ctl.truth_table(screen.ctl.snapshot().params)
        assert f"{expected[1].p[0]:.3g}"[:4] in panel(screen, "table")
        await pilot.press("plus")
        await pilot.pause()
        assert screen.ctl.program.value("W1")[1, 1] == np.float32(3.6)
        await pilot.press("asterisk", "minus")
        await pilot.pause()
        assert screen.ctl.program.value("W1")[1, 1] == np.float32(np.float32(3.6) - 1.0)
        # a bad value: the message, no change
        await pilot.press("enter", "1", "e", "9", "9", "9", "enter")
        await pilot.pause()
        text = str(cursor.query_one("#cursor-message").render())
        assert "W1[1,1]: must be a finite number" in text and "nothing changed" in text
        assert screen.ctl.program.value("W1")[1, 1] == np.float32(np.float32(3.6) - 1.0)
        numbers = str(cursor.query_one("#cursor-numbers").render())
        assert "Edit W₁[1,1] of 2×4" in numbers and "training loss" in numbers
        await pilot.press("tab")
        assert cursor.name_ == "b1"
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.query(CursorPanel)


@aio
async def test_the_cursor_shows_the_gradient_and_the_optimizer_state():
    app = make_app("circles", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("s", "s")  # two Adam steps: m and v are set
        await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        ctl = screen.ctl
        numbers = str(screen.query_one("#cursor-numbers").render())
        m = float(ctl.optimizer.state_of("W1")["m"][0, 0])
        assert "adam m" in numbers and "v " in numbers
        from nnviz.tui import fmt

        assert f"m {fmt.num(m, 4)}" in numbers
        assert "∂L/∂W₁[0,0]" in numbers  # the last step's gradient is on show


@aio
async def test_the_and_gate_built_by_hand_marks_every_row_right():
    app = make_app("and-by-hand", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        assert "every row matches" not in panel(screen, "table")
        await pilot.press("E")
        await pilot.pause()
        await pilot.press("2", "0", "enter", "down", "2", "0", "enter", "tab")
        await pilot.press("enter", "minus", "3", "0", "enter")
        await pilot.pause()
        ctl = screen.ctl
        assert ctl.program.value("b1")[0, 0] == -30.0
        table = panel(screen, "table")
        assert "every row matches its target (4/4)" in table
        assert table.count("✓") == 4 and "✗" not in table


@aio
async def test_write_saves_the_setup_and_it_opens_again_bit_for_bit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("S")
        await pilot.pause()
        await to_row(pilot, "hidden 1: units")
        await pilot.press("right")
        await pilot.pause()
        await pilot.press("escape")
        assert not screen.query(SettingsPanel)
        await pilot.press("s", "s", "s")
        await pilot.pause()
        await pilot.press("W")
        await pilot.pause()
        assert isinstance(app.screen, SaveScreen)
        field = app.screen.query_one("Input")
        field.value = "mine"
        await pilot.press("enter")
        await pilot.pause()
        path = tmp_path / "mine.toml"
        assert path.is_file() and app.screen is screen
        shown = screen.ctl.model.params()
        # again: the file exists, n keeps it, y replaces it
        before = path.read_bytes()
        await pilot.press("W")
        await pilot.pause()
        app.screen.query_one("Input").value = "mine"
        await pilot.press("enter")
        await pilot.pause()
        assert "exists: overwrite it?" in str(app.screen.query_one("#save-message").render())
        await pilot.press("n")
        await pilot.pause()
        assert path.read_bytes() == before
        await pilot.press("escape")
        await pilot.pause()
    back = Controller(build(load_scenario(path), threads=1))
    assert back.program.shape("W1") == (2, 5)
    for name, value in shown.items():
        assert np.array_equal(back.model.params()[name], value), name
    assert [f.name for f in tmp_path.iterdir()] == ["mine.toml"]  # no temporary left over


@aio
async def test_the_written_file_opens_in_the_explorer_as_it_was(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app("circles", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("s")
        await pilot.pause()
        shown = screen.ctl.model.params()
        await pilot.press("W")
        await pilot.pause()
        app.screen.query_one("Input").value = "after-one-step"
        await pilot.press("enter")
        await pilot.pause()
    again = make_app(tmp_path / "after-one-step.toml", animate=False)
    async with again.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        assert isinstance(screen, ExplorerScreen)
        for name, value in shown.items():
            assert np.array_equal(screen.ctl.model.params()[name], value)


@aio
async def test_freezing_from_the_settings_keeps_the_run_and_the_layer_still():
    app = make_app("circles", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("s")
        await pilot.pause()
        ctl = screen.ctl
        await pilot.press("S")
        await pilot.pause()
        await to_row(pilot, "L1")
        await typed(pilot, "-1")
        assert "circles.toml: model.l1: must be at least 0.0" in settings_message(app)
        await to_row(pilot, "freeze hidden 1")
        await pilot.press("enter")
        await pilot.pause()
        assert "from the next update on" in settings_message(app)
        assert screen.ctl is ctl and ctl.trainer.steps == 1
        w1 = ctl.model.params()["W1"]
        await pilot.press("escape", "s", "s")
        await pilot.pause()
        assert ctl.trainer.steps == 3
        assert np.array_equal(ctl.model.params()["W1"], w1)


@aio
async def test_a_feature_toggle_shows_in_the_graph():
    app = make_app("circles", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("S")
        await pilot.pause()
        await to_row(pilot, "feature sin(x1)")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.ctl.scenario.data.features == ("x1", "x2", "sin(x1)")
        assert screen.ctl.program.shape("W1") == (3, 4)
        assert "3×4" in panel(screen, "graph")
        assert "feature sin(x1)                       on" in settings_text(app)


@aio
async def test_a_weight_typed_while_training_stops_the_training_first():
    app = make_app("circles", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("E")
        await pilot.pause()
        await press_busy(pilot, "p")  # the cursor leaves p to the explorer: training runs
        assert screen.playing == "fast"
        await press_busy(pilot, "7", "enter")
        await wait_idle(pilot, screen)
        assert not screen.playing
        assert screen.ctl.program.value("W1")[0, 0] == 7.0


@aio
async def test_the_remaining_settings_rows_gate_noise_hyperparameters_and_csv(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "points.csv").write_text("x1,x2,label\n0.1,0.2,0\n0.5,-1,1\n3,4,1\n1,1,0\n")
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("S")
        await pilot.pause()
        await to_row(pilot, "gate")
        await pilot.press("right")
        await pilot.pause()
        assert screen.ctl.scenario.data.get("gate") != "xor"
        await to_row(pilot, "data set")
        while screen.ctl.scenario.data.kind != "moons":
            await pilot.press("right")
            await pilot.pause()
        await to_row(pilot, "noise")
        await typed(pilot, "0.3")
        assert screen.ctl.scenario.data.get("noise") == 0.3
        await to_row(pilot, "optimizer")
        while screen.ctl.optimizer.kind != "momentum":
            await pilot.press("right")
            await pilot.pause()
        await to_row(pilot, "momentum β")
        await typed(pilot, "0.5")
        assert screen.ctl.optimizer.settings["momentum"] == 0.5
        await to_row(pilot, "weight decay")
        await typed(pilot, "0.01")
        assert screen.ctl.optimizer.settings["weight_decay"] == 0.01
        await to_row(pilot, "optimizer")
        while screen.ctl.optimizer.kind != "rmsprop":
            await pilot.press("right")
            await pilot.pause()
        await to_row(pilot, "RMSprop α")
        await typed(pilot, "0.9")
        await to_row(pilot, "ε")
        await typed(pilot, "1e-6")
        assert screen.ctl.optimizer.settings["alpha"] == 0.9
        assert screen.ctl.optimizer.settings["eps"] == 1e-6
        await to_row(pilot, "schedule")
        await pilot.press("right")  # step
        await pilot.pause()
        await to_row(pilot, "every (epochs)")
        await typed(pilot, "7")
        assert screen.ctl.scenario.training.schedule_step == 7
        await to_row(pilot, "your CSV file")
        await typed(pilot, "missing.csv")
        assert "data.path: no such file" in settings_message(app)
        assert screen.ctl.scenario.data.kind == "moons"
        await typed(pilot, "points.csv")
        assert screen.ctl.scenario.data.kind == "csv"
        assert screen.ctl.dataset.n_train == 4
