"""The one key map of nnviz's screens: every screen's BINDINGS come from here, and help lists
these entries, so the same key does the same thing on the explorer and on the MNIST view.

A screen binds the entries that mean something on it (`bindings("micro", "step", …)`, by
action); a key is in one entry only (tests/tui/test_tui_key_map.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    keys: str  # Textual key names, comma-separated; the footer shows the first
    action: str
    description: str
    tooltip: str = ""
    show: bool = True  # in the footer (help lists every entry)
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.description,
            show=self.show,
            tooltip=self.tooltip,
            priority=self.priority,
        )


KEYS: tuple[Key, ...] = (
    # stepping and training (explorer and MNIST view)
    Key("n", "micro", "Micro-step", "next node forward, each node back, then the update"),
    Key("s", "step", "Step", "finish the step in progress, or take a whole one"),
    Key("e", "epoch", "Epoch", "train to the end of the epoch"),
    Key("p,space", "play", "Play/pause", "train at the pace shown; again to pause"),
    Key("P", "full_speed", "Full speed", "train as fast as the engine goes; again to pause"),
    Key(
        "full_stop",
        "faster",
        "Faster",
        "the next pace up: 1, 3, 10, 30 … steps/s, full speed",
        show=False,
    ),
    Key("comma", "slower", "Slower", "the next pace down", show=False),
    Key("o", "slow", "Slow play", "play at 1 step/s, each step's update shown"),
    Key("r", "reset", "Reset", "start again with the same seed"),
    Key("R", "reset_new", "New seed", "start again with the next seed"),
    Key("plus,equals_sign", "lr_up", "lr×2", "double the learning rate, live"),
    Key("minus,underscore", "lr_down", "lr÷2", "halve the learning rate, live"),
    # what is shown
    Key("right_square_bracket", "sample(1)", "Next sample", "in the batch, or the next test digit"),
    Key(
        "left_square_bracket",
        "sample(-1)",
        "Prev sample",
        "in the batch, or the previous digit",
        show=False,
    ),
    Key(
        "down,j",
        "select(1)",
        "Next node",
        "inspect the next node (in another focused pane: scroll it a line down)",
    ),
    Key(
        "up,k",
        "select(-1)",
        "Prev node",
        "inspect the previous node (in another focused pane: scroll it a line up)",
        show=False,
    ),
    Key("f", "follow", "Follow", "the inspector follows the pass, or stays put"),
    Key("b", "whole", "Whole batch", "every sample in the inspector, or one"),
    Key("a", "ascii", "ASCII/colour", "pictures as characters or half-blocks"),
    Key(
        "pagedown",
        "scroll_main(1)",
        "Page down",
        "the focused pane (in the graph: a page of nodes), or the tab shown",
        show=False,
    ),
    Key(
        "pageup",
        "scroll_main(-1)",
        "Page up",
        "the focused pane (in the graph: a page of nodes), or the tab shown",
        show=False,
    ),
    Key(
        "home",
        "pane_end(-1)",
        "Top",
        "of the focused pane (in the graph: the first node)",
        show=False,
    ),
    Key(
        "end",
        "pane_end(1)",
        "Bottom",
        "of the focused pane (in the graph: the last node)",
        show=False,
    ),
    Key("greater_than_sign", "scroll_side(1)", "Side down", "the side panel", show=False),
    Key("less_than_sign", "scroll_side(-1)", "Side up", "the side panel", show=False),
    # the explorer's panes and side panels
    Key("tab", "focus_pane(1)", "Next pane", "focus the graph, the inspector or the side panel"),
    Key("shift+tab", "focus_pane(-1)", "Prev pane", "focus the previous pane", show=False),
    Key(
        "w", "side_panel(1)", "Panel", "the next side panel: regions, curves, table, units, summary"
    ),
    Key("i", "summary", "Summary", "the model summary (layers, shapes, parameters); again: back"),
    Key("l", "log_scale", "Log scale", "the loss curve on a log or a linear scale", show=False),
    Key("d", "discrete", "Discrete", "regions by class only, or shaded by confidence", show=False),
    Key("h", "points", "Points", "hide or show the data points on the regions", show=False),
    Key("c", "check", "Grad check", "the gradient beside central differences"),
    Key("t", "table", "Next table", "next data set (several truth tables)"),
    # the playground (explorer): change the setup, one weight, and keep it
    Key("S", "settings", "Settings", "architecture, data and training, checked as a file is"),
    Key("E", "cursor", "Edit weight", "an element cursor on the selected parameter", show=False),
    Key("W", "write", "Write", "the setup and its weights as a scenario file", show=False),
    # the MNIST view's own
    Key("u", "unit(1)", "Next unit", "the next hidden unit, or the next page of unit maps"),
    Key("U", "unit(-1)", "Prev unit", "the previous hidden unit (or page)", show=False),
    Key("m", "mistake(1)", "Next mistake", "the next misclassified test digit"),
    Key("M", "mistake(-1)", "Prev mistake", "the previous misclassified digit", show=False),
    Key("v", "value_grad", "Value/grad", "the inspector's matrix: values or gradients", show=False),
    Key("1", "tab(0)", "Network", "tab 1: weights and activations", show=False),
    Key("2", "tab(1)", "Backprop", "tab 2: a batch stepped by hand", show=False),
    Key("3", "tab(2)", "Regions", "tab 3: classes on the PCA plane", show=False),
    Key("4", "tab(3)", "Training", "tab 4: progress and confusion matrix", show=False),
    Key("5", "tab(4)", "Mistakes", "tab 5: misclassified test digits", show=False),
    # the history: back and forth through the steps taken (time travel); not priority keys:
    # a focused widget that moves a cursor with the arrows keeps them
    Key("left", "history(-1)", "Step back", "one step back in the history", show=False),
    Key("right", "history(1)", "Step on", "one step forward in the history", show=False),
    Key(
        "left_curly_bracket",
        "history_epoch(-1)",
        "Epoch back",
        "to the epoch before's end",
        show=False,
    ),
    Key("right_curly_bracket", "history_epoch(1)", "Epoch on", "to this epoch's end", show=False),
    Key("g", "history_start", "History start", "the start of the run", show=False),
    Key("G", "history_end", "History end", "back to the present step", show=False),
    Key(
        "exclamation_mark",
        "nonfinite",
        "First NaN",
        "the step and node of the first NaN or infinity, and the factors that made it",
        show=False,
    ),
    # the experiments screen (x opens it from the explorer)
    Key("x", "experiments", "Experiments", "race, sweep, gradient health; there: the next one"),
    Key("escape", "back", "Back", "stop the experiment running, or back to the explorer"),
    # the app's
    Key("q", "quit", "Quit"),
    Key("ctrl+c", "quit", "Quit", show=False, priority=True),
    # first in every screen's footer, so that it shows on a narrow terminal too
    Key("question_mark,f1", "app.help", "Help", "every key, with what it does"),
)

# The playground panels' own keys, theirs while the panel has the focus (before the screen's:
# the arrows there move a row or an element, not the node selection). Each panel binds its
# table and help lists it first; TYPED rows are keys a panel reads as characters (on_key).
SETTINGS_PANEL: tuple[Key, ...] = (
    Key("escape,S", "close", "Close", "leave the settings (while typing: cancel the value)"),
    Key("up", "move(-1)", "Row up", "the row above", show=False),
    Key("down", "move(1)", "Row down", "the row below", show=False),
    Key("pageup", "move(-10)", "Rows up", "ten rows up", show=False),
    Key("pagedown", "move(10)", "Rows down", "ten rows down", show=False),
    Key(
        "left",
        "change(-1)",
        "Change",
        "the previous choice, a toggle flipped, an integer −1",
        show=False,
    ),
    Key(
        "right",
        "change(1)",
        "Change",
        "the next choice, a toggle flipped, an integer +1",
        show=False,
    ),
    Key(
        "enter",
        "enter",
        "Act/type",
        "the row's action, or type its value; Enter sets it",
        show=False,
    ),
    Key("backspace", "backspace", "Erase", "the last character typed", show=False),
)
CURSOR_PANEL: tuple[Key, ...] = (
    Key("escape", "leave", "Leave", "leave the cursor (while typing: cancel the number)"),
    Key("up", "move(-1, 0)", "Row up", "the element above", show=False),
    Key("down", "move(1, 0)", "Row down", "the element below", show=False),
    Key("left", "move(0, -1)", "Column left", "the element to the left", show=False),
    Key("right", "move(0, 1)", "Column right", "the element to the right", show=False),
    Key("tab", "next_param(1)", "Next parameter", "the cursor on the next parameter", show=False),
    Key("shift+tab", "next_param(-1)", "Prev parameter", "the previous parameter", show=False),
    Key("enter", "enter", "Set", "set the element to the number typed", show=False),
    Key("backspace", "backspace", "Erase", "the last character typed", show=False),
)
SETTINGS_TYPED = (("text", "while typing a value: its characters; Enter sets it"),)
CURSOR_TYPED = (
    ("0–9 . − e", "type a number for the element; Enter sets it"),
    ("+ −", "nudge the element by the step"),
    ("* /", "the nudge's step ×10 or ÷10"),
)


def panel_bindings(table: tuple[Key, ...]) -> list[Binding]:
    """A panel's BINDINGS: its table, in order."""
    return [key.binding() for key in table]


