"""Shared by every test directory."""

from __future__ import annotations

import functools
import inspect

from click.testing import CliRunner, Result

# click 8.1's CliRunner folds stderr into stdout unless told not to, and its Result.output is
# stdout alone; 8.2 keeps the streams apart (and dropped the argument), with output holding
# both. The tests read stdout, stderr and output the 8.2 way under either.
if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
    CliRunner.__init__ = functools.partialmethod(CliRunner.__init__, mix_stderr=False)
    Result.output = property(lambda result: result.stdout + result.stderr)
