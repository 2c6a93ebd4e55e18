"""The explorer's panes and side panels by keyboard at 80×24 (focus, scrolling, the panel
switcher, the summary, hidden units paged), its reactive state, and the pictures' parts a
student reads: curves with axes, the regions' legend and toggles."""

from __future__ import annotations

import re

import numpy as np
from rich.text import Text
from tui_helpers import aio, wait_idle, wait_open

from nnviz.explorer import Controller
from nnviz.regions import hidden_nodes
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.tui import make_app
from nnviz.tui.draw.canvas import Canvas
from nnviz.tui.draw.plot import Series, line_chart
from nnviz.tui.widgets.panels import TextPanel, cell_text, training_text

SMALL = (80, 24)


def panel(screen, name: str) -> str:
    return screen.query_one(f"#{name}", TextPanel).plain


def trained(name: str, **overrides) -> Controller:
    ctl = Controller(build(load_scenario(name).with_overrides(**overrides)))
    for event in ctl.trainer.run():
        ctl.after_training(event)
    return ctl


@aio
async def test_tab_moves_the_focus_and_the_keys_scroll_the_focused_pane():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SMALL) as pilot:
        screen = await wait_open(pilot)
        graph, inspector, side = (screen.query_one(f"#{p}") for p in PANES)
        assert screen.focused is graph
        first = screen.selected
        await pilot.press("down")  # the graph: selects
        assert screen.selected == first + 1
        await pilot.press("end")
        assert screen.selected == screen.ctl.n - 1
        await pilot.press("home")
        assert screen.selected == 0
        await pilot.press("f", *["n"] * 10)  # a long chain rule in the inspector
        await pilot.press("tab")
        assert screen.focused is inspector and inspector.max_scroll_y > 0
        selected = screen.selected
        await pilot.press("down", "down")  # the inspector: scrolls, the selection stays
        await pilot.pause()
        assert inspector.scroll_y == 2 and screen.selected == selected
        await pilot.press("end")
        await pilot.pause()
        assert inspector.scroll_y == inspector.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert inspector.scroll_y == 0
        await pilot.press("tab")
        assert screen.focused is side
        await pilot.press("tab")
        assert screen.focused is graph
        await pilot.press("shift+tab")
        assert screen.focused is side


PANES = ("graph-box", "inspector-box", "right")


@aio
async def test_w_goes_through_the_side_panels_and_i_shows_the_summary():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SMALL) as pilot:
        screen = await wait_open(pilot)
        switcher = screen.query_one("#panels")
        seen = [switcher.current]
        for _ in range(4):
            await pilot.press("w")
            seen.append(switcher.current)
        assert seen == [f"panel-{p}" for p in ("regions", "curves", "table", "units", "summary")]
        await pilot.press("w")
        assert switcher.current == "panel-regions"
        assert "Decision regions 1/5" in str(screen.query_one("#side-title").render())
        await pilot.press("i")
        assert switcher.current == "panel-summary"
        text = panel(screen, "summary-text")
        # the engine's parameters, counted here from its buffers: 2·4 + 4 + 4·1 + 1
        program = screen.ctl.program
        total = sum(program.value(k).size for k in program.params())
        assert total == 17 and f"Total params: {total}" in text
        assert "dense_1 (sigmoid)" in text and "optimizer: sgd (lr=0.5" in text
        await pilot.press("i")
        assert switcher.current == "panel-regions"


@aio
async def test_after_a_step_the_inspector_shows_the_update_block():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SMALL) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("s")
        await pilot.pause()
        box = screen.query_one("#inspector-box")
        top = int(box.scroll_y)
        first_shown = screen.query_one("#inspector").render_line(top).text
        assert top > 0 and first_shown.startswith("update 1 (sgd, lr 0.5)")


@aio
async def test_hidden_units_are_paged_and_every_unit_of_every_layer_is_drawn():
    app = make_app("spiral", animate=False)
    async with app.run_test(size=SMALL) as pilot:
        screen = await wait_open(pilot)
        probe = screen.ctl.probe
        every = {(n, u) for n in hidden_nodes(probe) for u in range(probe.graph.node(n).cols)}
        assert len(every) == 32 and {n for n, _ in every} == {"u1", "u2"}
        await pilot.press("u")  # first u: the units panel
        assert screen.query_one("#panels").current == "panel-units"
        canvas = screen.query_one("#units", Canvas)
        drawn: set = set()
        pages = None
        for _ in range(40):
            await pilot.pause()
            canvas.picture  # noqa: B018 (paints the page the canvas shows)
            await pilot.pause()
            shown, page, pages, scales = screen._units_title[:4]
            drawn |= set(shown)
            # one scale per layer, tanh's −1 … 1 for both
            assert dict(scales) == {name: (-1.0, 1.0) for name, _ in shown}
            if page == pages - 1:
                break
            await pilot.press("u")
        assert pages > 1 and drawn == every
        text = panel(screen, "units-title")
        assert f"page {pages}/{pages}" in text and "u₂[15]" in text


def test_the_loss_chart_has_epoch_and_value_ticks_and_a_log_scale():
    xs = np.arange(1, 101)
    ys = 2.0 * 0.95**xs
    text = line_chart([Series("train", xs, ys, "yellow", "*")], 40, 8).plain
    lines = text.splitlines()
    assert len(lines) == 10  # 8 rows of plot, the axis, the epoch labels
    assert lines[0].split("┤")[0].strip() == "1.9"  # 2·0.95, the first value
    assert lines[7].split("┤")[0].strip() == "0.012"  # 2·0.95¹⁰⁰, the last value
    assert "┬" in lines[8] and re.search(r"\b1\b.*\b50\b.*\b100\b", lines[9])
    log = line_chart([Series("train", xs, ys, "yellow", "*")], 40, 8, log=True).plain
    assert "0.1 ┤" in log or "1 ┤" in log  # a decade between the ends
    assert log != text


