"""Every key of the explorer, pressed through Textual's Pilot, with the numbers on screen
compared with the engine's own."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from tui_helpers import FIXTURES, aio, press_busy, until, wait_idle, wait_open

from nnviz.explorer import DONE
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.tui import make_app
from nnviz.tui.draw.canvas import Canvas
from nnviz.tui.screens.explorer import ExplorerScreen
from nnviz.tui.screens.help import HelpScreen
from nnviz.tui.widgets.panels import TextPanel

SIZE = (100, 36)


def one_step_reference(name: str = "xor"):
    """A separately built session after one training step, the trainer's way."""
    session = build(load_scenario(name))
    session.trainer.feed_next_batch()
    session.optimizer.zero_grad()
    p = session.model.program
    p.forward()
    p.seed()
    p.backward()
    grads = {k: p.grad(k).copy() for k in p.params()}
    session.optimizer.step()
    return grads, p.params()


def panel(screen, name: str) -> str:
    return screen.query_one(f"#{name}", TextPanel).plain


@aio
async def test_micro_steps_show_the_engines_gradient_of_w1():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        assert isinstance(screen, ExplorerScreen)
        ctl = screen.ctl
        assert "compiling" not in panel(screen, "graph")
        # forward: one node a time, leaves skipped (xW1 z1 u1 u1W2 z2 p L)
        for _ in range(7):
            await pilot.press("n")
        assert screen.snap.forward_upto == ctl.n
        assert "→ ›L = " in panel(screen, "graph")  # the loss was computed last
        # backward: L p z2 u1W2 u1 z1 xW1
        for _ in range(7):
            await pilot.press("n")
        assert screen.snap.backward_from == 0 and ctl.phase != DONE
        await pilot.press("f")  # stop following the pass; select W1 by keys
        while ctl.node_name(screen.selected) != "W1":
            await pilot.press("up")
        await pilot.pause()
        shown = screen.shown["grad"]
        assert np.array_equal(shown, ctl.program.grad("W1"))
        grads, _ = one_step_reference()
        assert np.array_equal(shown, grads["W1"])
        # the chain rule with numbers sums to the same gradient, bit for bit
        assert np.array_equal(screen.shown["chain_total"], shown)
        text = panel(screen, "inspector")
        assert "chain rule" in text and "equals the engine's ∂L/∂W₁ (bit for bit)" in text
        # the numbers on screen read back (5 significant digits)
        assert "∂L/∂W₁" in text
        # the update: old, gradient, new, as the optimizer computed them
        await pilot.press("n")
        assert ctl.phase == DONE
        _, params = one_step_reference()
        assert np.array_equal(screen.shown["new"], params["W1"])
        assert "update 1 (sgd, lr 0.5)" in panel(screen, "inspector")


