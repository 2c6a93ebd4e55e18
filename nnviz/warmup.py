"""The kernels of an interactive session, compiled in a child process while it starts.

Compiling the engine's kernels takes half a minute or more on a fresh install. Headless
commands compile in their own process and say so; the explorer must not wait for it:

- `open_kernels(ctl)` loads what the explorer calls from the cache and never compiles. When
  everything is there (a warm start) it returns True and the kernels run as machine code.
  Otherwise the kernels run as plain Python (nnviz.engine.jit: the same bits, slower) and
  the explorer is usable at once.
- `BackgroundKernels` then runs `python -m nnviz.warmup` on the same scenario: the child
  compiles the kernels into the cache and reports "k of N" as it goes; when it is done, this
  process loads the machine code from the cache (a short phase, in a thread of its own) and
  full speed is there. `stop()` ends the child at once (q, a signal); the child also ends
  by itself when this process goes away (its standard input closes).

The child talks in JSON lines on its standard output: {"total": N}, {"done": k, "kernel":
name}, then {"ready": [[name, signature], …]} with every kernel it compiled.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

COMPILING, LOADING, READY, FAILED = "compiling", "loading", "ready", "failed"
# The child runs below the interface's priority: on two cores the screen stays quick.
CHILD_NICENESS = 5
STOP_GRACE_S = 0.3  # after SIGTERM, before SIGKILL


@dataclass(frozen=True)
class KernelState:
    phase: str  # COMPILING, LOADING, READY or FAILED
    done: int = 0  # kernels compiled so far (of `total`, 0 until the child has counted)
    total: int = 0
    kernel: str = ""  # the one compiling now (short name)
    message: str = ""  # why it failed
    seconds: float = 0.0  # since the start, when READY or FAILED

    def progress(self) -> str:
        """How far the compile is, in a few words: '3 of 8 compiled'."""
        if self.phase == COMPILING:
            return f"{self.done} of {self.total} compiled" if self.total else "starting"
        return "loading them" if self.phase == LOADING else self.phase

    def describe(self, elapsed: float | None = None) -> str:
        """One line for the screen (with the seconds since the compile started, if given)."""
        if self.phase == COMPILING:
            since = f", {elapsed:.0f} s" if elapsed is not None else ""
            doing = f" ({self.kernel})" if self.kernel else ""
            return f"compiling kernels: {self.progress()}{since}{doing} · full speed when done"
        if self.phase == LOADING:
            return "loading the compiled kernels…"
        if self.phase == READY:
            return f"kernels ready ({self.seconds:.0f} s): full speed"
        return f"kernels not compiled ({self.message}); everything runs as Python"


def interactive() -> None:
    """From now on this process never compiles a kernel: until open_kernels has looked in the
    cache, the kernels run as Python (building a session calls a few)."""
    from nnviz.engine import jit

    if jit.JIT_DISABLED or jit.CACHE_DIR is None:
        return
    jit.forbid_compiling(fallback=True)
    jit.MODES.python = True


def open_kernels(ctl) -> bool:
    """Load every kernel the explorer calls from the cache, never compiling in this process.

    True: all were there (or the JIT is off, or there is no cache folder a child could fill:
    then they are compiled here, as before). False: the kernels now run as Python, and a
    BackgroundKernels should fill the cache.
    """
    from nnviz.engine import jit

    if jit.JIT_DISABLED or jit.CACHE_DIR is None:
        ctl.warm_up()
        return True
    jit.forbid_compiling(fallback=False)
    jit.MODES.python = False
    try:
        ctl.warm_up()
        cached = True
    except jit.KernelNotCached:
        cached = False
    # from now on a kernel missing from the cache runs as Python instead of compiling here
    jit.MODES.fallback = True
    jit.MODES.python = not cached
    return cached


def tell_notices_to(callback: Callable[[str], None]) -> None:
    """Send the engine's one-line notices (a kernel missing from the cache, a cache folder
    that cannot be written) to `callback` instead of stderr: an interface's screen."""
    from nnviz.engine import jit

    jit.on_notice = callback


