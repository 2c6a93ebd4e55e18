"""The MNIST view's pace keys: the same as the explorer's (. faster, , slower, P full speed,
p and space play at the pace), the pace and the measured rates in the status line."""

from __future__ import annotations

from mnist_view_support import MnistApp, aio, small_session, wait_for

from nnviz.tui import pace as pacing
from nnviz.tui.mnist import MnistView

SIZE = (120, 40)


def _status(view: MnistView) -> str:
    return str(view.query_one("#mnist-status").render())


@aio
async def test_the_pace_keys_set_the_pace_and_play_at_it():
    session = small_session(epochs=1_000_000)
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(MnistView)
        assert view.pace == pacing.FULL and "pace full speed" in _status(view)
        await pilot.press("comma", "comma")
        assert view.pace == 30_000.0 and "pace 30k steps/s" in _status(view)
        view.pace = 30.0
        await pilot.press("p")
        await wait_for(lambda: session.trainer.steps >= 3 and view.redraws >= 2, pilot)
        assert "▶ 30 steps/s:" in _status(view) and "fps" in _status(view)
        view.action_full_speed()  # live, without a pause
        assert view.pace == pacing.FULL and view.training
        await wait_for(lambda: session.trainer.steps >= 60, pilot)
        await pilot.press("space")
        await wait_for(lambda: view.runs, pilot)
        assert view.runs[-1][0] == "paused" and not view.training
        assert "pace full speed" in _status(view)


@aio
async def test_training_stopped_before_its_thread_began_is_not_training():
    """Textual never runs a thread worker cancelled before its thread began: the view must not
    stay 'training' (every stepping key refused) waiting for it."""
    session = small_session(epochs=1_000_000)
    app = MnistApp(session)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.query_one(MnistView)
        view._start(None)
        view.stop_training()  # in the same callback: the worker's thread has not begun
        assert not view.training and not view.busy.is_set()
        await pilot.pause(0.3)
        assert session.trainer.steps == 0 and not view.runs
        await pilot.press("p")  # training starts again as usual
        await wait_for(lambda: session.trainer.steps >= 3, pilot)
        await pilot.press("space")
        await wait_for(lambda: view.runs, pilot)