@aio
async def test_every_key():
    long_run = load_scenario("xor").with_overrides(epochs=10**6)  # play runs until paused
    app = make_app("xor", animate=False, scenario=long_run)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        ctl = screen.ctl
        # whole step, then a whole epoch (xor: one batch per epoch)
        await pilot.press("s")
        assert ctl.trainer.steps == 1 and screen.snap.step == 1
        await pilot.press("e")
        await wait_idle(pilot, screen)
        assert screen.ctl.trainer.steps == 2 and screen.snap.epoch == 2
        assert "epoch 2/1000000" in panel(screen, "training")
        # learning rate up and down, live
        await pilot.press("plus")
        assert screen.ctl.optimizer.lr == 1.0
        await pilot.press("minus", "minus")
        assert screen.ctl.optimizer.lr == 0.25
        assert "lr 0.25" in str(screen.query_one("#status").render())
        # samples of the batch
        await pilot.press("right_square_bracket")
        assert screen.sample == 1
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.sample == 3
        # node selection, follow, whole batch
        before = screen.selected
        await pilot.press("down")
        assert screen.selected == before + 1 and not screen.follow
        await pilot.press("up", "f")
        assert screen.selected == before and screen.follow
        await pilot.press("b")
        assert screen.whole
        await pilot.press("b")
        # colour / ASCII
        regions = screen.query_one("#regions", Canvas)
        assert regions.picture.rgb is not None
        await pilot.press("a")
        await pilot.pause()
        assert screen.ascii_mode and regions.picture.chars is not None
        # one character per class, blank where the network is unsure; the points O and X
        assert set("".join(regions.picture.chars)) <= set(".#OX ")
        assert {"O", "X"} <= set("".join(regions.picture.chars))
        await pilot.press("a")
        # numerical check of the selected parameter
        await pilot.press("c")
        report = screen.check_report
        assert report is not None and report.name == "W1" and report.results
        assert all(r.ok for r in report.results)
        assert "numerical check of ∂L/∂W₁" in panel(screen, "inspector")
        # help, and back
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        assert text.startswith("nnviz explorer: keys")
        for words in ("Micro-step", "Slow play", "New seed", "Grad check", "Quit"):
            assert words in text
        await pilot.press("escape")
        assert app.screen is screen
        # play at full speed, then pause
        await press_busy(pilot, "p")
        assert screen.playing == "fast"
        await until(pilot, lambda: screen.snap.step > 100)
        await press_busy(pilot, "p")
        await wait_idle(pilot, screen)
        steps = screen.ctl.trainer.steps
        assert steps > 100 and screen.snap.step == steps
        # slowed down
        await press_busy(pilot, "o")
        assert screen.playing == "slow"
        await until(pilot, lambda: screen.snap.step > steps)
        await press_busy(pilot, "o")
        await wait_idle(pilot, screen)
        assert screen.ctl.trainer.steps > steps
        # a micro-step while playing stops the worker first
        await press_busy(pilot, "p")
        await press_busy(pilot, "n", settle=0.2)
        await wait_idle(pilot, screen)
        assert screen.playing == "" and screen.ctl.phase == "forward"
        # reset (same seed), then a new seed
        w1 = build(long_run).model.program.value("W1").copy()
        await pilot.press("r")
        assert screen.ctl.trainer.steps == 0
        assert np.array_equal(screen.ctl.program.value("W1"), w1)
        await pilot.press("R")
        assert screen.ctl.seed == 1 and screen.ctl.trainer.steps == 0
        assert not np.array_equal(screen.ctl.program.value("W1"), w1)
        # one data set only: t says so and changes nothing
        await pilot.press("t")
        assert screen.ctl.dataset.name == "xor"
        await pilot.press("q")
    assert app.return_code == 0


@aio
async def test_ctrl_c_quits_while_training():
    app = make_app("xor", animate=False, scenario=load_scenario("xor").with_overrides(epochs=10**6))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await press_busy(pilot, "p", "ctrl+c")
        await pilot.pause()
    assert app.return_code == 0
    assert screen._idle.wait(2.0)


@aio
async def test_training_stopped_before_its_thread_began_stops_at_once():
    """Textual never runs a thread worker cancelled before its thread began: stop() must not
    wait for the thread to say it has let go of the engine."""
    app = make_app("xor", animate=False, scenario=load_scenario("xor").with_overrides(epochs=10**6))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        steps = screen.ctl.trainer.steps
        screen._start("fast")
        await asyncio.wait_for(screen.stop(), 5)  # no await between: the thread never began
        assert screen.playing == "" and screen._idle.is_set()
        await pilot.pause(0.3)
        assert screen.ctl.trainer.steps == steps  # and it never will
        await pilot.press("p")  # training starts again as usual
        await until(pilot, lambda: screen.ctl.trainer.steps > steps)
        await screen.stop()


