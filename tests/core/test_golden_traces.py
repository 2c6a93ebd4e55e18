"""Today's `nnviz trace --json` reproduces the traces recorded before the Stepper existed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from golden_traces import CASES, HERE, condense

from nnviz.cli import cli


def _same(golden, new, where="trace"):
    """Every recorded field is in the new trace with the same value (new fields are ignored)."""
    if isinstance(golden, dict):
        assert isinstance(new, dict), where
        for key, value in golden.items():
            assert key in new, f"{where}.{key} is missing"
            _same(value, new[key], f"{where}.{key}")
    elif isinstance(golden, list):
        assert isinstance(new, list) and len(new) == len(golden), where
        for n, (g, x) in enumerate(zip(golden, new, strict=True)):
            _same(g, x, f"{where}[{n}]")
    else:
        assert new == golden, f"{where}: {new!r} != {golden!r}"


@pytest.mark.parametrize("stem", sorted(CASES))
def test_trace_reproduces_the_golden_file(stem):
    golden = json.loads((HERE / f"{stem}.json").read_text())
    result = CliRunner().invoke(cli, ["trace", *CASES[stem], "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    _same(golden, condense(lines[0]))
