"""The helper thread of a team (team.py): it runs the jobs the caller posts until told to stop.

`helper_for(...)` wraps a block of jitted work on a Program's buffers and the data set it
reads: with a helper thread when asked and possible, else with a solo team; OpenBLAS runs one
thread either way (blas.py says why).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

from nnviz.engine import blas, loop, ops, optim, team
from nnviz.engine.jit import (
    JIT_DISABLED,
    MODES,
    cpu_relax,
    load_acquire,
    njit,
    store_release,
    yield_cpu,
)

THREAD_NAME = "nnviz-helper"


@njit
def serve(ctl, v, g, s1, s2, hyper, X, Y, order, io):
    """Run posted jobs until ctl[STOP] is set. ctl is fresh: job 1 is the first."""
    seen = 0
    idle = 0
    while True:
        seq = load_acquire(ctl, team.SEQ)
        if seq == seen:
            if load_acquire(ctl, team.STOP):
                return
            idle += 1
            if idle < team.SPINS_BEFORE_YIELD:
                cpu_relax()
            else:
                yield_cpu()
            continue
        idle = 0
        seen = seq
        kind = ctl[team.KIND]
        a = team.ARGS
        if kind == team.GEMM:
            team.run_gemm_job(ctl, v, g)
        elif kind == team.UPDATE:
            optim.update_range(ctl[a], hyper, v, g, s1, s2, ctl[a + 1] != 0, ctl[a + 2], ctl[a + 3])
        elif kind == team.COPY:
            loop.copy_batch_rows(v, io, X, Y, order, ctl[a], ctl[a + 1], ctl[a + 2])
        store_release(ctl, team.DONE, seq)


# A step gains from a helper when its biggest GEMM has at least this many multiply-adds
# (784-100 at batch 100 has 7.8 M; the 2-D scenarios' networks a few thousand).
WORTH_PAIRING_WORK = 1 << 20


def worth_pairing(program, batch: int) -> bool:
    """Whether a step of `program` at this batch size gains from a helper thread."""
    work = 0
    for node in program.graph.nodes:
        if node.op == ops.MATMUL:
            a = program.graph.nodes[node.inputs[0]]
            rows = batch if node.rows is None else node.rows
            work = max(work, rows * a.cols * node.cols)
    return work >= WORTH_PAIRING_WORK and pairing_possible()


def pairing_possible() -> bool:
    """Whether this process can run a team of two (not while the kernels run as Python: the
    helper would spin in the interpreter)."""
    if JIT_DISABLED or MODES.python:
        return False
    return blas.usable_cores() >= 2 and blas.controllable()


@contextmanager
def helper_for(paired: bool, v, g, s1, s2, hyper, X, Y, order, io):
    """Yield a team for jitted work on these arrays: with a helper thread when `paired` and
    pairing_possible(), else solo. The helper is stopped and joined on leaving the block."""
    with blas.one_thread():
        if not (paired and pairing_possible()):
            yield team.solo()
            return
        ctl = team.solo()
        ctl[team.ON] = 1
        worker = threading.Thread(
            target=serve,
            args=(ctl, v, g, s1, s2, hyper, X, Y, order, io),
            name=THREAD_NAME,
            daemon=True,
        )
        worker.start()
        try:
            yield ctl
        finally:
            ctl[team.STOP] = 1
            worker.join()


def spare_arrays(dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(s1, s2, hyper) stand-ins for work that runs no optimizer (evaluation)."""
    return np.zeros(1, dtype), np.zeros(1, dtype), np.zeros(optim.HYPER_SLOTS, dtype)
