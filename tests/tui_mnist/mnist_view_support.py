"""Helpers for the MNIST view's tests: small sessions on the bundled sample, a minimal App around
the view, waiting on the app."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import replace

from textual.app import App

from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.tui import keys
from nnviz.tui.app import help_rows
from nnviz.tui.mnist import MnistScreen

N_TRAIN, N_TEST = 1000, 500


def small_session(
    name: str = "mnist",
    epochs: int = 1,
    n_train: int = N_TRAIN,
    n_test: int = N_TEST,
    source: str = "sample",
    data_dir=None,
):
    """The shipped scenario on the first rows of the bundled sample (or of data_dir's set)."""
    scenario = load_scenario(name).with_overrides(epochs=epochs)
    params = (("source", source), ("limit_train", n_train), ("limit_test", n_test))
    data = replace(scenario.data, params=params)
    return build(replace(scenario, data=data), data_dir=data_dir)


async def wait_for(predicate, pilot, timeout: float = 30.0) -> None:
    """Let the app run until predicate() holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("timed out waiting for the view")
        await pilot.pause(0.02)


def aio(fn):
    """Run an async test in its own event loop (no async pytest plugin is needed)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


class MnistApp(App):
    """Just the MNIST screen, with the app's keys (quit, help)."""

    TITLE = "nnviz"
    BINDINGS = keys.bindings(keys.APP)

    def __init__(self, session, **view_options):
        super().__init__()
        self.session = session
        self.view_options = view_options

    def on_mount(self) -> None:
        self.push_screen(MnistScreen(self.session, **self.view_options))

    def action_help(self) -> None:
        from nnviz.tui.screens.help import HelpScreen, help_title

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(help_rows(self), help_title(self.screen)))