class BackgroundKernels:
    """The child process that compiles a scenario's kernels, and the switch to them."""

    def __init__(self, scenario, data_dir=None, on_change: Callable[[KernelState], None] = None):
        self.scenario = scenario
        self.data_dir = data_dir
        self.on_change = on_change or (lambda state: None)
        self.state = KernelState(COMPILING)
        self._process: subprocess.Popen | None = None
        self._stopped = False
        self._lock = threading.Lock()
        self._t0 = time.perf_counter()

    @property
    def ready(self) -> bool:
        return self.state.phase == READY

    @property
    def elapsed(self) -> float:
        """Seconds since start()."""
        return self._since()

    def start(self) -> None:
        request = pickle.dumps(
            (self.scenario, None if self.data_dir is None else str(self.data_dir))
        )
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (the child writes it all along)
        env = dict(os.environ)
        env.pop("NUMBA_DISABLE_JIT", None)
        with self._lock:
            if self._stopped:
                return
            self._process = subprocess.Popen(
                [sys.executable, "-m", "nnviz.warmup"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._errors,
                start_new_session=True,  # the terminal's signals are for the interface
                env=env,
            )
        try:
            self._process.stdin.write(struct.pack("<Q", len(request)) + request)
            self._process.stdin.flush()
        except OSError:
            pass  # the child has gone: its exit says why
        threading.Thread(target=self._follow, name="nnviz-kernels", daemon=True).start()

    def stop(self) -> None:
        """End the child now (idempotent); the kernels stay as they are."""
        with self._lock:
            self._stopped = True
            process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(OSError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(1.0)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    # ------------------------------------------------------------ the follower thread
    def _set(self, state: KernelState) -> None:
        self.state = state
        if not self._stopped:
            self.on_change(state)

    def _follow(self) -> None:
        compiled = None
        total = 0
        for raw in self._process.stdout:
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if "total" in event:
                total = int(event["total"])
                self._set(KernelState(COMPILING, 0, total))
            elif "done" in event:
                self._set(KernelState(COMPILING, int(event["done"]), total, event["kernel"]))
            elif "ready" in event:
                compiled = event["ready"]
        code = self._process.wait()
        if self._stopped:
            return
        if compiled is None or code != 0:
            self._set(KernelState(FAILED, message=self._failure(code), seconds=self._since()))
            return
        self._set(KernelState(LOADING, total, total))
        self._load(compiled)
        self._set(KernelState(READY, total, total, seconds=self._since()))

    def _load(self, compiled) -> None:
        """Load the child's kernels from the cache here, then run the kernels as machine code."""
        from nnviz.engine import jit

        for name, text in compiled:
            kernel = jit.KERNELS.get(name)
            if kernel is None or self._stopped:
                continue
            with contextlib.suppress(jit.KernelNotCached):
                jit.compile_kernel(kernel, jit.signature_from_text(text))
        jit.MODES.python = False

    def _failure(self, code: int) -> str:
        self._errors.seek(0)
        lines = [
            line.strip()
            for line in self._errors.read().decode(errors="replace").splitlines()
            if line.strip()
        ]
        last = lines[-1] if lines else f"the compiling process exited with status {code}"
        return last.removeprefix("nnviz: ")

    def _since(self) -> float:
        return time.perf_counter() - self._t0


# ====================================================================== the child
def _say(**event) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _watch_parent() -> None:
    """End this process when the parent's end of standard input closes (it has gone)."""
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def _read_request():
    head = sys.stdin.buffer.read(8)
    (size,) = struct.unpack("<Q", head)
    # the parent process wrote it (BackgroundKernels.start), never a file from elsewhere
    return pickle.loads(sys.stdin.buffer.read(size))  # noqa: S301


def _short(name: str) -> str:
    return name.removeprefix("nnviz.engine.")


def main() -> int:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    scenario, data_dir = _read_request()
    threading.Thread(target=_watch_parent, daemon=True).start()

    from nnviz.engine import jit
    from nnviz.explorer import Controller
    from nnviz.session import build

    # what the explorer calls, found on the Python path (quick), then compiled one by one
    with jit.python_kernels(), jit.recording_calls() as seen:
        session = build(scenario, data_dir=data_dir, threads=1)
        ctl = Controller(session, data_dir=data_dir)
        ctl.warm_up()
    _say(total=len(seen.calls))
    for done, (kernel, sig) in enumerate(seen.calls):
        _say(done=done, kernel=_short(jit.kernel_name(kernel)))  # the one compiling now
        jit.compile_kernel(kernel, sig)
    _say(done=len(seen.calls), kernel="")
    # the whole warm-up on machine code: anything the Python pass did not reach
    with jit.recording_calls() as used:
        ctl.warm_up()
    names = dict.fromkeys(
        (jit.kernel_name(kernel), jit.signature_text(sig))
        for kernel, sig in seen.calls + used.calls
    )
    _say(ready=[list(pair) for pair in names])
    return 0


if __name__ == "__main__":
    try:
        status = main()
    except SystemExit as stop:  # SIGTERM (from BackgroundKernels.stop)
        status = stop.code if isinstance(stop.code, int) else 1
    except Exception as exc:  # noqa: BLE001 (one line for the parent's screen)
        text = " ".join(str(exc).split()) or type(exc).__name__
        sys.stderr.write(f"nnviz: {type(exc).__name__}: {text}\n")
        status = 1
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    # at once: the thread watching standard input must not meet the interpreter's shutdown
    os._exit(status)
