"""The first NaN or infinity of a run, explained: the report of nnviz.nonfinite, laid out."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class NonFiniteScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,exclamation_mark,enter", "dismiss", "Close")]

    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("Where the first NaN came from\n\n", style="bold")
        for n, line in enumerate(self.lines):
            style = "bold red" if n == 0 else ("bold" if n == len(self.lines) - 1 else None)
            if "(huge)" in line or ": inf" in line or ": nan" in line:
                style = style or "yellow"
            text.append(line + "\n", style=style)
        text.append("\nescape closes this; the explorer shows that step, the node selected")
        with VerticalScroll(id="help-body"):
            yield Static(text, id="help-text")
