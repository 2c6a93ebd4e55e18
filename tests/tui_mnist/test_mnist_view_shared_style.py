"""The MNIST view under the one key map and on a small terminal, and its training worker
failing."""

from __future__ import annotations

from mnist_view_support import MnistApp, aio, small_session, wait_for

from nnviz.tui import keys
from nnviz.tui.mnist import MnistView
from nnviz.tui.screens.help import HelpScreen


def _failing_run(exc):
    def run(*args, **kwargs):
        raise exc
        yield  # a generator, as Trainer.run is

    return run


@aio
async def test_help_on_the_mnist_view_lists_its_keys_from_the_map():
    app = MnistApp(small_session())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for action in keys.MNIST + keys.APP:
            for entry in keys.entries(action):
                assert entry.description in text, entry
        assert "p, ␣" in text and "Slow play" not in text
        assert text.startswith("nnviz MNIST view: keys") and "explorer" not in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@aio
async def test_the_mnist_view_on_80x24_keeps_every_tab_reachable():
    app = MnistApp(small_session())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(MnistView)
        assert view.has_class("narrow") and view.side.display
        pane = view.query_one("#mnist-tab-network")
        assert pane.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert pane.scroll_y > 0
        await pilot.press("4")  # the other tabs take the whole width
        await pilot.pause()
        assert not view.side.display
        assert view.query_one("#mnist-confusion").size.width >= 70
        await pilot.press("1")
        await pilot.pause()
        assert view.side.display
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert view.side.scroll_y > 0


@aio
async def test_the_mnist_view_logs_a_bug_in_training_and_keeps_running(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    session = small_session()
    app = MnistApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.screen.query_one(MnistView)
        monkeypatch.setattr(session.trainer, "run", _failing_run(KeyError("W9")))
        await pilot.press("space")
        await wait_for(lambda: view.runs, pilot)
        assert view.runs[-1][0] == "error" and not view.training
        logs = sorted((tmp_path / "nnviz" / "logs").glob("*.log"))
        assert len(logs) == 1 and "KeyError: 'W9'" in logs[0].read_text(encoding="utf-8")
        status = str(view.query_one("#mnist-status").render())
        assert "training failed: KeyError: 'W9' (traceback in " in status
        assert str(logs[0]) in status
        await pilot.press("s")  # alive: a step by hand still works
        assert session.trainer.steps == 1


@aio
async def test_node_selection_and_follow_as_in_the_explorer():
    session = small_session()
    app = MnistApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.screen.query_one(MnistView)
        start = view.node
        await pilot.press("j")
        assert view.node == start + 1 and not view.follow
        assert app.screen.query_one("#mnist-tabs").active == "mnist-tab-backprop"
        await pilot.press("k", "k")
        assert view.node == start - 1
        await pilot.press("n")  # not following: the selection stays
        assert view.node == start - 1
        await pilot.press("f", "n")  # following again: the node just computed
        assert view.follow and view.node == view.stepper.last_node
