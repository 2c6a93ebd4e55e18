"""prefetch_write, the hint the training loop gives before it writes a history row, only asks
for cache lines: it changes nothing, even when asked at an array's last element, and where
the compiler knows the instruction it is in the machine code."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from nnviz.engine.jit import JIT_DISABLED, njit, prefetch_write


@njit
def _fill_rows_with_hints(rows, ahead):
    """Write row i = i + column, asking each time for the lines of row i + ahead."""
    n, cols = rows.shape
    for i in range(n):
        if i + ahead < n:
            prefetch_write(rows, i + ahead, 0)
            prefetch_write(rows, i + ahead, cols - 1)
        for j in range(cols):
            rows[i, j] = i + j
    prefetch_write(rows, n - 1, cols - 1)
    return rows[n - 1, cols - 1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ahead", [0, 1, 16, 1000])
def test_a_prefetched_row_is_written_as_without_the_hint(dtype, ahead):
    rows = np.full((37, 17), -1.0, dtype)
    last = _fill_rows_with_hints(rows, ahead)
    expected = np.add.outer(np.arange(37), np.arange(17)).astype(dtype)
    np.testing.assert_array_equal(rows, expected)
    assert last == 36 + 16


@pytest.mark.skipif(JIT_DISABLED, reason="no machine code without the JIT")
@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 only")
def test_the_hint_reaches_the_machine_code_where_the_compiler_has_it():
    import llvmlite.binding as llvm

    if llvm.llvm_version_info < (20,):
        pytest.skip("older LLVM drops a write prefetch for numba's target")
    import numba

    # compiled here, not loaded from nnviz's disk cache: numba shows no code of a cached one
    fresh = numba.njit(nogil=True)(_fill_rows_with_hints.py_func)
    rows = np.zeros((4, 3))
    fresh(rows, 1)
    asm = fresh.inspect_asm(fresh.signatures[0])
    assert "prefetch" in asm
