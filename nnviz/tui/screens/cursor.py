"""The element cursor (E): one element of a parameter, its value, gradient and optimizer state;
arrows move it, a typed number or a nudge sets it, and the explorer beneath (truth table,
regions, hidden units, the pass in flight) follows at once. Escape leaves it.

A panel docked at the bottom of the explorer, focused while it is open: its keys come first
(the arrows move the element, not the node selection; digits and +/− are its own), the
explorer's other keys still work (s steps, p plays). Not a modal screen on purpose: a screen
over the explorer would have the whole explorer blended beneath it at every change.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from nnviz import playground
from nnviz.errors import InputError
from nnviz.tui import fmt, keys
from nnviz.tui.widgets.panels import grad_ready

STEP = 0.1
CELL = 9  # characters a matrix cell takes
TYPING = set("0123456789.-+eE")
HINT = "↑↓←→ move · a number + Enter sets it · +/− nudge · * / step · Tab next · Esc leaves"


class CursorPanel(Widget, can_focus=True):
    """Docked at the bottom of the explorer (which stays on show above it)."""

    DEFAULT_CSS = """
    CursorPanel {
        dock: bottom; layer: playground; margin-bottom: 1;
        width: 100%; height: auto; max-height: 16;
        background: $panel; border-top: solid $accent; padding: 0 1;
    }
    CursorPanel:focus { border-top: heavy $accent; }
    #cursor-box, #cursor-numbers, #cursor-message { height: auto; }
    """
    BINDINGS = keys.panel_bindings(keys.CURSOR_PANEL)
    HELP_KEYS = (keys.CURSOR_PANEL, keys.CURSOR_TYPED)
    HELP_HEADING = "the element cursor (E), while it has the keys"

    def __init__(self, explorer, name: str, index=(0, 0), step: float = STEP, message: str = ""):
        super().__init__(id="cursor-panel")
        self.explorer = explorer
        self.name_ = name
        self.index = index
        self.step = step
        self.buffer: str | None = None  # the number being typed
        self.message = message
        self.error = False

    def keep(self) -> dict:
        """What a panel shown again after the explorer is recomposed starts from."""
        names = self.ctl.wrt_names()
        name = self.name_ if self.name_ in names else names[0]
        return {"name": name, "index": self.index, "step": self.step, "message": self.message}

    @property
    def ctl(self):
        return self.explorer.ctl

    def compose(self) -> ComposeResult:
        with Vertical(id="cursor-box"):
            yield Static("", id="cursor-numbers")
            yield Static("", id="cursor-message")

    def on_mount(self) -> None:
        self.draw()
        self.set_interval(0.3, self._follow_training)

    def _follow_training(self) -> None:
        """While the explorer trains, the element's numbers follow (a few times a second)."""
        if self.explorer.playing:
            self.draw()

    # ------------------------------------------------------------ keys
    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Digits, signs and the step keys are the cursor's while it has the focus."""
        return (
            bool(character)
            and (character in TYPING or character in "=_*/")
            or (self.buffer is not None and bool(character) and character.isprintable())
        )

    async def on_key(self, event: events.Key) -> None:
        char = event.character or ""
        if self.buffer is not None and char in TYPING and char:
            self.buffer += char
        elif self.buffer is None and char and (char.isdigit() or char == "."):
            self.buffer = char
        elif self.buffer is None and char in ("+", "="):
            await self.nudge(self.step)
        elif self.buffer is None and char in ("-", "_"):
            await self.nudge(-self.step)
        elif self.buffer is None and char == "*":
            self.step *= 10
            self.say(f"step {fmt.num(self.step)}")
        elif self.buffer is None and char == "/":
            self.step /= 10
            self.say(f"step {fmt.num(self.step)}")
        else:
            return
        event.stop()
        event.prevent_default()
        self.draw()

    def action_leave(self) -> None:
        if self.buffer is not None:
            self.buffer = None
            self.say("typing cancelled")
            return
        self.explorer.close_panel(self)

    def action_move(self, dr: int, dc: int) -> None:
        rows, cols = self.ctl.program.shape(self.name_)
        r, c = self.index
        self.index = ((r + dr) % rows, (c + dc) % cols)
        self.buffer = None
        self.say("")

    def action_next_param(self, delta: int) -> None:
        names = self.ctl.wrt_names()
        here = names.index(self.name_) if self.name_ in names else 0
        self.name_ = names[(here + delta) % len(names)]
        self.index = (0, 0)
        self.explorer.selected = self.ctl.graph.find(self.name_)
        self.explorer.show(self.explorer.snap)
        self.say("")

    async def action_enter(self) -> None:
        if self.buffer is None:
            self.buffer = ""
            self.say("type the new value, Enter sets it")
            return
        text, self.buffer = self.buffer, None
        await self.set_value(text)

    def action_backspace(self) -> None:
        if self.buffer:
            self.buffer = self.buffer[:-1]
            self.draw()

    # ------------------------------------------------------------ edits
    async def set_value(self, value) -> None:
        await self.explorer._own_engine()  # a training worker lets go of the parameters first
        try:
            got = playground.set_element(self.ctl, self.name_, self.index, value)
        except InputError as exc:
            self.say(" ".join(str(exc).split()) + " (nothing changed)", error=True)
            return
        self.edited(f"{fmt.sub(self.name_)}[{self.index[0]},{self.index[1]}] = {fmt.num(got, 6)}")

    async def nudge(self, step: float) -> None:
        await self.explorer._own_engine()
        value = playground.element(self.ctl, self.name_, self.index).value + step
        await self.set_value(value)

    def edited(self, note: str) -> None:
        self.explorer.selected = self.ctl.graph.find(self.name_)
        self.explorer._refresh(note)
        self.say(note)

    def say(self, message: str, error: bool = False) -> None:
        self.message, self.error = message, error
        self.draw()

    # ------------------------------------------------------------ drawing
    def draw(self) -> None:
        if not self.is_attached or not self.query("#cursor-numbers"):  # not composed yet
            return
        self._update("#cursor-numbers", self.text(self.size.width or 80))
        message = Text()
        if self.buffer is not None:
            message.append(f"new value: {self.buffer}▏\n", style="bold yellow")
        if self.message:
            message.append(self.message + "\n", style="bold red" if self.error else "green")
        message.append(HINT, style="dim")
        self._update("#cursor-message", message)

    def _update(self, where: str, text: Text) -> None:
        """New text; a layout pass only when its number of lines changes (it costs most of a
        frame)."""
        static = self.query_one(where, Static)
        lines = len(text.wrap(self.app.console, max(static.size.width, 1)))
        same = static.size.height == lines
        static.update(text, layout=not same)

    def text(self, width: int) -> Text:
        ctl, name = self.ctl, self.name_
        el = playground.element(ctl, name, self.index)
        self.index = el.index
        r, c = el.index
        sub = fmt.sub(name)
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"Edit {sub}[{r},{c}]", style="bold")
        out.append(f" of {el.shape[0]}×{el.shape[1]} · step {fmt.num(self.step)}\n", style="dim")
        self._matrix(out, el, width - 2)
        out.append(f"value {fmt.num(el.value, 6)}", style="bold")
        snap = self.explorer.snap
        node = ctl.graph.find(name)
        if grad_ready(ctl, snap, node):
            out.append(f" · ∂L/∂{sub}[{r},{c}] = {fmt.num(el.grad, 5)}", style="magenta")
        else:
            out.append(" · gradient: not computed in this step", style="dim")
        if el.state:
            state = ", ".join(f"{k} {fmt.num(v, 4)}" for k, v in el.state)
            out.append(f" · {ctl.optimizer.kind} {state}")
        out.append("\n")
        fit = playground.training_loss(ctl, snap.params)
        if fit is not None:
            loss, acc = fit
            out.append(f"at these weights: training loss {fmt.num(loss, 5)}")
            if acc is not None:
                out.append(f" · accuracy {fmt.num(acc, 4)}")
            errors = ctl.errors(snap.params)
            if errors is not None:  # what the truth table marks, when it is out of sight
                rows = ctl.dataset.n_train
                out.append(f" · {rows - errors}/{rows} rows right", style="bold")
        return out

    def _matrix(self, out: Text, el, width: int) -> None:
        values = self.ctl.program.value(el.name)
        rows, cols = el.shape
        r0, c0 = el.index
        fit_cols = max(1, (width - 4) // CELL)
        first_col = min(max(c0 - fit_cols // 2, 0), max(cols - fit_cols, 0))
        last_col = min(cols, first_col + fit_cols)
        fit_rows = 5
        first_row = min(max(r0 - fit_rows // 2, 0), max(rows - fit_rows, 0))
        for i in range(first_row, min(rows, first_row + fit_rows)):
            out.append("  ")
            out.append("…" if first_col else " ", style="dim")
            for j in range(first_col, last_col):
                cell = f"{fmt.num(float(values[i, j]), 4):>{CELL - 1}} "
                out.append(cell, style="bold black on yellow" if (i, j) == (r0, c0) else None)
            out.append("…" if last_col < cols else "", style="dim")
            out.append("\n")
