"""The explorer in a real terminal: tmux runs `nnviz run xor --ascii` at 120×40, the keys of
one forward and backward pass go in, and the W₁ gradient read off the screen must equal the one
`nnviz trace xor --steps 1 --json` computes. Skipped without tmux (CI installs it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

TMUX = shutil.which("tmux")
NNVIZ = str(Path(sys.executable).with_name("nnviz"))
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


class Terminal:
    """A detached tmux session on a private server socket."""

    def __init__(self, command: list[str], width: int, height: int):
        self.socket = f"nnviz-test-{os.getpid()}"
        self.name = "explorer"
        env = {**os.environ, "TERM": "xterm-256color"}
        env.pop("TMUX", None)
        self.env = env
        self.tmux(
            "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
            " ".join(command),
        )  # fmt: skip

    def tmux(self, *args: str) -> str:
        out = subprocess.run(
            [TMUX, "-L", self.socket, *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=20,
        )
        return out.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.name, key)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear; the screen:\n{self.screen()}")

    def close(self) -> None:
        self.tmux("kill-server")


def read_matrix(screen: str, label: str) -> np.ndarray:
    """The matrix printed after `label` in the inspector (the left column)."""
    lines = [line.split("│")[0] for line in screen.splitlines()]
    for n, line in enumerate(lines):
        if line.startswith(label):
            rows = []
            for row in lines[n:]:
                body = re.split(r"[⎡⎢⎣\[]", row, maxsplit=1)
                if len(body) < 2:
                    break
                rows.append([float(x) for x in NUMBER.findall(body[1])])
                if "⎦" in row or "]" in row:
                    break
            return np.array(rows)
    raise AssertionError(f"{label!r} is not on the screen:\n{screen}")


def test_one_pass_in_a_real_terminal_matches_nnviz_trace():
    term = Terminal([NNVIZ, "run", "xor", "--ascii"], 120, 40)
    try:
        term.wait_for("ready: n micro-steps")
        term.keys(*["n"] * 7)  # forward: xW1 z1 u1 u1W2 z2 p L
        term.wait_for("forward done")
        term.keys(*["n"] * 7)  # backward: L p z2 u1W2 u1 z1 xW1
        term.wait_for("backward: xW₁ (done)")
        term.keys("f", "Up", "Up")  # fixed inspector, on W1
        screen = term.wait_for("W₁ = parameter   parameter · 2×4")
        shown = read_matrix(screen, "∂L/∂W₁")
        # ASCII mode: the regions are characters, data points O (class 0) and X (class 1)
        assert "X" in screen and "O" in screen and "▀" not in screen
        term.keys("q")
    finally:
        term.close()
    trace = subprocess.run(
        [NNVIZ, "trace", "xor", "--steps", "1", "--json"], capture_output=True, text=True
    )
    assert trace.returncode == 0, trace.stderr
    nodes = {node["name"]: node for node in json.loads(trace.stdout)["nodes"]}
    expected = np.array(nodes["W1"]["grad"])
    assert shown.shape == expected.shape == (2, 4)
    # five significant digits on screen
    np.testing.assert_allclose(shown, expected, rtol=1e-4, atol=1e-9)


def test_at_80x24_the_keys_reach_the_update_the_truth_table_and_the_hidden_units():
    term = Terminal([NNVIZ, "run", "xor", "--ascii"], 80, 24)
    try:
        term.wait_for("ready: n micro-steps", timeout=180)  # a first run compiles
        term.keys("s")  # one step: the inspector shows the update of W₁ without scrolling
        term.wait_for("update 1 (sgd, lr 0.5)")
        screen = _wait_until(term, lambda s: any(ln.startswith("  new ") for ln in _left(s)))
        assert any(line.startswith("  old ") for line in _left(screen)), screen
        term.keys("w", "w")  # the side panel: regions → curves → truth table
        term.wait_for("Truth table 3/5")
        screen = _wait_until(term, lambda s: len(_table_rows(s)) == 4)
        rows = _table_rows(screen)  # the four rows of XOR, each with its prediction ŷ
        assert all(re.search(r"│[01]( ✗)?(\s|$)", row) for row in rows), rows
        term.keys("u")  # the hidden units, each its own region
        screen = term.wait_for("Hidden units 4/5")
        assert all(f"u₁[{k}]" in screen for k in range(4))
        term.keys("Tab", "Tab", "End")  # the side panel focused, scrolled by keys
        term.keys("q")
    finally:
        term.close()


def _left(screen: str) -> list[str]:
    return [line.split("│")[0] for line in screen.splitlines()]


def _table_rows(screen: str) -> list[str]:
    side = [line.split("│", 1)[1] for line in screen.splitlines()[1:-1] if "│" in line]
    return [line for line in side if re.match(r"\s*[01]\s+[01]\s", line)]


def _wait_until(term: Terminal, condition, timeout: float = 10.0) -> str:
    end = time.monotonic() + timeout
    screen = term.screen()
    while not condition(screen):
        assert time.monotonic() < end, f"not on the screen in time:\n{screen}"
        time.sleep(0.05)
        screen = term.screen()
    return screen
