"""`nnviz run` never outlives SIGTERM or SIGHUP: an explorer that cannot close (its terminal
gone with the signal) is ended after the grace period, with the signal's exit code and line."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

# The app is replaced by one that never closes: exit() is ignored and run() blocks for good.
STUCK = textwrap.dedent(
    """
    import sys, threading
    import nnviz.cli.run as run
    import nnviz.tui

    class Stuck:
        error_message = None
        return_code = None
        def exit(self, return_code=0):
            pass
        def stop_kernels(self):
            print("kernels stopped", file=sys.stderr, flush=True)
        def run(self):
            print("running", flush=True)
            threading.Event().wait()

    nnviz.tui.make_app = lambda *args, **kwargs: Stuck()
    run.terminal_problem = lambda: None
    run.STOP_GRACE_S = float(sys.argv[1])
    from nnviz.cli import main
    sys.argv = ["nnviz", "run", "xor"]
    main()
    """
)


def _start(grace: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", STUCK, str(grace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "running"
    return process


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_an_app_that_cannot_close_is_ended_after_the_grace_period(signum):
    process = _start(grace=0.5)
    t0 = time.monotonic()
    process.send_signal(signum)
    try:
        code = process.wait(timeout=20)
    finally:
        process.kill()
    took = time.monotonic() - t0
    err = process.stderr.read()
    assert code == 128 + signum
    assert took >= 0.5  # the app had its grace period first
    assert "kernels stopped" in err  # the compile child is not left behind
    assert f"nnviz: stopped by {signal.Signals(signum).name}" in err


def test_a_second_signal_ends_it_at_once():
    process = _start(grace=60.0)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=20)
    finally:
        process.kill()
    assert code == 128 + signal.SIGTERM
