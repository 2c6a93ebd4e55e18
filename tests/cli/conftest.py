"""Shared fixtures for the CLI tests: the main `nnviz` group under CliRunner and as a process.

(tests/conftest.py pins the warm kernel cache for child processes.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nnviz.cli import cli

# `nnviz ARGS...` exactly as the installed script runs it: nnviz.cli.main, which exits.
NNVIZ = [sys.executable, "-c", "from nnviz.cli import main; main()"]


class Ran:
    """The outcome of one nnviz run: exit code, stdout, stderr."""

    def __init__(self, code: int, stdout: str, stderr: str):
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def events(self, name: str) -> list[dict]:
        """The JSON lines whose event is `name`."""
        return [line for line in self.json_lines() if line["event"] == name]

    def assert_one_line_error(self, code: int = 2) -> str:
        """The failure contract: a non-zero exit and exactly one line on stderr, no traceback."""
        assert self.code == code, (self.code, self.stdout, self.stderr)
        assert "Traceback" not in self.stderr and "Traceback" not in self.stdout
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].strip()
        return lines[0]


@pytest.fixture
def invoke():
    """invoke("train", "xor", ...) through CliRunner on the main group; never hides a crash."""

    def run(*args: str) -> Ran:
        result = CliRunner().invoke(cli, list(args), prog_name="nnviz")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # in a real shell this would have been a traceback
        return Ran(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def nnviz_process():
    """nnviz_process("train", "xor", ...) in a fresh Python process, as a shell runs it."""

    def run(*args: str, env: dict | None = None, timeout: float = 120) -> Ran:
        proc = subprocess.run(
            [*NNVIZ, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        return Ran(proc.returncode, proc.stdout, proc.stderr)

    return run
