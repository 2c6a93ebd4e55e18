"""What a terminal user's hands and screen expect: F1 is help, and too few colours (NO_COLOR,
a dumb or 16-colour terminal) give the ASCII pictures without --ascii."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from tui_helpers import aio, wait_open

import nnviz.cli.run
import nnviz.tui
from nnviz.cli import cli
from nnviz.tui import make_app
from nnviz.tui.colours import too_few_colours
from nnviz.tui.screens.help import HelpScreen


@aio
async def test_f1_opens_the_help_as_question_mark_does():
    app = make_app("xor", animate=False)
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        assert "?, f1  Help" in text  # one row: both keys, one action
        await pilot.press("escape")
        assert app.screen is screen


@pytest.mark.parametrize(
    ("environ", "too_few"),
    [
        ({"TERM": "xterm-256color"}, False),
        ({"TERM": "xterm", "COLORTERM": "truecolor"}, False),
        ({"TERM": "tmux-256color"}, False),
        ({"TERM": "xterm-256color", "NO_COLOR": "1"}, True),
        ({"TERM": "xterm-256color", "NO_COLOR": ""}, True),  # Textual: present is enough
        ({"TERM": "dumb"}, True),
        ({"TERM": "xterm"}, True),  # Rich and Textual take plain xterm for 16 colours
        ({"TERM": "linux"}, True),
        ({"TERM": "xterm-256color", "TEXTUAL_COLOR_SYSTEM": "standard"}, True),
        ({"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": "truecolor"}, False),
    ],
)
def test_too_few_colours(environ, too_few):
    assert too_few_colours(environ) is too_few


class _Made:
    error_message = None
    return_code = 0

    def __init__(self, kwargs):
        self.kwargs = kwargs

    def run(self):
        pass


@pytest.mark.parametrize(
    ("env", "ascii_expected"),
    [({"TERM": "xterm-256color"}, False), ({"TERM": "xterm-256color", "NO_COLOR": "1"}, True),
     ({"TERM": "dumb"}, True)],
)  # fmt: skip
def test_nnviz_run_picks_ascii_by_itself(monkeypatch, env, ascii_expected):
    made = []
    monkeypatch.setattr(nnviz.tui, "make_app", lambda *a, **k: made.append(k) or _Made(k))
    # CliRunner's streams are no terminal; the explorer's own check would refuse them
    monkeypatch.setattr(nnviz.cli.run, "terminal_problem", lambda: None)
    for var in ("NO_COLOR", "COLORTERM", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    result = CliRunner().invoke(cli, ["run", "xor"])
    assert result.exit_code == 0, result.output
    assert made[0]["ascii"] is ascii_expected
