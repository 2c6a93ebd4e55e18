"""Today's `nnviz trace --json` reproduces the traces recorded before the Stepper existed."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from golden_traces import CASES, HERE, THROUGH_SGEMM, condense

from nnviz.cli import cli


def _same(golden, new, where="trace", close=False):
    """Every recorded field is in the new trace with the same value (new fields are ignored);
    `close`: floats to float32 rounding and hashes not compared."""
    if isinstance(golden, dict):
        assert isinstance(new, dict), where
        for key, value in golden.items():
            assert key in new, f"{where}.{key} is missing"
            if close and key == "sha256":
                continue
            _same(value, new[key], f"{where}.{key}", close)
    elif isinstance(golden, list):
        assert isinstance(new, list) and len(new) == len(golden), where
        for n, (g, x) in enumerate(zip(golden, new, strict=True)):
            _same(g, x, f"{where}[{n}]", close)
    elif close and isinstance(golden, float):
        assert isinstance(new, float), where
        near = math.isclose(new, golden, rel_tol=1e-5, abs_tol=1e-6)
        assert near, f"{where}: {new!r} != {golden!r}"
    else:
        assert new == golden, f"{where}: {new!r} != {golden!r}"


@pytest.mark.parametrize("stem", sorted(CASES))
def test_trace_reproduces_the_golden_file(stem):
    golden = json.loads((HERE / f"{stem}.json").read_text())
    result = CliRunner().invoke(cli, ["trace", *CASES[stem], "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    _same(golden, condense(lines[0]), close=stem in THROUGH_SGEMM)
