"""Shared by every test directory."""

from __future__ import annotations

import functools
import inspect

from click.testing import CliRunner

# click 8.1's CliRunner folds stderr into stdout unless told not to; 8.2 keeps them apart and
# dropped the argument. The tests read stdout and stderr each on its own under both.
if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
    CliRunner.__init__ = functools.partialmethod(CliRunner.__init__, mix_stderr=False)
    # and 8.2's Result.output is stdout and stderr together (8.1's: stdout alone)
    CliRunner_Result = __import__("click.testing", fromlist=["Result"]).Result
    CliRunner_Result.output = property(lambda result: result.stdout + result.stderr)
