"""The MNIST view's history keys: a past step on every tab, the live engine left alone."""

from __future__ import annotations

import numpy as np
from mnist_view_support import MnistApp, aio, small_session, wait_for

from nnviz.explorer import Controller
from nnviz.tui.mnist.view import MnistView

SIZE = (120, 40)


class HistoryApp(MnistApp):
    """The MNIST screen with the app's Controller, as NnvizApp has it."""

    def __init__(self, session):
        super().__init__(session)
        self.controller = Controller(session)


@aio
async def test_a_past_step_is_shown_on_the_tabs_and_the_present_comes_back():
    session = small_session(epochs=3)
    app = HistoryApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(MnistView)
        await pilot.press("e")
        await wait_for(lambda: view.runs, pilot)
        seen = {}
        for _ in range(3):
            await pilot.press("s")
            step = session.trainer.steps
            seen[step] = (
                view.live.W1.copy(),
                view.epoch_data.preds.copy(),
                session.model.program.values[: session.model.program.n_param].copy(),
            )
        present = session.trainer.steps
        await pilot.press("left", "left")
        assert view.session is not session and view.session.trainer.steps == present - 2
        w1, preds, params = seen[present - 2]
        assert np.array_equal(view.live.W1, w1) and np.array_equal(view.epoch_data.preds, preds)
        shown = view.session.model.program
        assert np.array_equal(shown.values[: shown.n_param], params)
        assert "step" in str(app.screen.query_one("#mnist-status").render())
        # the live engine was not touched
        assert session.trainer.steps == present
        await pilot.press("2")  # the Backprop tab draws the past step's batch
        await pilot.press("G")
        assert view.session is session and np.array_equal(view.live.W1, seen[present][0])
        # from a past step, stepping asks first, then continues from it
        await pilot.press("left", "s")
        assert session.trainer.steps == present and view.session is not session
        await pilot.press("s")
        assert view.session is session and session.trainer.steps == present
        assert app.controller.timeline.last_step == present
