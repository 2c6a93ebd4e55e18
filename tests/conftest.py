"""Shared by every test directory.

Every test process and its children share the warm kernel cache of this checkout:
nnviz.engine.jit chooses the cache folder when it is imported; child processes started by a
test that points HOME or XDG_CACHE_HOME elsewhere would otherwise compile every kernel again
(half a minute each). NUMBA_CACHE_DIR, set here for them, names the same folder.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys

import pytest
from click.testing import CliRunner, Result

import nnviz.engine.jit as jit

if jit.CACHE_DIR is not None:
    os.environ.setdefault("NUMBA_CACHE_DIR", str(jit.CACHE_DIR))

# click 8.1's CliRunner folds stderr into stdout unless told not to, and its Result.output is
# stdout alone; 8.2 keeps the streams apart (and dropped the argument), with output holding
# both. The tests read stdout, stderr and output the 8.2 way under either.
if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
    CliRunner.__init__ = functools.partialmethod(CliRunner.__init__, mix_stderr=False)
    Result.output = property(lambda result: result.stdout + result.stderr)


@pytest.fixture(autouse=True)
def _kernels_compile_in_process():
    """The in-process interface tests compile what the cache lacks, whatever its state (the
    background compile is tested in subprocesses, tests/tui/test_tui_cold_start.py); and no
    test leaves the kernels on the Python path or forbidden to compile for the next one."""
    app = sys.modules.get("nnviz.tui.app")
    if app is not None:
        app.BACKGROUND_COMPILE = False
    yield
    cli = sys.modules.get("nnviz.cli")
    if cli is not None:  # `nnviz run` under CliRunner asks to skip the teardown of `main()`
        cli._LEAVE_AT_ONCE = False
    jit.MODES.python = jit.MODES.forbid_compile = jit.MODES.fallback = False
    jit.MODES.recording = None
