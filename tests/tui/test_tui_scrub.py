"""Time travel in the explorer: the history keys show a past step exactly as it was shown
live, stepping from it asks first, and ! explains the first NaN."""

from __future__ import annotations

from tui_helpers import aio, until, wait_idle, wait_open

from nnviz.explorer import START
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.tui import make_app
from nnviz.tui.screens.help import HelpScreen
from nnviz.tui.screens.nonfinite import NonFiniteScreen
from nnviz.tui.widgets.panels import TextPanel

SIZE = (120, 36)


def make_session(name: str):
    return build(load_scenario(name), threads=1)


def panel(screen, name: str) -> str:
    return screen.query_one(f"#{name}", TextPanel).plain


def status(screen) -> str:
    return str(screen.query_one("#status").render())


@aio
async def test_a_past_step_is_drawn_as_it_was_live():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        shown = {}
        for step in range(1, 6):
            await pilot.press("s")
            shown[step] = (panel(screen, "graph"), panel(screen, "inspector"),
                           panel(screen, "table"))  # fmt: skip
        await pilot.press("left", "left")
        assert screen.ctl.viewing == 3 and screen.snap.step == 3
        assert (panel(screen, "graph"), panel(screen, "inspector"), panel(screen, "table")) == \
            shown[3]  # fmt: skip
        past_curves = panel(screen, "training")
        await pilot.press("right")
        assert (panel(screen, "graph"), panel(screen, "inspector")) == shown[4][:2]
        await pilot.press("g")
        assert screen.snap.phase == START and screen.snap.step == 0
        await pilot.press("G")
        assert screen.ctl.viewing is None and screen.snap.step == 5
        assert panel(screen, "graph") == shown[5][0]
        # the cursor: a column of │ across the curves at the shown step's epoch, gone now
        assert past_curves.count("│") > panel(screen, "training").count("│")
        await pilot.press("right")  # nothing after the present
        assert screen.snap.step == 5


@aio
async def test_epoch_keys_go_to_the_ends_of_epochs():
    app = make_app("circles", animate=False)  # 4 batches an epoch
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        for _ in range(3):
            await pilot.press("e")
            await wait_idle(pilot, screen)
        await pilot.press("s")
        assert screen.ctl.present_step == 13
        await pilot.press("left_curly_bracket")
        assert screen.snap.step == 12
        await pilot.press("left_curly_bracket", "left_curly_bracket")
        assert screen.snap.step == 4 and screen.snap.batch_index == 0
        await pilot.press("right_curly_bracket")
        assert screen.snap.step == 8
        await pilot.press("left")
        assert screen.snap.step == 7 and screen.snap.epoch == 1


@aio
async def test_stepping_from_a_past_step_asks_then_drops_the_future():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        for _ in range(6):
            await pilot.press("s")
        await pilot.press("left", "left", "left")
        assert screen.ctl.viewing == 3
        await pilot.press("s")  # asks first: nothing is dropped yet
        assert screen.ctl.present_step == 6 and screen.ctl.viewing == 3
        assert "s again" in status(screen)
        await pilot.press("left")  # any history key keeps the future
        await pilot.press("s")
        assert screen.ctl.present_step == 6 and screen.ctl.viewing == 2
        await pilot.press("s")  # the same key again: continue from step 2
        assert screen.ctl.viewing is None and screen.ctl.present_step == 3
        assert screen.ctl.timeline.last_step == 3
        await pilot.press("G")
        assert screen.snap.step == 3


@aio
async def test_the_first_nan_is_found_and_explained():
    blowing_up = load_scenario("exercise1").with_overrides(lr=1e9)
    app = make_app("exercise1", animate=False, scenario=blowing_up)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("p")
        await wait_idle(pilot, screen)
        await pilot.press("exclamation_mark")
        await until(pilot, lambda: isinstance(app.screen, NonFiniteScreen))
        text = " ".join(app.screen.lines)
        report = screen.ctl.first_nonfinite()
        assert f"step {report.step}" in text and report.node in text
        assert "learning rate" in text
        await pilot.press("escape")
        assert app.screen is screen
        assert screen.ctl.node_name(screen.selected) == report.node


@aio
async def test_help_shows_the_history_budget():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_open(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-text").render())
        assert "history: every step kept" in text and "256 MiB budget" in text
        assert "Step back" in text and "First NaN" in text


@aio
async def test_a_run_without_history_says_so_and_keeps_none_through_a_reset():
    app = make_app("xor", animate=False, history_budget=None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        assert screen.ctl.timeline is None and screen.ctl.trainer.recorder is None
        await pilot.press("s", "s", "left")
        assert screen.ctl.viewing is None and screen.snap.step == 2  # nothing to go back to
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-text").render())
        assert "history: none kept" in text and "--history 0" in text
        await pilot.press("escape", "r")  # a reset: a new Controller, still without one
        await until(pilot, lambda: app.screen.ctl.trainer.steps == 0)
        assert app.screen.ctl.timeline is None and app.screen.ctl.history_budget is None


@aio
async def test_a_small_history_budget_reaches_the_history_and_a_past_step_is_as_shown_live():
    from nnviz.history import Timeline

    budget = 40 * Timeline(make_session("xor").trainer).row_bytes
    app = make_app("xor", animate=False, history_budget=budget)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        timeline = screen.ctl.timeline
        assert timeline.budget == budget and timeline.every > 1  # its run is spaced out
        live = {}
        for step in range(1, 7):
            await pilot.press("s")
            live[step] = (screen.snap.params.copy(), panel(screen, "inspector"))
        await pilot.press("left", "left")
        assert screen.ctl.viewing == 4
        assert (screen.snap.params == live[4][0]).all()
        assert panel(screen, "inspector") == live[4][1]
