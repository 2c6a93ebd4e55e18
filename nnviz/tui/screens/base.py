"""What every explorer screen shares: the 'terminal too small' message instead of a crash."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 80, 24


def too_small(width: int, height: int) -> str | None:
    if width >= MIN_WIDTH and height >= MIN_HEIGHT:
        return None
    return f"terminal too small: need {MIN_WIDTH}×{MIN_HEIGHT}, have {width}×{height}"


class BaseView(Screen):
    """A screen with a #main part that gives way to a message when the terminal is too small.

    Subclasses yield their widgets from compose_main(); everything they show sits in #main.
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="too-small")
        yield from self.compose_main()

    def compose_main(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.fit(self.app.size.width, self.app.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self.fit(event.size.width, event.size.height)

    def fit(self, width: int, height: int) -> None:
        message = too_small(width, height)
        small = message is not None
        note = self.query_one("#too-small", Static)
        note.display = small
        if small:
            note.update(message)
        for widget in self.query(".fits"):
            widget.display = not small