def panel_help_rows(table: tuple[Key, ...], typed, key_display) -> list[tuple[str, str]]:
    """(keys, what they do) for a panel's table and its typed keys."""
    return _rows(table, key_display) + list(typed)


# the order of the explorer's and the MNIST view's keys (help and the footer follow it)
EXPLORER = (
    "app.help",
    "micro",
    "step",
    "play",
    "full_speed",
    "faster",
    "slower",
    "side_panel(1)",
    "focus_pane(1)",
    "focus_pane(-1)",
    "epoch",
    "slow",
    "reset",
    "reset_new",
    "lr_up",
    "lr_down",
    "sample(1)",
    "sample(-1)",
    "select(1)",
    "select(-1)",
    "follow",
    "whole",
    "ascii",
    "check",
    "table",
    "summary",
    "log_scale",
    "discrete",
    "points",
    "unit(1)",
    "unit(-1)",
    "settings",
    "cursor",
    "write",
    "history(-1)",
    "history(1)",
    "history_epoch(-1)",
    "history_epoch(1)",
    "history_start",
    "history_end",
    "nonfinite",
    "scroll_main(1)",
    "scroll_main(-1)",
    "pane_end(-1)",
    "pane_end(1)",
    "scroll_side(1)",
    "scroll_side(-1)",
    "experiments",
)
EXPERIMENTS = (
    "app.help",
    "experiments",
    "reset",
    "back",
    "ascii",
    "scroll_main(1)",
    "scroll_main(-1)",
)
MNIST = (
    "app.help",
    "micro",
    "step",
    "epoch",
    "play",
    "full_speed",
    "faster",
    "slower",
    "sample(1)",
    "sample(-1)",
    "unit(1)",
    "unit(-1)",
    "select(1)",
    "select(-1)",
    "follow",
    "mistake(1)",
    "mistake(-1)",
    "ascii",
    "value_grad",
    "scroll_main(1)",
    "scroll_main(-1)",
    "scroll_side(1)",
    "scroll_side(-1)",
    "tab(0)",
    "tab(1)",
    "tab(2)",
    "tab(3)",
    "tab(4)",
    "history(-1)",
    "history(1)",
    "history_epoch(-1)",
    "history_epoch(1)",
    "history_start",
    "history_end",
    "nonfinite",
)
APP = ("app.help", "quit")  # help also on screens that bind nothing else


