"""The settings panel (S): the architecture, the data and the training, all by keyboard.

Every change goes through nnviz.playground, which lets the scenario loader check it: a value the
loader refuses gets its one-line message here and nothing changes; an accepted one rebuilds the
network from the seed (see nnviz.playground for what is kept) and the explorer beside the panel
shows it at once.

Keys (its own while it is open): up/down pick a row; left/right cycle a choice, flip a toggle,
take an integer one down or up; Enter does an action, cycles a choice, flips a toggle or starts
typing a value (Enter again sets it, Esc cancels); Esc or S closes the panel. A panel docked
at the left of the explorer (over the graph: the pictures stay on show), focused while open
(not a modal screen: the explorer would be blended beneath it at every change).
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from nnviz.playground import Field, Playground
from nnviz.tui import keys

HINT = "↑↓ row · ←→ change · Enter act/type · Esc close"


class SettingsPanel(Widget, can_focus=True):
    """Docked at the left, over the graph: the pictures stay on show beside it."""

    DEFAULT_CSS = """
    SettingsPanel {
        dock: left; layer: playground; width: 50; height: 100%; margin: 1 0 1 0;
        background: $panel; border-right: solid $accent; padding: 0 1;
    }
    SettingsPanel:focus { border-right: heavy $accent; }
    #settings-box { height: 100%; }
    #settings-list { height: 1fr; }
    #settings-message { height: auto; }
    """
    BINDINGS = keys.panel_bindings(keys.SETTINGS_PANEL)
    HELP_KEYS = (keys.SETTINGS_PANEL, keys.SETTINGS_TYPED)
    HELP_HEADING = "the settings panel (S), while it has the keys"

    def __init__(self, explorer, row: int = 0, message: str = "", error: bool = False):
        super().__init__(id="settings-panel")
        self.explorer = explorer
        self.row = row
        self.buffer: str | None = None
        self.message = message
        self.error = error
        self.busy = False

    def keep(self) -> dict:
        """What a panel shown again after the explorer is recomposed starts from."""
        return {"row": self.row, "message": self.message, "error": self.error}

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
    def check_consume_key(self, key: str, character: str | None) -> bool:
        """While a value is typed, every printable key is part of it."""
        return self.buffer is not None and bool(character) and character.isprintable()

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
        self.explorer.close_panel(self)

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
        # the explorer may have been recomposed: the panel on show now is another one
        panel = next(iter(self.explorer.query(SettingsPanel)), self)
        if refused:
            panel.say(refused + " (nothing changed)", error=True)
            return
        new = next((g for g in panel.fields() if g.key == f.key), None)
        shown = f" = {new.shown}" if new is not None and new.kind != "action" else " done"
        ctl = self.explorer.ctl
        if f.key.endswith(".trainable"):
            panel.say(f"{f.label}{shown}: from the next update on (nothing rebuilt)")
            return
        how = "weights kept" if panel.playground.kept_weights else f"new weights (seed {ctl.seed})"
        panel.say(f"{f.label}{shown}: rebuilt, {how}; epochs and optimizer state start over")

    def say(self, message: str, error: bool = False) -> None:
        self.message, self.error = message, error
        self.draw()

    # ------------------------------------------------------------ drawing
    def draw(self) -> None:
        if not self.is_attached or not self.query("#settings-list"):  # not composed yet
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
