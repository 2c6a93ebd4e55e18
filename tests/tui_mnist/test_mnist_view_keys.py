"""The MNIST view driven by its keys (Pilot), in the small app that hosts it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mnist_view_support import N_TEST, MnistApp, aio, small_session, wait_for

from nnviz.stepper import BACKWARD, FORWARD, IDLE, UPDATE
from nnviz.tui.draw.canvas import ImageView as Picture
from nnviz.tui.mnist import MnistScreen, MnistView, wants_mnist_view
from nnviz.tui.mnist.widgets import MatrixView, RegionMap

SIZE = (120, 40)


def _view(app) -> MnistView:
    return app.screen.query_one(MnistView)


def _text(view: MnistView, selector: str) -> str:
    return str(view.query_one(selector).render())


@aio
async def test_samples_and_hidden_units_change_with_their_keys():
    session = small_session()
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        assert view.sample == 0 and view.unit == 0
        first = view.query_one("#mnist-sample-picture", Picture).text
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert view.sample == 2
        assert view.query_one("#mnist-sample-picture", Picture).text == first  # half-blocks only
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert view.sample == N_TEST - 1  # wraps around
        label = int(session.dataset.labels_test[view.sample])
        assert f"label {label}" in _text(view, "#mnist-sample-caption")
        # The bars are the engine's p for this digit.
        p = session.model.output(session.dataset.x_test[view.sample : view.sample + 1])[0]
        assert np.allclose(view.live.probs, p)
        assert f"{p[int(np.argmax(p))]:6.1%}".strip() in _text(view, "#mnist-sample-probs")
        await pilot.press("u", "u", "u", "U")
        assert view.unit == 2
        assert "hidden unit 2 of 100" in _text(view, "#mnist-unit-title")
        await pilot.press("U", "U", "U")
        assert view.unit == 99


@aio
async def test_ascii_mode_draws_shading_characters():
    app = MnistApp(small_session())
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        assert set(view.query_one("#mnist-sample-picture", Picture).text) <= {"▀", "\n"}
        await pilot.press("a")
        digit = view.query_one("#mnist-sample-picture", Picture).text
        assert "▀" not in digit and "@" in digit and " " in digit
        assert "▀" not in view.query_one("#mnist-unit-picture", Picture).text
        await pilot.press("3")
        await pilot.pause()
        regions = view.query_one("#mnist-regions", RegionMap).text
        assert regions and set(regions) <= set("0123456789\n")


@aio
async def test_a_batch_stepped_forward_and_backward_by_node():
    session = small_session()
    app = MnistApp(session)
    n = len(session.model.program)
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        w1 = session.model.value("W1").copy()
        await pilot.press("b")  # not a step key here (the explorer's whole-batch switch)
        assert view.stepper.phase == IDLE
        await pilot.press("n")  # feeds a batch and computes the first node
        assert view.stepper.phase == FORWARD
        assert app.screen.query_one("#mnist-tabs").active == "mnist-tab-backprop"
        for _ in range(n):
            if view.stepper.phase != FORWARD:
                break
            await pilot.press("n")
        assert view.stepper.phase == BACKWARD
        assert "backward 0/13" in _text(view, "#mnist-step-status")
        await pilot.press("n")  # seeds and runs L's rule: ∂L/∂z2 is complete
        check = _text(view, "#mnist-softmax-check")
        assert "rows·∂L/∂z2" in check and "max |difference|" in check
        err = float(check.rsplit("=", 1)[1])
        assert err < 1e-5
        for _ in range(n - 1):
            if view.stepper.phase != BACKWARD:
                break
            await pilot.press("n")
        assert view.stepper.phase == UPDATE
        assert np.array_equal(session.model.value("W1"), w1)
        await pilot.press("n")  # the update
        assert view.stepper.phase == IDLE and session.trainer.steps == 1
        assert not np.array_equal(session.model.value("W1"), w1)
        await pilot.press("s")  # a whole step at once
        assert session.trainer.steps == 2


@aio
async def test_inspector_drills_down_to_single_elements():
    session = small_session()
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        await pilot.press("s", "2")
        node_list = app.screen.query_one("#mnist-node-list")
        node_list.highlighted = session.model.program.find("W1")
        await pilot.pause()
        summary = _text(view, "#mnist-node-summary")
        w1 = session.model.value("W1")
        assert "W1 = parameter" in summary and "(784, 100)" in summary
        assert f"{w1.mean():+.4g}" in summary and f"{w1.max():+.4g}" in summary
        matrix = app.screen.query_one("#mnist-node-matrix", MatrixView)
        matrix.focus()
        await pilot.press("down", "down", "right")
        assert (matrix.row, matrix.col) == (2, 1)
        info = _text(view, "#mnist-element-info")
        assert f"W1[2, 1] = {w1[2, 1]:+.6g}" in info
        assert f"∂L/∂W1[2, 1] = {session.model.grad('W1')[2, 1]:+.6g}" in info
        assert "pixel (0, 2) → hidden unit 1" in info
        await pilot.press("v")
        assert matrix.name_text == "∂L/∂W1"


@aio
async def test_train_an_epoch_fills_the_confusion_matrix():
    session = small_session(epochs=3)
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        await pilot.press("4", "e")
        await wait_for(lambda: view.runs, pilot)
        assert view.runs[-1][0] == "epoch"
        assert session.trainer.epoch == 1 and len(view.history) == 1
        data = view.epoch_data
        assert data.confusion.shape == (10, 10)
        assert data.confusion.sum() == N_TEST == session.dataset.n_test
        assert data.accuracy == pytest.approx(view.history[0]["test_accuracy"])
        assert "after epoch 1" in _text(view, "#mnist-confusion")
        assert "test digits right" in _text(view, "#mnist-confusion")
        # Mistakes: m steps to the misclassified digits.
        wrong = np.flatnonzero(data.preds != session.dataset.labels_test)
        await pilot.press("m")
        assert view.sample == wrong[0]
        await pilot.press("m")
        assert view.sample == wrong[1]
        await pilot.press("5")
        await pilot.pause()
        caption = _text(view, "#mnist-mistake-caption-0")
        assert f"#{wrong[1]} true {session.dataset.labels_test[wrong[1]]}" in caption


@aio
async def test_play_then_pause():
    session = small_session(epochs=1_000_000)
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        await pilot.press("p")
        await wait_for(lambda: view.redraws >= 2, pilot)
        view.action_micro()  # refused while training (a key press would wait for idle)
        assert view.stepper.phase == IDLE
        await pilot.press("space")
        await wait_for(lambda: view.runs, pilot)
        assert view.runs[-1][0] == "paused"
        assert session.trainer.steps > 0 and session.trainer.epoch < 1_000_000
        assert not view.training


def test_the_view_is_for_image_sessions_only():
    assert wants_mnist_view(small_session())
    from nnviz.scenario import load_scenario
    from nnviz.session import build

    xor = build(load_scenario("xor"))
    assert not wants_mnist_view(xor)
    with pytest.raises(ValueError):
        MnistView(xor)


@aio
async def test_mnist_relu_works_the_same():
    session = small_session("mnist-relu")
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        assert view.n_hidden == 512
        await pilot.press("U")
        assert "hidden unit 511 of 512" in _text(view, "#mnist-unit-title")
        await pilot.press("e")
        await wait_for(lambda: view.runs, pilot)
        assert view.epoch_data.confusion.sum() == N_TEST
        await pilot.press("s")
        assert session.trainer.steps == session.trainer.batches_per_epoch + 1


@aio
async def test_the_screen_stops_training_when_cancelled():
    # far more epochs than the run can finish before cancel(): 500 of 1,000 samples could
    session = small_session(epochs=1_000_000)
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        await pilot.press("space")
        await wait_for(lambda: view.redraws >= 1, pilot)
        assert isinstance(app.screen, MnistScreen)
        app.screen.cancel()
        await wait_for(lambda: view.runs, pilot)
        assert view.runs[-1][0] == "paused"


FASHION = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist


@pytest.mark.skipif(not FASHION.is_dir(), reason="Fashion-MNIST IDX files not installed")
@aio
async def test_an_idx_set_from_a_data_dir():
    session = small_session(source="full", data_dir=FASHION, n_train=600, n_test=300)
    assert str(FASHION) in session.dataset.source
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = _view(app)
        await pilot.press("right_square_bracket", "s")
        assert view.sample == 1 and session.trainer.steps == 1
        assert str(FASHION) in _text(view, "#mnist-status")


@aio
async def test_the_explorer_opens_this_view_for_mnist():
    from nnviz.tui import make_app

    session = small_session()
    app = make_app("mnist", session=session, scenario=session.scenario, animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: isinstance(app.screen, MnistScreen), pilot)
        await pilot.pause()
        view = _view(app)
        await pilot.press("3")
        await pilot.pause()
        # The explorer's own stylesheet must not reshape this view (ids are prefixed).
        assert view.query_one("#mnist-regions", RegionMap).size.height > 20
        await pilot.press("right_square_bracket")
        assert view.sample == 1
