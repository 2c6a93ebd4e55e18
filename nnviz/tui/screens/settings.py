"""The settings panel (S): the architecture, the data and the training, all by keyboard.

Every change goes through nnviz.playground, which lets the scenario loader check it: a value the
loader refuses gets its one-line message here and nothing changes; an accepted one rebuilds the
network from the seed (see nnviz.playground for what is kept) and the explorer beside the panel
shows it at once.

Keys (its own while it is open): up/down pick a row; left/right cycle a choice, flip a toggle,
take an integer one down or up; Enter does an action, cycles a choice, flips a toggle or starts
typing a value (Enter again sets it, Esc cancels); Esc or S closes the panel.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from nnviz.playground import Field, Playground

HINT = "↑↓ row · ←→ change · Enter act/type · Esc close"


class SettingsScreen(ModalScreen):
    """Docked at the right, over the explorer's side column."""

    DEFAULT_CSS = """
    SettingsScreen { background: $background 0%; align: right top; }
    #settings-box {
        dock: right; width: 50; height: 100%;
        background: $panel; border-left: solid $accent; padding: 0 1;
    }
    #settings-list { height: 1fr; }
    #settings-message { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close the settings"),
        Binding("S", "close", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-10)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("left", "change(-1)", show=False),
        Binding("right", "change(1)", show=False),
        Binding("enter", "enter", show=False),
        Binding("backspace", "backspace", show=False),
    ]

    def __init__(self, explorer):
        super().__init__()
        self.explorer = explorer
        self.row = 0
        self.buffer: str | None = None
        self.message = ""
        self.error = False
        self.busy = False

    @property
    def playground(self) -> Playground:
        return Playground.of(self.explorer.ctl)

    def fields(self) -> list[Field]:
        return self.playground.fields()

    @property
    def current(self) -> Field:
        fields = self.fields()
        self.row = min(self.row, len(fields) - 1)
        return fields[self.row]

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-box"):
            yield Static("", id="settings-list")
            yield Static("", id="settings-message")

    def on_mount(self) -> None:
        self.draw()

    # ------------------------------------------------------------ keys
    def on_key(self, event: events.Key) -> None:
        if self.buffer is None or not event.is_printable or not event.character:
            return
        self.buffer += event.character
        event.stop()
        event.prevent_default()
        self.draw()

    def action_close(self) -> None:
        if self.buffer is not None:
            self.buffer = None
            self.say("typing cancelled")
            return
        self.dismiss()

    def action_move(self, delta: int) -> None:
        if self.buffer is not None:
            return
        self.row = max(0, min(self.row + delta, len(self.fields()) - 1))
        self.say("")

    async def action_change(self, step: int) -> None:
        if self.buffer is not None:
            return
        f = self.current
        if f.kind in ("number", "text"):
            self.say("Enter types a new value", error=False)
            return
        if f.kind == "action":
            return
        await self.run_edit(lambda: self.playground.cycle(f, step), f)

    async def action_enter(self) -> None:
        f = self.current
        if self.buffer is not None:
            text, self.buffer = self.buffer, None
            await self.run_edit(lambda: self.playground.typed(f, text), f)
            return
        if f.kind in ("number", "integer", "text"):
            self.buffer = ""
            self.say(f"type the {f.label}, Enter sets it (now {f.shown or 'empty'})")
            return
        await self.run_edit(lambda: self.playground.cycle(f, 1), f)

    def action_backspace(self) -> None:
        if self.buffer:
            self.buffer = self.buffer[:-1]
            self.draw()

    async def run_edit(self, edit, f: Field) -> None:
        if self.busy:
            return
        self.busy = True
        try:
            refused = await self.explorer.apply_edit(edit, f"settings: {f.label}")
        finally:
            self.busy = False
        if refused:
            self.say(refused + " (nothing changed)", error=True)
            return
        new = next((g for g in self.fields() if g.key == f.key), None)
        shown = f" = {new.shown}" if new is not None and new.kind != "action" else " done"
        ctl = self.explorer.ctl
        how = "weights kept" if self.playground.kept_weights else f"new weights (seed {ctl.seed})"
        self.say(f"{f.label}{shown}: rebuilt, {how}; epochs and optimizer state start over")

    def say(self, message: str, error: bool = False) -> None:
        self.message, self.error = message, error
        self.draw()

    # ------------------------------------------------------------ drawing
    def draw(self) -> None:
        if not self.query("#settings-list"):  # not composed yet
            return
        box = self.query_one("#settings-list", Static)
        height = box.size.height or self.app.size.height - 6
        box.update(self.text(max(box.size.width, 20), max(height, 4)))
        message = Text()
        if self.message:
            message.append(self.message + "\n", style="bold red" if self.error else "green")
        message.append(HINT, style="dim")
        self.query_one("#settings-message", Static).update(message)

    def on_resize(self) -> None:
        self.draw()

    def text(self, width: int, height: int) -> Text:
        fields = self.fields()
        self.row = min(self.row, len(fields) - 1)
        lines: list[tuple[str, str | None, int | None]] = []  # (text, style, field index)
        section = None
        for n, f in enumerate(fields):
            if f.section != section:
                section = f.section
                lines.append((section, "bold underline", None))
            label_w = max(width - 24, 10)
            if f.kind == "action":
                lines.append((f"  + {f.label}" if "add" in f.key else f"  − {f.label}", None, n))
                continue
            value = f.shown
            if n == self.row and self.buffer is not None:
                value = self.buffer + "▏"
            arrows = "‹ ›" if f.kind in ("choice", "toggle", "integer") else "   "
            lines.append((f"  {f.label[:label_w]:<{label_w}} {value[:16]:>16} {arrows}", None, n))
        # a window of lines around the selected row
        room = max(height - 1, 3)
        at = next(k for k, (_, _, n) in enumerate(lines) if n == self.row)
        first = min(max(at - room // 2, 0), max(len(lines) - room, 0))
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append("Settings", style="bold")
        out.append(f"  {self.explorer.ctl.scenario.name}\n", style="dim")
        for text, style, n in lines[first : first + room]:
            if n == self.row:
                style = "bold black on yellow" if self.buffer is None else "bold yellow"
            out.append(text[:width] + "\n", style=style)
        return out
