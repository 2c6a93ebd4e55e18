"""The key list, from the bindings themselves (so it cannot drift from them)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "nnviz steps through backpropagation node by node with the engine's own numbers. "
    "A micro-step computes the next node forward, then each node backward (the inspector "
    "shows the chain rule with numbers), then the update of every parameter.\n"
)


def help_title(screen) -> str:
    """The title of the help for `screen`: what the screen says it is (its HELP_TITLE)."""
    return getattr(screen, "HELP_TITLE", "nnviz: keys")


class HelpScreen(ModalScreen):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close help"),
    ]

    def __init__(
        self,
        rows: list[tuple[str, str]],
        title: str = "nnviz: keys",
        notes: list[str] | None = None,
    ):
        super().__init__()
        self.rows = rows
        self.title_text = title
        self.notes = notes or []  # lines after the keys (the history's budget)

    def compose(self) -> ComposeResult:
        text = Text()
        text.append(self.title_text + "\n\n", style="bold")
        text.append(INTRO + "\n")
        width = max((len(k) for k, _ in self.rows), default=4)
        for key, description in self.rows:
            if not key:  # a heading (a panel's own keys follow), or a blank line
                text.append(description + "\n", style="bold")
                continue
            text.append(f"  {key:<{width}}  ", style="bold yellow")
            text.append(description + "\n")
        for note in self.notes:
            text.append("\n" + note + "\n", style="dim")
        text.append("\nctrl+p: command palette (switch scenario) · escape closes this help")
        with VerticalScroll(id="help-body"):
            yield Static(text, id="help-text")
