"""Two threads share a training step: the caller and one helper split its big parts in halves.

On two cores OpenBLAS's own threads ran the GEMMs of a 784-100-10 network only 1.5× faster
than one thread, and left the second core idle for the rest of the step, where the optimizer
update alone took 95–125 µs. So the caller and a helper split every big GEMM, the update and
the batch copy, each half on one OpenBLAS thread; each core updates the rows of the weights
whose gradient it has just computed (benchmarks/README.md has the figures).

A team is an int64 array `ctl`. The caller writes a job into it and bumps SEQ; the helper
(helper.py) runs the job and sets DONE = SEQ. A team whose ON slot is 0 is a solo team:
every split runs whole on the caller, so the same code serves both. Only these jobs are
split; every other op runs on the caller between them.

A cut is part of the arithmetic, not of the thread count: a big float32 GEMM is always
computed as the same two parts, whether the helper takes the second part or the caller runs
both. So one thread and two give the same bits on every CPU, and the trainer may switch
between them freely. (Whether OpenBLAS's sgemm gives a part the bits of the whole depends on
its kernels: on AVX2 it did in 120 random shapes, on AVX-512 it did not.) float64 GEMMs
always run whole: float64 is for checking gradients, float32 for speed. The update and the
batch copy are elementwise, so their halves are the whole's bits anywhere.

Where the cut goes: along the rows or columns of the result, or along the sum when the sum is
the longest of the three, as in a first layer's x·W₁ (batch × 784 · 784 × units). Cut along
the sum, each core reads only its own rows of W₁: the rows whose gradient it computes (∂W₁ =
xᵀ·∂z₁, cut along its rows) and then updates. Cut along the result, each core read all of
W₁, so half of it crossed between the cores' caches at every step (benchmarks/README.md has
the figures).
"""

import numpy as np

from nnviz.engine.jit import (
    cpu_relax,
    gemm_strided,
    load_acquire,
    njit,
    store_release,
    yield_cpu,
)

# Slots of `ctl`. DONE and STOP sit on cache lines of their own (8 int64 = 64 bytes): the
# helper writes DONE while the caller writes the job.
SEQ, ON, KIND = 0, 1, 2
ARGS = 3  # up to 16 job arguments
DONE = 32
STOP = 48
SLOTS = 64

# A wait spins this many pause hints on its core, then gives the core up between checks: the
# other thread may need it (a container allowed one core's time on two cores, say).
SPINS_BEFORE_YIELD = 4096

# Jobs.
GEMM, UPDATE, COPY = 1, 2, 3
# Buffers a GEMM job names: the values or the gradients of the Program.
IN_V, IN_G = 0, 1

# A GEMM is cut only when each part has this many multiply-adds (a smaller one gains little,
# and stays clear of OpenBLAS's kernels for GEMMs under 100³).
MIN_PART_WORK = 1 << 20
# Below this many elements a split costs more than it saves.
MIN_UPDATE = 1 << 14
MIN_COPY = 1 << 13


def solo() -> np.ndarray:
    """A team of one: every job runs whole on the caller."""
    return np.zeros(SLOTS, np.int64)


# Shared by callers that never have a helper: nothing writes to a team whose ON slot is 0.
SOLO = solo()


@njit
def post(ctl, kind):
    """Hand the job now in ctl[ARGS:] to the helper; returns its sequence number."""
    ctl[KIND] = kind
    seq = ctl[SEQ] + 1
    store_release(ctl, SEQ, seq)
    return seq


@njit
def wait(ctl, seq):
    """Spin until the helper has finished job `seq` (its writes are then visible here)."""
    spins = 0
    while load_acquire(ctl, DONE) != seq:
        spins += 1
        if spins < SPINS_BEFORE_YIELD:
            cpu_relax()
        else:
            yield_cpu()


@njit
def half(n, align):
    """Where to cut n items: about half way, on a multiple of align when there is room."""
    h = n // 2
    if h >= align:
        h -= h % align
    return h


