"""A first start on an empty kernel cache, in a real terminal (tmux): the explorer opens and
steps while a child process compiles the kernels, full-speed play waits for them, and `q` or
SIGTERM end the app and the child at once. A warm start shows no compile message.

The bounds are generous (a loaded CI machine); what they prove is that nothing waits for the
compile, which takes half a minute or more: every test here ends long before it could have.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tui_helpers import aio, wait_idle, wait_open

from nnviz.engine import jit

TMUX = shutil.which("tmux")
NNVIZ = str(Path(sys.executable).with_name("nnviz"))
COMPILING = "compiling kernels: "
OPEN_WITHIN_S = 30.0  # about 2 s when the machine is idle
QUIT_WITHIN_S = 5.0  # under 1 s when idle; the compile needs far longer

cold = pytest.mark.skipif(
    TMUX is None or jit.JIT_DISABLED, reason="needs tmux and the JIT (a cache to fill)"
)


class ColdTerminal:
    """tmux on a server of its own, started with an empty kernel cache in its environment
    (a server keeps the environment it started with)."""

    def __init__(self, tmp_path: Path, scenario: str = "xor"):
        self.socket = f"nnviz-cold-{os.getpid()}-{id(self)}"
        self.rc_file = tmp_path / "rc"
        cache = tmp_path / "kernels"
        cache.mkdir()
        self.env = {**os.environ, "TERM": "xterm-256color", "NUMBA_CACHE_DIR": str(cache)}
        self.env.pop("TMUX", None)
        self.env.pop("NUMBA_DISABLE_JIT", None)
        # the pane stays after nnviz has ended, to be read
        command = f"{NNVIZ} run {scenario} --ascii; echo $? > {self.rc_file}; sleep 60"
        self.tmux("new-session", "-d", "-s", "cold", "-x", "120", "-y", "36", command)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, env=self.env,
            timeout=20,
        )  # fmt: skip
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "cold")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "cold", key)

    def wait_for(self, *texts: str, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if all(text in shown for text in texts):
                return shown
            time.sleep(0.05)
        raise AssertionError(f"{texts!r} did not appear; the screen:\n{self.screen()}")

    def processes(self) -> tuple[int, int]:
        """(the nnviz process, its compiling child)."""
        shell = int(self.tmux("display-message", "-p", "-t", "cold", "#{pane_pid}").strip())
        app = _children(shell)
        assert app, "nnviz is not running"
        end = time.monotonic() + OPEN_WITHIN_S
        while time.monotonic() < end:
            child = [pid for pid in _children(app[0]) if b"nnviz.warmup" in _cmdline(pid)]
            if child:
                return app[0], child[0]
            time.sleep(0.05)
        raise AssertionError("no compiling child process")

    def exit_code(self, timeout: float) -> int | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.rc_file.exists() and self.rc_file.read_text().strip():
                return int(self.rc_file.read_text())
            time.sleep(0.02)
        return None

    def close(self) -> None:
        self.tmux("kill-server")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _gone(pid: int, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        stat = Path(f"/proc/{pid}/stat")
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True  # ended, not yet reaped
        except OSError:
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def terminal(tmp_path):
    term = ColdTerminal(tmp_path)
    yield term
    term.close()


@cold
def test_a_cold_start_opens_and_steps_before_the_kernels_are_compiled(terminal):
    terminal.wait_for(COMPILING, "Micro-step", timeout=OPEN_WITHIN_S)
    app, child = terminal.processes()
    terminal.keys("n")
    terminal.wait_for("forward", timeout=OPEN_WITHIN_S)
    terminal.keys("s")
    shown = terminal.wait_for("step 1 ·", timeout=OPEN_WITHIN_S)
    assert COMPILING in shown  # stepped on the Python path, the child still at work
    terminal.keys("p")  # full speed waits for the machine code
    shown = terminal.wait_for("full speed once the kernels are compiled", timeout=10)
    assert "▶ training" not in shown
    started = time.monotonic()
    terminal.keys("q")
    assert terminal.exit_code(QUIT_WITHIN_S) == 0, terminal.screen()
    assert _gone(app, QUIT_WITHIN_S) and _gone(child, 1.0), "a process outlived q"
    assert time.monotonic() - started < QUIT_WITHIN_S


@cold
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_the_compile_ends_the_app_and_the_child(terminal, signum):
    terminal.wait_for(COMPILING, timeout=OPEN_WITHIN_S)
    app, child = terminal.processes()
    os.kill(app, signum)
    assert terminal.exit_code(QUIT_WITHIN_S) == 128 + signum, terminal.screen()
    assert _gone(child, 1.0), "the compiling child outlived the app"
    assert f"nnviz: stopped by {signal.Signals(signum).name}" in terminal.screen()


@cold
def test_ctrl_c_during_the_compile_quits_at_once(terminal):
    terminal.wait_for(COMPILING, timeout=OPEN_WITHIN_S)
    app, child = terminal.processes()
    terminal.keys("C-c")
    assert terminal.exit_code(QUIT_WITHIN_S) == 0, terminal.screen()
    assert _gone(child, 1.0)


@pytest.mark.skipif(jit.JIT_DISABLED, reason="no kernels to load with the JIT off")
@aio
async def test_a_warm_start_loads_the_kernels_and_shows_no_compile_message(monkeypatch):
    from nnviz.tui import app as app_module
    from nnviz.tui import make_app
    from nnviz.tui.widgets.kernels import KernelStatus

    monkeypatch.setattr(app_module, "BACKGROUND_COMPILE", True)
    # the cache holds what the explorer calls once compiled here (as a headless run does)
    from nnviz.explorer import Controller
    from nnviz.scenario import load_scenario
    from nnviz.session import build

    Controller(build(load_scenario("xor"), threads=1)).warm_up()
    app = make_app("xor", animate=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_open(pilot)
        assert app.kernels is None and app.kernels_pending() is None
        assert not screen.query(KernelStatus)
        assert not jit.MODES.python
        await pilot.press("p")  # full speed at once (xor's 10,000 epochs take a moment)
        await pilot.pause(0.05)
        await wait_idle(pilot, screen)
        assert screen.ctl.trainer.epoch > 1000
        assert "full speed once" not in screen.note
        await pilot.press("q")