def test_training_text_shows_train_and_test_loss_and_accuracy_on_0_to_1():
    ctl = trained("spiral", epochs=20)
    snap = ctl.snapshot()
    assert snap.test_losses is not None and np.isfinite(snap.test_losses).sum() == 20
    # the test loss is the engine's evaluation after the last epoch
    loss, _ = ctl.model.evaluate(ctl.trainer.x_test, ctl.trainer.y_test)
    assert np.isclose(snap.test_losses[-1], loss, rtol=1e-6)
    text = training_text(ctl, snap, 50, ascii_mode=True, height=24).plain
    assert "test loss" in text and "━" not in text
    assert "* train" in text and "o test" in text
    assert "accuracy (0 … 1)" in text
    assert re.search(r"^\s+1 ┤", text, re.M) and re.search(r"^\s+0 ┤", text, re.M)
    assert "(log scale)" in training_text(ctl, snap, 50, True, height=24, log=True).plain
    marked = training_text(ctl, snap, 50, True, height=24, mark_epoch=10).plain
    assert "|" in marked and marked != text


def test_a_blow_up_shows_on_the_curve_and_where_it_stopped():
    ctl = trained("sine", optimizer="sgd", lr=3.0, epochs=200)
    snap = ctl.snapshot()
    assert snap.diverged_epoch is not None
    text = training_text(ctl, snap, 50, False, height=20, log=True).plain
    assert "✗" in text and f"not finite from epoch {snap.diverged_epoch}" in text
    top = float(text.split("┤")[0].split("\n")[-1])  # the first tick: the largest loss
    assert top > 1e30


def test_a_matrix_in_the_graph_shows_its_range():
    w = np.array([[0.19, -0.32], [0.44, 0.58]])
    assert cell_text(w, 10) == "-.32….58"
    assert cell_text(np.array([[1.0, np.nan], [2.0, 3.0]]), 12) == "3/4 finite"
    assert cell_text(np.array([0.5]), 8) == "0.5"


@aio
async def test_regions_legend_discrete_toggle_points_and_test_points():
    app = make_app("spiral", animate=False, ascii=True)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("e")
        await wait_idle(pilot, screen)
        canvas = screen.query_one("#regions", Canvas)
        shaded = "".join(canvas.picture.chars)
        # training points O X, test points o x; the legend says which is which
        assert {"O", "X", "o", "x"} <= set(shaded)
        legend = panel(screen, "legend")
        assert "OX train data" in legend and "ox test data" in legend
        assert "' ' undecided" in legend
        await pilot.press("d")
        await pilot.pause()
        discrete = "".join(canvas.picture.chars)
        assert " " not in discrete.replace("\n", "") and discrete != shaded
        assert "the class the network predicts" in panel(screen, "legend")
        await pilot.press("h")
        await pilot.pause()
        assert not {"O", "X", "o", "x"} & set("".join(canvas.picture.chars))
        assert "h: show points" in panel(screen, "legend")
        # a larger terminal: a finer grid (about square: as wide as twice its rows)
        rows = canvas.size.height
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        await pilot.pause()
        assert canvas.size.height > rows


@aio
async def test_state_changes_redraw_by_themselves():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SMALL) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("s", "f")
        screen.selected = screen.ctl.graph.find("z2")  # a node computed per sample
        await pilot.pause()
        before = panel(screen, "inspector")
        assert "z₂ = u₁·W₂ + b₂" in before and "sample 1 of 4" in before
        screen.sample = 2  # a reactive attribute: its watcher redraws what shows it
        await pilot.pause()
        assert "sample 3 of 4" in panel(screen, "inspector") and before != panel(
            screen, "inspector"
        )
        assert "sample 3/4" in str(screen.query_one("#status").render())
        frames = screen.frames
        screen.show(screen.ctl.snapshot())
        await pilot.pause()
        assert screen.frames == frames + 1
        screen.side = "curves"
        await pilot.pause()
        assert screen.query_one("#panels").current == "panel-curves"


@aio
async def test_a_panel_refits_its_text_when_only_its_width_changes_and_knows_each_line_s_row():
    """The explorer scrolls the inspector to the row where its update line starts: that row
    must be the one shown at the panel's present width (a scrollbar appearing narrows it by a
    column with the text unchanged)."""
    from textual.app import App

    words = " ".join(f"w{k:02d}" for k in range(30))
    lines = ["title", words, "short", words, "target line", words]

    class One(App):
        def compose(self):
            yield TextPanel(id="p")

    app = One()
    async with app.run_test(size=(60, 20)) as pilot:
        p = app.query_one("#p", TextPanel)
        p.styles.width = 48
        await pilot.pause()
        p.show(lambda width: Text("\n".join(lines)))
        for width in (48, 47, 31, 48):
            p.styles.width = width
            await pilot.pause()
            await pilot.pause()
            assert p.size.width == width
            shown = [p.render_line(y).text.rstrip() for y in range(p.size.height)]
            assert all(len(row) <= width for row in shown), (width, shown)
            for k, line in enumerate(lines):
                assert shown[p.row_of(k)].split()[0] == line.split()[0], (width, k, shown)
            assert shown[p.row_of(4)] == "target line"
            # the rows are rich's wrapping at this width: words never split, nothing lost
            assert " ".join(" ".join(shown).split()) == " ".join(" ".join(lines).split())