@njit
def gemm_pair(ctl, v, g, ta, tb, m, n, k, a_buf, a_off, b_buf, b_off, beta, c_buf, c_off, s_off):
    """Row-major C[m×n] = op(A)[m×k]·op(B)[k×n] + beta·C with A, B, C in v or g (IN_V, IN_G).

    A big float32 GEMM is computed as two parts, cut along the longest of the three
    dimensions. Along C's rows or columns each part writes its piece of C. Along the sum, the
    second part computes C ← A₂·B₂ + beta·C, the first P = A₁·B₁ into v[s_off : s_off + m·n]
    (the Program's scratch), and then C ← C + P, always in that order. With a helper it
    takes the second part; in a solo team the caller runs both, one after the other (the
    same calls, so the same bits).
    """
    a = g if a_buf == IN_G else v
    b = g if b_buf == IN_G else v
    c = g if c_buf == IN_G else v
    lda = m if ta else k
    ldb = k if tb else n
    if c.itemsize != 4:
        gemm_strided(ta, tb, m, n, k, a, a_off, lda, b, b_off, ldb, beta, c, c_off, n)
        return
    if k > max(m, n):
        hk = half(k, 16)
        if min(hk, k - hk) * m * n >= MIN_PART_WORK:
            _gemm_cut_along_sum(
                ctl, v, a, b, c, ta, tb, m, n, k, hk, a_buf, a_off, lda, b_buf, b_off, ldb,
                beta, c_buf, c_off, s_off,
            )  # fmt: skip
            return
    h = half(m, 16) if m >= n else half(n, 16)
    smaller_part = min(h, max(m, n) - h) * min(m, n) * k
    if smaller_part < MIN_PART_WORK:
        gemm_strided(ta, tb, m, n, k, a, a_off, lda, b, b_off, ldb, beta, c, c_off, n)
        return
    if m >= n:  # rows of C: rows of op(A)
        m2, n2, a2, b2, c2 = m - h, n, a_off + (h if ta else h * lda), b_off, c_off + h * n
        m1, n1 = h, n
    else:  # columns of C: columns of op(B)
        m2, n2, a2, b2, c2 = m, n - h, a_off, b_off + (h * ldb if tb else h), c_off + h
        m1, n1 = m, h
    if ctl[ON] == 0:
        gemm_strided(ta, tb, m1, n1, k, a, a_off, lda, b, b_off, ldb, beta, c, c_off, n)
        gemm_strided(ta, tb, m2, n2, k, a, a2, lda, b, b2, ldb, beta, c, c2, n)
        return
    _gemm_job(ctl, ta, tb, m2, n2, k, a_buf, a2, lda, b_buf, b2, ldb, beta, c_buf, c2, n)
    seq = post(ctl, GEMM)
    gemm_strided(ta, tb, m1, n1, k, a, a_off, lda, b, b_off, ldb, beta, c, c_off, n)
    wait(ctl, seq)


@njit
def _gemm_cut_along_sum(ctl, v, a, b, c, ta, tb, m, n, k, hk, a_buf, a_off, lda, b_buf, b_off,
                        ldb, beta, c_buf, c_off, s_off):  # fmt: skip
    # the second part: columns hk… of op(A), rows hk… of op(B)
    a2 = a_off + (hk * lda if ta else hk)
    b2 = b_off + (hk if tb else hk * ldb)
    k2 = k - hk
    seq = 0
    if ctl[ON] == 0:
        gemm_strided(ta, tb, m, n, k2, a, a2, lda, b, b2, ldb, beta, c, c_off, n)
    else:
        _gemm_job(ctl, ta, tb, m, n, k2, a_buf, a2, lda, b_buf, b2, ldb, beta, c_buf, c_off, n)
        seq = post(ctl, GEMM)
    gemm_strided(ta, tb, m, n, hk, a, a_off, lda, b, b_off, ldb, 0.0, v, s_off, n)
    if ctl[ON] != 0:
        wait(ctl, seq)
    co = np.uint64(c_off)
    so = np.uint64(s_off)
    for e in range(np.uint64(m * n)):
        c[co + e] += v[so + e]


@njit
def _gemm_job(ctl, ta, tb, m, n, k, a_buf, a_off, lda, b_buf, b_off, ldb, beta, c_buf, c_off,
              ldc):  # fmt: skip
    j = ARGS
    ctl[j] = ta
    ctl[j + 1] = tb
    ctl[j + 2] = m
    ctl[j + 3] = n
    ctl[j + 4] = k
    ctl[j + 5] = a_buf
    ctl[j + 6] = a_off
    ctl[j + 7] = lda
    ctl[j + 8] = b_buf
    ctl[j + 9] = b_off
    ctl[j + 10] = ldb
    ctl[j + 11] = 1 if beta != 0.0 else 0
    ctl[j + 12] = c_buf
    ctl[j + 13] = c_off
    ctl[j + 14] = ldc


@njit
def run_gemm_job(ctl, v, g):
    """The helper's side of gemm_pair."""
    j = ARGS
    a = g if ctl[j + 5] == IN_G else v
    b = g if ctl[j + 8] == IN_G else v
    c = g if ctl[j + 12] == IN_G else v
    beta = 1.0 if ctl[j + 11] else 0.0
    gemm_strided(
        ctl[j] != 0, ctl[j + 1] != 0, ctl[j + 2], ctl[j + 3], ctl[j + 4],
        a, ctl[j + 6], ctl[j + 7], b, ctl[j + 9], ctl[j + 10], beta, c, ctl[j + 13], ctl[j + 14],
    )  # fmt: skip
