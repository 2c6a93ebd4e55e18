"""benchmarks/compare.py's arithmetic: the GEMM lower bound of an epoch and nnviz's ratio to it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "compare.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("nnviz_bench_compare", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


GEMMS = [
    {"threads": 2, "shape": "W3 fwd  X@W1      (100x784)@(784x100)", "best_s": 40e-6},
    {"threads": 2, "shape": "W3 bwd  X^T@dZ1   (784x100)@(100x100)", "best_s": 60e-6},
    {"threads": 1, "shape": "W3 fwd  X@W1      (100x784)@(784x100)", "best_s": 70e-6},
    {"threads": 2, "shape": "W4 fwd  X@W1      (128x784)@(784x512)", "best_s": 1e-3},
    {"threads": 2, "shape": "square  2048^3", "best_s": 0.5},
]


def test_the_bound_is_the_steps_times_the_workloads_own_shapes(compare):
    # 600 steps of (40 + 60) µs: the slower 1-thread time, W4's and the square's are not taken
    assert compare.gemm_bound(GEMMS, "w3", 2) == pytest.approx(600 * 100e-6)
    assert compare.gemm_bound(GEMMS, "w3", 1) == pytest.approx(600 * 70e-6)
    # a shape faster on one thread counts with that time
    faster = [*GEMMS, {"threads": 1, "shape": GEMMS[1]["shape"], "best_s": 30e-6}]
    assert compare.gemm_bound(faster, "w3", 2) == pytest.approx(600 * 70e-6)
    assert compare.gemm_bound(GEMMS, "w4", 2) == pytest.approx(469 * 1e-3)
    assert compare.gemm_bound(GEMMS, "w5", 2) is None


def test_nnviz_over_the_bound(compare):
    row = compare.Row(compare.WORKLOADS["w3"])
    assert row.over_bound is None
    row.bound, row.nnviz = 0.06, 0.09
    assert row.over_bound == pytest.approx(1.5)