def entries(action: str) -> list[Key]:
    """The map's entries for an action (quit has two: q, and ctrl+c with priority)."""
    found = [k for k in KEYS if k.action == action]
    if not found:
        raise KeyError(f"no key for the action '{action}' in nnviz.tui.keys")
    return found


def bindings(actions: tuple[str, ...]) -> list[Binding]:
    """A screen's BINDINGS: the map's entries for these actions, in this order."""
    return [key.binding() for action in actions for key in entries(action)]


# shorter than Textual's names, so that the key column of help stays narrow
SHORT = {
    "space": "␣",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "shift+tab": "⇧Tab",
    "full_stop": ".",
    "comma": ",",
}


def help_rows(actions: list[str], key_display) -> list[tuple[str, str]]:
    """(keys, what they do) for help: the map's entries for the actions a screen binds, each
    key shown as SHORT has it or by `key_display(key_name)`."""
    return _rows([key for action in actions for key in entries(action)], key_display)


def _rows(table, key_display) -> list[tuple[str, str]]:
    """One row per action, its keys joined (quit's two entries share one)."""
    rows: dict[str, tuple[list[str], str]] = {}
    for key in table:
        text = key.description + (f": {key.tooltip}" if key.tooltip else "")
        shown, _ = rows.setdefault(key.action, ([], text))
        for name in key.keys.split(","):
            name = name.strip()
            display = SHORT.get(name) or key_display(name)
            if display not in shown:
                shown.append(display)
    return [(", ".join(shown), text) for shown, text in rows.values()]
