"""Shown while the session is built and the kernels are loaded from the cache (a child process
compiles them when they are not there: nnviz.warmup)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.widgets import LoadingIndicator, Static

from nnviz.tui.screens.base import BaseView


class LoadingScreen(BaseView):
    BINDINGS = []

    def __init__(self, title: str, *, animate: bool = True):
        super().__init__()
        self.title_text = title
        self.animate = animate

    def compose_main(self) -> ComposeResult:
        with Middle(classes="fits", id="loading"):
            with Center():
                yield Static(self.title_text, id="loading-title")
            with Center():
                yield Static("opening…", id="loading-message")
            if self.animate:
                yield LoadingIndicator()

    def say(self, text: str) -> None:
        self.query_one("#loading-message", Static).update(text)


class ErrorScreen(BaseView):
    """The scenario could not be opened: say why, and let the user quit or pick another."""

    BINDINGS = [("q", "app.quit", "Quit")]

    def __init__(self, message: str):
        super().__init__()
        self.message = message

    def compose_main(self) -> ComposeResult:
        with Middle(classes="fits", id="error"):
            with Center():
                yield Static(self.message, id="error-message")
            with Center():
                yield Static("q quits · ctrl+p picks another scenario", id="error-hint")
