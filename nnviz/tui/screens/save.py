"""Write the setup as a scenario (W): a name is asked for, an existing file is replaced only when
the answer to "overwrite?" is y, and the file is written atomically with the weights on show.
`nnviz run NAME.toml` opens that state again; `nnviz train NAME.toml` trains it.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from nnviz.errors import InputError
from nnviz.playground import Playground, save_path


class SaveScreen(ModalScreen):
    DEFAULT_CSS = """
    SaveScreen { align: center middle; }
    #save-box {
        width: 70; height: auto; background: $panel; border: solid $accent; padding: 0 1;
    }
    #save-message { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
    ]

    def __init__(self, explorer, folder: str | Path = "."):
        super().__init__()
        self.explorer = explorer
        self.folder = Path(folder)
        self.pending: Path | None = None  # a file that exists, waiting for y or n
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        name = self.explorer.ctl.scenario.name
        with Vertical(id="save-box"):
            yield Static("Write the setup and its weights as a scenario file", classes="title")
            yield Input(value=f"{name}-mine", id="save-name", placeholder="name or path.toml")
            yield Static("Enter writes NAME.toml here · Esc cancels", id="save-message")

    def say(self, text: str) -> None:
        self.query_one("#save-message", Static).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            path = save_path(event.value, self.folder)
        except InputError as exc:
            self.say(str(exc))
            return
        if path.exists():
            self.pending = path
            self.query_one(Input).disabled = True
            self.say(f"{path} exists: overwrite it? y / n")
            return
        self.write(path, overwrite=False)

    def action_answer(self, yes: bool) -> None:
        if self.pending is None:
            return
        path, self.pending = self.pending, None
        if yes:
            self.write(path, overwrite=True)
            return
        field = self.query_one(Input)
        field.disabled = False
        field.focus()
        self.say("not overwritten: another name?")

    def write(self, path: Path, *, overwrite: bool) -> None:
        pg = Playground.of(self.explorer.ctl)
        try:
            written = pg.write(path, overwrite=overwrite)
        except InputError as exc:
            self.say(" ".join(str(exc).split()))
            return
        self.written = written
        self.explorer.note = f"written {written}"
        self.explorer.show(self.explorer.snap)
        self.app.notify(f"written {written}: nnviz run {written} opens it")
        self.dismiss(written)

    def action_cancel(self) -> None:
        self.dismiss(None)