@aio
async def test_next_table_and_the_perceptron_verdict():
    app = make_app("perceptron-step", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        assert screen.ctl.dataset.name == "or"
        await pilot.press("t", "t")
        assert screen.ctl.dataset.name == "xor"
        await pilot.press("n", "n", "n", "n")  # forward xW1, z1, a, L
        assert screen.ctl.update is None and screen.ctl.phase == "forward"
        await pilot.press("n")  # no backward pass: the perceptron rule updates at once
        assert screen.ctl.update is not None and screen.ctl.phase == DONE
        assert "perceptron rule (η = 0.1)" in panel(screen, "inspector")
        await pilot.press("P")
        await wait_idle(pilot, screen)
        text = panel(screen, "training")
        assert "XOR is not linearly separable: the perceptron rule never converges" in text
        assert "truth" not in text
        assert "x₁ x₂" in panel(screen, "table")


@aio
async def test_chain_forward_and_reverse_mode_side_by_side():
    app = make_app("chain", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        text = panel(screen, "modes-text")
        assert "∂f/∂x = 5" in text and "∂f/∂y = -1" in text
        assert "the two modes agree" in text
        await pilot.press("s")
        assert screen.ctl.program.grad("x")[0, 0] == 5.0
        await pilot.press("p")  # nothing to train
        assert screen.playing == ""
        await pilot.press("c")
        assert screen.check_report.name == "x" and screen.check_report.results[0].ok


@aio
async def test_own_file_and_curve_scenarios_open():
    for target in (str(FIXTURES / "own.toml"), "sine", "exercise1", "circles"):
        app = make_app(target, animate=False)
        async with app.run_test(size=SIZE) as pilot:
            screen = await wait_open(pilot)
            assert isinstance(screen, ExplorerScreen), target
            await pilot.press("s", "n")
            pic = screen.query_one("#regions", Canvas).picture
            assert pic.rgb is not None and pic.rgb.any()
            await pilot.press("a")
            await pilot.pause()
            assert screen.query_one("#regions", Canvas).picture.chars is not None


@aio
async def test_command_palette_switches_scenario():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        for ch in "chain":
            await pilot.press(ch)
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        screen = await wait_open(pilot)
        assert isinstance(screen, ExplorerScreen) and screen.ctl.scenario.name == "chain"


@aio
async def test_a_bad_scenario_shows_its_error_in_the_app():
    app = make_app(str(FIXTURES / "bad_layers.toml"), animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        text = str(screen.query_one("#error-message").render())
        assert "model.layers: expected an array" in text
        await pilot.press("q")
    assert app.return_code == 0


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@aio
async def test_sizes_from_80x24_up_and_resizing(size):
    app = make_app("xor", animate=False)
    async with app.run_test(size=size) as pilot:
        screen = await wait_open(pilot)
        assert not screen.query_one("#too-small").display
        await pilot.press("s")
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert not screen.query_one("#too-small").display
        await pilot.press("n")


@aio
async def test_too_small_terminal_gets_a_message():
    app = make_app("xor", animate=False)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await wait_open(pilot)
        note = screen.query_one("#too-small")
        assert note.display
        assert str(note.render()) == "terminal too small: need 80×24, have 60×20"
        assert not screen.query_one("#main").display
        await pilot.press("s")  # keys still work
        await pilot.resize_terminal(100, 36)
        await pilot.pause()
        assert not note.display and screen.query_one("#main").display
        await pilot.resize_terminal(20, 5)
        await pilot.pause()
        assert str(note.render()) == "terminal too small: need 80×24, have 20×5"


@aio
async def test_keys_work_while_training_and_lr_changes_live():
    long_run = load_scenario("circles").with_overrides(epochs=10**5)
    app = make_app("circles", animate=False, scenario=long_run)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await press_busy(pilot, "p")
        before = screen.selected
        await press_busy(pilot, "down", "plus")
        assert screen.playing == "fast"
        assert screen.selected == before + 1
        assert screen.ctl.optimizer.lr == 0.06  # the running worker reads it at every step
        frames = screen.frames
        await pilot.pause(0.3)
        assert screen.frames > frames  # frames keep coming
        await press_busy(pilot, "p")
        await wait_idle(pilot, screen)
        assert screen.snap.lr == 0.06


@aio
async def test_divergence_is_said_not_crashed():
    blowing_up = load_scenario("exercise1").with_overrides(lr=1e9)
    app = make_app("exercise1", animate=False, scenario=blowing_up)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("P")
        await wait_idle(pilot, screen)
        text = panel(screen, "training")
        assert "training stopped at step 4" in text and "smaller learning rate" in text
        assert " step 4 " in str(screen.query_one("#status").render())  # the same step
        await pilot.press("P")  # over: it says so
        assert "training is over" in str(screen.query_one("#status").render())
        await pilot.press("r", "o")  # by hand, in slow play, it stops there too
        await wait_idle(pilot, screen)
        text = panel(screen, "training")
        assert "at step 4 " in text and "the loss became NaN or infinite" in text
        assert screen.ctl.trainer.steps == 4
        assert " step 4 " in str(screen.query_one("#status").render())  # the message's step
