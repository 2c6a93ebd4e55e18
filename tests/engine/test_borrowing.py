"""Kernels borrow their arrays (compiled without numba's reference counting): a kernel that
would hand an array back is refused, and training allocates nothing it does not free."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nnviz.engine import jit

pytestmark = pytest.mark.skipif(jit.JIT_DISABLED, reason="the JIT is off: nothing is compiled")


@pytest.fixture
def scratch_kernels():
    """Kernels made by a test leave the registry afterwards."""
    before = set(jit.KERNELS)
    yield
    for name in set(jit.KERNELS) - before:
        del jit.KERNELS[name]


def _same(v):
    return v


def _tail(v):
    return v[1:]


def _tail_copy(v):
    return v[1:].copy()


def _first(v):
    return v[0] + v[1]


def test_a_borrowing_kernel_that_returns_an_array_is_refused(scratch_kernels):
    # its caller would give back a reference it was never given
    with pytest.raises(TypeError, match="njit_allocating"):
        jit.njit(_same)(np.arange(3.0))
    with pytest.raises(Exception, match="returning of array"):  # numba refuses a new one
        jit.njit(_tail)(np.arange(3.0))


def test_an_allocating_kernel_may_return_an_array(scratch_kernels):
    kernel = jit.njit_allocating(_tail_copy)
    assert kernel(np.arange(3.0)).tolist() == [1.0, 2.0]


def test_a_borrowing_kernel_leaves_its_arguments_references_as_they_were(scratch_kernels):
    kernel = jit.njit(_first)
    v = np.arange(3.0)
    refs = sys.getrefcount(v)
    for _ in range(1000):
        assert kernel(v) == 1.0
    assert sys.getrefcount(v) == refs


# Trains a network whose steps allocate (softmax scratch) and call BLAS (whose argument arrays
# gemm_strided allocates), then counts numba's allocations over 20 more steps.
_COUNT_ALLOCATIONS = """
from numba.core.runtime import rtsys
from nnviz import session
from nnviz.scenario import load_scenario

trainer = session.build(load_scenario("mnist"), threads={threads}).trainer
trainer.warm_up()
trainer.train_steps(3)
before = rtsys.get_allocation_stats()
trainer.train_steps(20)
after = rtsys.get_allocation_stats()
print(*(a - b for a, b in zip(after, before)))
"""


@pytest.mark.parametrize("threads", [1, 2])
def test_training_frees_every_array_its_kernels_allocate(threads):
    env = dict(os.environ, NUMBA_NRT_STATS="1")
    code = textwrap.dedent(_COUNT_ALLOCATIONS.format(threads=threads))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    alloc, free, mi_alloc, mi_free = map(int, done.stdout.split())
    assert alloc > 0  # the count is on: the softmax's scratch and BLAS's arguments
    assert (alloc, mi_alloc) == (free, mi_free)
