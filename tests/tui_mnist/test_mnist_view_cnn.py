"""A convolutional network in the MNIST view: the Filters tab's filters, feature maps, receptive
field and a filter weight's gradient, whose arithmetic is recomputed from the shown numbers."""

from __future__ import annotations

import re

import numpy as np
from mnist_view_support import MnistApp, aio, small_session, wait_for

from nnviz import convolution
from nnviz.tui.mnist import MnistView
from nnviz.tui.mnist.filters import FiltersPane, kernel_matrix
from nnviz.tui.mnist.live import take_live
from nnviz.tui.mnist.widgets import MatrixView

SIZE = (120, 36)


def _cnn():
    return small_session("mnist-cnn", n_train=300, n_test=100)


def _text(view: MnistView, selector: str) -> str:
    return str(view.query_one(selector).render())


def test_stages_and_feature_maps_are_the_engines_values():
    session = _cnn()
    program = session.model.program
    stages = convolution.stages(program)
    assert [(s.conv, s.activation, s.pool, s.filters, s.channels) for s in stages] == [
        ("z1", "u1", "m2", 8, 1),
        ("z3", "u3", "m4", 16, 8),
    ]
    live = take_live(session, 5)
    row = session.dataset.x_test[5:6]
    for name in ("z1", "u1", "m2", "z3", "u3", "m4"):
        expected = session.model.output(row, node=name)[0].reshape(program.image(name))
        np.testing.assert_array_equal(live.maps[name], expected)
    np.testing.assert_array_equal(live.maps["u1"], np.maximum(live.maps["z1"], 0))
    np.testing.assert_array_equal(live.maps["x"].ravel(), row[0])
    w3 = session.model.value("W3")
    np.testing.assert_array_equal(live.filters["z3"].reshape(16, -1), w3)


def test_kernel_matrix_puts_channels_side_by_side():
    kernel = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    m = kernel_matrix(kernel)
    assert m.shape == (3, 6)
    for c in range(2):
        for u in range(3):
            for v in range(3):
                assert m[u, c * 3 + v] == kernel[c, u, v]


def _numbers(pattern: str, text: str) -> list[tuple[float, ...]]:
    return [tuple(float(g) for g in m.groups()) for m in re.finditer(pattern, text)]


NUM = r"(-?[0-9.]+(?:e[-+]?[0-9]+)?)"


def _check_gradient_arithmetic(text: str) -> float:
    """Recompute every shown product and sum from the shown numbers; returns the total."""
    products = _numbers(rf"= {NUM} × {NUM} = {NUM}\n", text)
    assert len(products) == 6
    for a, b, p in products:
        assert abs(a * b - p) <= 1e-3 * abs(p) + 1e-12, (a, b, p)
    (rest,) = _numbers(rf"products = {NUM}\n", text)[0]
    (share,) = _numbers(rf"share = {NUM}\n", text)[0]
    listed = sum(p for _, _, p in products)
    scale = max([abs(p) for *_, p in products] + [abs(rest), abs(share)])
    assert abs(listed + rest - share) <= 2e-3 * scale, (listed, rest, share)
    (others,) = _numbers(rf"shares = {NUM}\n", text)[0]
    total, engine = _numbers(rf"  = {NUM}   ✓ the engine's ∂L/∂W\d\[\d+, \d+\] = {NUM}", text)[0]
    assert abs(share + others - total) <= 2e-3 * max(abs(share), abs(others), abs(total))
    assert abs(total - engine) <= 1e-3 * abs(engine) + 1e-9
    return engine


@aio
async def test_filters_tab_shows_filters_maps_field_and_the_weight_gradient():
    session = _cnn()
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(MnistView)
        pane = view.query_one(FiltersPane)
        await wait_for(lambda: "conv stage 1 of 2" in _text(view, "#mnist-conv-title"), pilot)
        assert "filter 0 of 8 · u/U: 1 of 24" in _text(view, "#mnist-conv-title")
        # no gradient before a backward pass
        assert "step by hand" in _text(view, "#mnist-conv-grad")
        # the receptive field of the cell in view is the one the geometry gives
        program = session.model.program
        i, j = pane.cell
        top, bottom, left, right = convolution.receptive_field(program, "m2", i, j)
        caption = _text(view, "#mnist-conv-field-caption")
        assert f"input rows {top}–{bottom - 1}, cols {left}–{right - 1}" in caption
        assert (bottom - top, right - left) == (6, 6)  # 2×2 pooling of 5×5 windows
        # the cell cursor moves the field
        cells = view.query_one("#mnist-conv-cells", MatrixView)
        cells.focus()
        await pilot.press("home", "down", "right")
        assert pane.cell == (1, 1)
        assert "input rows 2–7, cols 2–7" in _text(view, "#mnist-conv-field-caption")
        # a whole step by hand: the gradient of W1[0, 0] as patch × upstream, which adds up
        view.focus()
        await pilot.press("s")
        await pilot.pause()
        assert view.tab == "mnist-tab-network"  # the Filters tab stays in view
        text = _text(view, "#mnist-conv-grad")
        assert text.startswith("∂L/∂W1[0, 0]")
        engine = _check_gradient_arithmetic(text)
        rows = view.stepper.rows
        assert f"(row {int(rows[0])})" in text
        # the engine's number is what its VJP rule gave the weight in that step
        g = convolution.weight_gradient(program, "z1", 0, 0, 0, 0)
        assert abs(g.engine - engine) <= 1e-3 * abs(g.engine) + 1e-9
        # another weight: the kernel cursor
        kernel = view.query_one("#mnist-conv-kernel", MatrixView)
        kernel.focus()
        await pilot.press("down", "right", "right")
        assert pane.weight == (1, 2)
        text = _text(view, "#mnist-conv-grad")
        assert text.startswith("∂L/∂W1[0, 7]  (filter 0, channel 0, kernel row 1, col 2)")
        _check_gradient_arithmetic(text)
        # the second stage: u moves through every filter of both stages
        view.focus()
        for _ in range(8):
            await pilot.press("u")
        assert "conv stage 2 of 2" in _text(view, "#mnist-conv-title")
        assert "filter 0 of 16" in _text(view, "#mnist-conv-title")
        text = _text(view, "#mnist-conv-grad")
        assert text.startswith("∂L/∂W3[0, ")
        _check_gradient_arithmetic(text)


@aio
async def test_micro_steps_show_the_gradient_once_the_conv_rule_has_run():
    session = _cnn()
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(MnistView)
        await wait_for(lambda: "conv stage" in _text(view, "#mnist-conv-title"), pilot)
        conv = session.model.program.find("z1")
        seen_before = False
        for _ in range(60):
            await pilot.press("n")
            ready = view.stepper.backward_done(conv)
            text = _text(view, "#mnist-conv-grad")
            if ready:
                assert text.startswith("∂L/∂W1[0, 0]")
                _check_gradient_arithmetic(text)
                break
            assert "step by hand" in text
            seen_before = True
        assert seen_before and view.stepper.backward_done(conv)
