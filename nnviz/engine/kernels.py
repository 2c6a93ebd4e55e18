"""Per op: its forward, reverse-mode (VJP) and forward-mode (JVP) rule, side by side.

Every rule works on the Program's flat buffers: `v` values, `g` gradients, `t` tangents, all
laid out alike, with node i at offset meta[i, OFF] holding rows × cols elements (rows = the
batch size B for batch nodes). `m` is the Program's int table, `c` its float constants.

Forward rules write their node. VJP rules only accumulate (+=) into the inputs' gradients, and
only for inputs whose gradient is needed. JVP rules write their node's tangent.

Offsets, shapes and loop counters are unsigned (np.uint64): numba checks a signed index for
wraparound on every access, which keeps the loops from vectorising; views would avoid that too,
but cost more than the arithmetic on the tiny tensors of the small scenarios.
"""

import math

import numpy as np

from nnviz.engine import ops, team
from nnviz.engine.expf import exp
from nnviz.engine.jit import BLAS_MIN_WORK, gemm_strided, njit, njit_allocating, njit_inline

# Columns of the Program's int table. Image ops also read IN_C (a third input), the node's
# image shape CH × HT × WD (0 when it is not an image batch) and its window: the kernel (or
# pooling) size, the stride and the padding above and left of the image.
OP, IN_A, IN_B, ROWS, COLS, OFF, NEEDS_GRAD = 0, 1, 2, 3, 4, 5, 6
IN_C, CH, HT, WD, KSIZE, STRIDE, PAD_T, PAD_L = 7, 8, 9, 10, 11, 12, 13, 14
# A matmul's scratch: where in the values a GEMM cut along its sum puts a part (team.py).
SCRATCH = 15
META_COLUMNS = 16


@njit_inline
def _shape(m, i, batch):
    """(rows, cols, offset) of node i, unsigned."""
    rows = m[i, ROWS]
    if rows < 0:
        rows = batch
    return np.uint64(rows), np.uint64(m[i, COLS]), np.uint64(m[i, OFF])


@njit_inline
def _off(m, i):
    return np.uint64(m[i, OFF])


# ---------------------------------------------------------------- matmul: out = a·b
@njit
def fwd_matmul(m, c, v, i, batch, ctl):
    """ctl: the team that shares big GEMMs (team.py); the other ops run on the caller."""
    rows, cols, o = _shape(m, i, batch)
    _, inner, oa = _shape(m, m[i, IN_A], batch)
    ob = _off(m, m[i, IN_B])
    if rows * inner * cols >= BLAS_MIN_WORK:
        V = team.IN_V
        team.gemm_pair(ctl, v, v, False, False, int(rows), int(cols), int(inner),
                       V, int(oa), V, int(ob), 0.0, V, int(o), m[i, SCRATCH])  # fmt: skip
        return
    # accumulate in a register: the output shares the buffer with the inputs
    for r in range(rows):
        for j in range(cols):
            acc = v[oa + r * inner] * v[ob + j]
            for k in range(np.uint64(1), inner):
                acc += v[oa + r * inner + k] * v[ob + k * cols + j]
            v[o + r * cols + j] = acc


@njit
def vjp_matmul(m, c, v, g, i, batch, ctl):
    rows, cols, o = _shape(m, i, batch)
    a, b = m[i, IN_A], m[i, IN_B]
    _, inner, oa = _shape(m, a, batch)
    ob = _off(m, b)
    big = rows * inner * cols >= BLAS_MIN_WORK
    if m[a, NEEDS_GRAD]:  # ∂L/∂a += ∂L/∂out · bᵀ
        if big:
            G, V = team.IN_G, team.IN_V
            team.gemm_pair(ctl, v, g, False, True, int(rows), int(inner), int(cols),
                           G, int(o), V, int(ob), 1.0, G, int(oa), m[i, SCRATCH])  # fmt: skip
        else:
            for r in range(rows):
                for k in range(inner):
                    acc = g[o + r * cols] * v[ob + k * cols]
                    for j in range(np.uint64(1), cols):
                        acc += g[o + r * cols + j] * v[ob + k * cols + j]
                    g[oa + r * inner + k] += acc
    if m[b, NEEDS_GRAD]:  # ∂L/∂b += aᵀ · ∂L/∂out
        if big:
            G, V = team.IN_G, team.IN_V
            team.gemm_pair(ctl, v, g, True, False, int(inner), int(cols), int(rows),
                           V, int(oa), G, int(o), 1.0, G, int(ob), m[i, SCRATCH])  # fmt: skip
        else:
            for k in range(inner):
                for j in range(cols):
                    acc = v[oa + k] * g[o + j]
                    for r in range(np.uint64(1), rows):
                        acc += v[oa + r * inner + k] * g[o + r * cols + j]
                    g[ob + k * cols + j] += acc


@njit
def jvp_matmul(m, c, v, t, i, batch):
    rows, cols, o = _shape(m, i, batch)
    _, inner, oa = _shape(m, m[i, IN_A], batch)
    ob = _off(m, m[i, IN_B])
    for r in range(rows):
        for j in range(cols):
            acc = 0.0
            for k in range(inner):
                acc += t[oa + r * inner + k] * v[ob + k * cols + j]
                acc += v[oa + r * inner + k] * t[ob + k * cols + j]
            t[o + r * cols + j] = acc


# ---------------------------------------------------------------- add / sub: out = a ± b
# Either operand may have one row; it is then broadcast over the rows of the other.
@njit_inline
def _binary_offsets(m, i, batch):
    rows, cols, o = _shape(m, i, batch)
    ra, _, oa = _shape(m, m[i, IN_A], batch)
    rb, _, ob = _shape(m, m[i, IN_B], batch)
    zero = np.uint64(0)
    return rows, cols, o, oa, ob, cols if ra == rows else zero, cols if rb == rows else zero


@njit
def fwd_add(m, c, v, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    for r in range(rows):
        for j in range(cols):
            v[o + r * cols + j] = v[oa + r * sa + j] + v[ob + r * sb + j]


@njit
def vjp_add(m, c, v, g, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    if m[m[i, IN_A], NEEDS_GRAD]:
        for r in range(rows):
            for j in range(cols):
                g[oa + r * sa + j] += g[o + r * cols + j]
    if m[m[i, IN_B], NEEDS_GRAD]:
        for r in range(rows):
            for j in range(cols):
                g[ob + r * sb + j] += g[o + r * cols + j]


@njit
def jvp_add(m, c, v, t, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    for r in range(rows):
        for j in range(cols):
            t[o + r * cols + j] = t[oa + r * sa + j] + t[ob + r * sb + j]


@njit
def fwd_sub(m, c, v, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    for r in range(rows):
        for j in range(cols):
            v[o + r * cols + j] = v[oa + r * sa + j] - v[ob + r * sb + j]


@njit
def vjp_sub(m, c, v, g, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    if m[m[i, IN_A], NEEDS_GRAD]:
        for r in range(rows):
            for j in range(cols):
                g[oa + r * sa + j] += g[o + r * cols + j]
    if m[m[i, IN_B], NEEDS_GRAD]:
        for r in range(rows):
            for j in range(cols):
                g[ob + r * sb + j] -= g[o + r * cols + j]


@njit
def jvp_sub(m, c, v, t, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    for r in range(rows):
        for j in range(cols):
            t[o + r * cols + j] = t[oa + r * sa + j] - t[ob + r * sb + j]


# ---------------------------------------------------------------- mul: out = a ⊙ b
@njit
def fwd_mul(m, c, v, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    for r in range(rows):
        for j in range(cols):
            v[o + r * cols + j] = v[oa + r * sa + j] * v[ob + r * sb + j]


@njit
def vjp_mul(m, c, v, g, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    if m[m[i, IN_A], NEEDS_GRAD]:
        for r in range(rows):
            for j in range(cols):
                g[oa + r * sa + j] += g[o + r * cols + j] * v[ob + r * sb + j]
    if m[m[i, IN_B], NEEDS_GRAD]:
        for r in range(rows):
            for j in range(cols):
                g[ob + r * sb + j] += g[o + r * cols + j] * v[oa + r * sa + j]


@njit
def jvp_mul(m, c, v, t, i, batch):
    rows, cols, o, oa, ob, sa, sb = _binary_offsets(m, i, batch)
    for r in range(rows):
        for j in range(cols):
            ka, kb = oa + r * sa + j, ob + r * sb + j
            t[o + r * cols + j] = t[ka] * v[kb] + v[ka] * t[kb]


# ---------------------------------------------------------------- scale: out = c·a
@njit
def fwd_scale(m, c, v, i, batch):
    rows, cols, o = _shape(m, i, batch)
    oa = _off(m, m[i, IN_A])
    k = v.dtype.type(c[i])
    for e in range(rows * cols):
        v[o + e] = k * v[oa + e]


@njit
def vjp_scale(m, c, v, g, i, batch):
    rows, cols, o = _shape(m, i, batch)
    a = m[i, IN_A]
    if m[a, NEEDS_GRAD]:
        oa = _off(m, a)
        k = v.dtype.type(c[i])
        for e in range(rows * cols):
            g[oa + e] += k * g[o + e]


@njit
def jvp_scale(m, c, v, t, i, batch):
    rows, cols, o = _shape(m, i, batch)
    oa = _off(m, m[i, IN_A])
    for e in range(rows * cols):
        t[o + e] = c[i] * t[oa + e]


# ---------------------------------------------------------------- sum, mean: out = Σ a, mean(a)
@njit_inline
def _reduce_input(m, i, batch):
    a = m[i, IN_A]
    rows, cols, oa = _shape(m, a, batch)
    return a, rows * cols, oa


@njit
def fwd_sum(m, c, v, i, batch):
    _, n, oa = _reduce_input(m, i, batch)
    acc = 0.0
    for e in range(n):
        acc += v[oa + e]
    v[m[i, OFF]] = acc


@njit
def vjp_sum(m, c, v, g, i, batch):
    a, n, oa = _reduce_input(m, i, batch)
    if m[a, NEEDS_GRAD]:
        up = g[m[i, OFF]]
        for e in range(n):
            g[oa + e] += up


@njit
def jvp_sum(m, c, v, t, i, batch):
    _, n, oa = _reduce_input(m, i, batch)
    acc = 0.0
    for e in range(n):
        acc += t[oa + e]
    t[m[i, OFF]] = acc


@njit
def fwd_mean(m, c, v, i, batch):
    _, n, oa = _reduce_input(m, i, batch)
    acc = 0.0
    for e in range(n):
        acc += v[oa + e]
    v[m[i, OFF]] = acc / n


@njit
def vjp_mean(m, c, v, g, i, batch):
    a, n, oa = _reduce_input(m, i, batch)
    if m[a, NEEDS_GRAD]:
        up = v.dtype.type(g[m[i, OFF]] / n)
        for e in range(n):
            g[oa + e] += up


@njit
def jvp_mean(m, c, v, t, i, batch):
    _, n, oa = _reduce_input(m, i, batch)
    acc = 0.0
    for e in range(n):
        acc += t[oa + e]
    t[m[i, OFF]] = acc / n


# ---------------------------------------------------------------- elementwise activations
@njit_inline
def _unary(m, i, batch):
    rows, cols, o = _shape(m, i, batch)
    a = m[i, IN_A]
    return a, rows * cols, o, _off(m, a)


@njit
def fwd_sigmoid(m, c, v, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    one = v.dtype.type(1.0)
    single = v.itemsize == 4
    for e in range(n):
        # exp(−x) is huge for very negative x, giving (almost) exactly 0: no NaN.
        v[o + e] = one / (one + exp(-v[oa + e], single))


@njit
def vjp_sigmoid(m, c, v, g, i, batch):
    a, n, o, oa = _unary(m, i, batch)
    if m[a, NEEDS_GRAD]:
        for e in range(n):
            u = v[o + e]
            g[oa + e] += g[o + e] * (u - u * u)


@njit
def jvp_sigmoid(m, c, v, t, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        u = v[o + e]
        t[o + e] = t[oa + e] * (u - u * u)


@njit
def fwd_tanh(m, c, v, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        v[o + e] = np.tanh(v[oa + e])


@njit
def vjp_tanh(m, c, v, g, i, batch):
    a, n, o, oa = _unary(m, i, batch)
    if m[a, NEEDS_GRAD]:
        one = v.dtype.type(1.0)
        for e in range(n):
            u = v[o + e]
            g[oa + e] += g[o + e] * (one - u * u)


@njit
def jvp_tanh(m, c, v, t, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        u = v[o + e]
        t[o + e] = t[oa + e] * (1.0 - u * u)


@njit
def fwd_relu(m, c, v, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    zero = v.dtype.type(0.0)
    for e in range(n):
        x = v[oa + e]
        v[o + e] = x if x > zero else zero


@njit
def vjp_relu(m, c, v, g, i, batch):
    a, n, o, oa = _unary(m, i, batch)
    if m[a, NEEDS_GRAD]:
        zero = v.dtype.type(0.0)
        for e in range(n):
            g[oa + e] += g[o + e] if v[oa + e] > zero else zero


@njit
def jvp_relu(m, c, v, t, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        t[o + e] = t[oa + e] if v[oa + e] > 0.0 else 0.0


@njit
def fwd_identity(m, c, v, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        v[o + e] = v[oa + e]


@njit
def vjp_identity(m, c, v, g, i, batch):
    a, n, o, oa = _unary(m, i, batch)
    if m[a, NEEDS_GRAD]:
        for e in range(n):
            g[oa + e] += g[o + e]


@njit
def jvp_identity(m, c, v, t, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        t[o + e] = t[oa + e]


# The heaviside step H(x) = 1 for x > 0, else 0: its derivative is 0 wherever it exists, so
# gradients stop at it and gradient optimizers refuse it (the perceptron rule trains it).
# The VJP adds nothing and the JVP is 0, which is the true derivative.
@njit
def fwd_step(m, c, v, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        v[o + e] = 1.0 if v[oa + e] > 0.0 else 0.0


@njit
def vjp_step(m, c, v, g, i, batch):
    return


@njit
def jvp_step(m, c, v, t, i, batch):
    _, n, o, _ = _unary(m, i, batch)
    for e in range(n):
        t[o + e] = 0.0


# ---------------------------------------------------------------- softmax over each row
@njit
def _shifted_exp(v, oa, rows, cols, out, oo, tops, totals):
    """out[oo + k] = e^(z_k − max of z's row) for z at v[oa:]; each row's max in tops and
    its sum of shifted exps in totals.

    Shifting by the row maximum keeps e^z finite. Subtracting row by row and taking exp in
    one flat pass lets the exps vectorise: rows of ten logits are too short to.
    """
    single = v.itemsize == 4
    for r in range(rows):
        row = oa + r * cols
        top = v[row]
        for j in range(np.uint64(1), cols):
            top = max(top, v[row + j])
        tops[r] = top
        for j in range(cols):
            out[oo + r * cols + j] = v[row + j] - top
    for e in range(rows * cols):
        out[oo + e] = exp(out[oo + e], single)
    for r in range(rows):
        total = 0.0
        for j in range(cols):
            total += out[oo + r * cols + j]
        totals[r] = total


@njit_allocating
def fwd_softmax(m, c, v, i, batch):
    rows, cols, o = _shape(m, i, batch)
    oa = _off(m, m[i, IN_A])
    tops = np.empty(rows, np.float64)
    totals = np.empty(rows, np.float64)
    _shifted_exp(v, oa, rows, cols, v, o, tops, totals)
    for r in range(rows):
        for j in range(cols):
            v[o + r * cols + j] /= totals[r]


@njit
def vjp_softmax(m, c, v, g, i, batch):
    rows, cols, o = _shape(m, i, batch)
    a = m[i, IN_A]
    if m[a, NEEDS_GRAD]:
        oa = _off(m, a)
        for r in range(rows):
            dot = 0.0
            for j in range(cols):
                dot += g[o + r * cols + j] * v[o + r * cols + j]
            for j in range(cols):
                k = r * cols + j
                g[oa + k] += v[o + k] * (g[o + k] - dot)


@njit
def jvp_softmax(m, c, v, t, i, batch):
    rows, cols, o = _shape(m, i, batch)
    oa = _off(m, m[i, IN_A])
    for r in range(rows):
        dot = 0.0
        for j in range(cols):
            dot += t[oa + r * cols + j] * v[o + r * cols + j]
        for j in range(cols):
            k = r * cols + j
            t[o + k] = v[o + k] * (t[oa + k] - dot)


# -------------------------------------------------------- losses: a = prediction, b = target
@njit_inline
def _loss_inputs(m, i, batch):
    a, b = m[i, IN_A], m[i, IN_B]
    rows, cols, oa = _shape(m, a, batch)
    return a, b, rows, cols, oa, _off(m, b)


@njit
def fwd_mse(m, c, v, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    acc = 0.0
    for e in range(n):
        d = v[oa + e] - v[ob + e]
        acc += d * d
    v[m[i, OFF]] = acc / n


@njit
def vjp_mse(m, c, v, g, i, batch):
    a, b, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    k = v.dtype.type(2.0 * g[m[i, OFF]] / n)
    for e in range(n):
        d = k * (v[oa + e] - v[ob + e])
        if m[a, NEEDS_GRAD]:
            g[oa + e] += d
        if m[b, NEEDS_GRAD]:
            g[ob + e] -= d


@njit
def jvp_mse(m, c, v, t, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    acc = 0.0
    for e in range(n):
        acc += 2.0 * (v[oa + e] - v[ob + e]) * (t[oa + e] - t[ob + e])
    t[m[i, OFF]] = acc / n


@njit
def fwd_mae(m, c, v, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    acc = 0.0
    for e in range(n):
        acc += abs(v[oa + e] - v[ob + e])
    v[m[i, OFF]] = acc / n


@njit
def vjp_mae(m, c, v, g, i, batch):
    a, b, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    k = v.dtype.type(g[m[i, OFF]] / n)
    for e in range(n):
        d = k * np.sign(v[oa + e] - v[ob + e])
        if m[a, NEEDS_GRAD]:
            g[oa + e] += d
        if m[b, NEEDS_GRAD]:
            g[ob + e] -= d


@njit
def jvp_mae(m, c, v, t, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    acc = 0.0
    for e in range(n):
        acc += np.sign(v[oa + e] - v[ob + e]) * (t[oa + e] - t[ob + e])
    t[m[i, OFF]] = acc / n


# bce clamps the probability to [eps, 1 − eps] (eps = the node's constant) so ln never sees 0.
@njit_inline
def _clamp(p, eps):
    return min(max(p, eps), 1.0 - eps)


@njit
def fwd_bce(m, c, v, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    acc = 0.0
    for e in range(n):
        p = _clamp(v[oa + e], c[i])
        y = v[ob + e]
        # a 0/1 target needs one logarithm, not two
        if y == 1.0:
            acc -= math.log(p)
        elif y == 0.0:
            acc -= math.log(1.0 - p)
        else:
            acc -= y * math.log(p) + (1.0 - y) * math.log(1.0 - p)
    v[m[i, OFF]] = acc / n


@njit
def vjp_bce(m, c, v, g, i, batch):
    a, b, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    up = g[m[i, OFF]] / n
    for e in range(n):
        p = _clamp(v[oa + e], c[i])
        y = v[ob + e]
        if m[a, NEEDS_GRAD]:
            g[oa + e] += up * (p - y) / (p * (1.0 - p))
        if m[b, NEEDS_GRAD]:
            g[ob + e] -= up * (math.log(p) - math.log(1.0 - p))


@njit
def jvp_bce(m, c, v, t, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    acc = 0.0
    for e in range(n):
        p = _clamp(v[oa + e], c[i])
        y = v[ob + e]
        acc += t[oa + e] * (p - y) / (p * (1.0 - p))
        acc -= t[ob + e] * (math.log(p) - math.log(1.0 - p))
    t[m[i, OFF]] = acc / n


# ln(1 + e^z) − y·z written as max(z, 0) − y·z + ln(1 + e^−|z|): no overflow for large |z|.
@njit
def fwd_bce_logits(m, c, v, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    acc = 0.0
    for e in range(n):
        z = v[oa + e]
        acc += max(z, 0.0) - v[ob + e] * z + math.log1p(math.exp(-abs(z)))
    v[m[i, OFF]] = acc / n


@njit
def vjp_bce_logits(m, c, v, g, i, batch):
    a, b, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    up = g[m[i, OFF]] / n
    for e in range(n):
        z = v[oa + e]
        if m[a, NEEDS_GRAD]:
            g[oa + e] += up * (1.0 / (1.0 + math.exp(-z)) - v[ob + e])
        if m[b, NEEDS_GRAD]:
            g[ob + e] -= up * z


@njit
def jvp_bce_logits(m, c, v, t, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    n = rows * cols
    acc = 0.0
    for e in range(n):
        z = v[oa + e]
        acc += t[oa + e] * (1.0 / (1.0 + math.exp(-z)) - v[ob + e]) - t[ob + e] * z
    t[m[i, OFF]] = acc / n


# softmax cross-entropy from logits, per row: Σ_k y_k·(lse − z_k), lse = ln Σ e^z (shifted by max).
@njit
def _logsumexp_row(v, o, cols):
    top = v[o]
    for j in range(np.uint64(1), cols):
        top = max(top, v[o + j])
    total = 0.0
    for j in range(cols):
        total += math.exp(v[o + j] - top)
    return top + math.log(total)


@njit_allocating
def fwd_softmax_ce(m, c, v, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    shifted = np.empty(rows * cols, v.dtype)
    tops = np.empty(rows, np.float64)
    totals = np.empty(rows, np.float64)
    _shifted_exp(v, oa, rows, cols, shifted, np.uint64(0), tops, totals)
    acc = 0.0
    for r in range(rows):
        lse = tops[r] + math.log(totals[r])
        for j in range(cols):
            acc += v[ob + r * cols + j] * (lse - v[oa + r * cols + j])
    v[m[i, OFF]] = acc / rows


@njit_allocating
def vjp_softmax_ce(m, c, v, g, i, batch):
    a, b, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    up = g[m[i, OFF]] / rows
    if m[a, NEEDS_GRAD]:  # (softmax(z)·Σy − y)/rows: p − y for one-hot targets
        shifted = np.empty(rows * cols, v.dtype)
        tops = np.empty(rows, np.float64)
        totals = np.empty(rows, np.float64)
        _shifted_exp(v, oa, rows, cols, shifted, np.uint64(0), tops, totals)
        for r in range(rows):
            ysum = 0.0
            for j in range(cols):
                ysum += v[ob + r * cols + j]
            for j in range(cols):
                k = r * cols + j
                # p as the softmax node rounds it; p·Σy − y in float64, rounded once
                p = float(v.dtype.type(shifted[k] / totals[r]))
                g[oa + k] += up * (p * ysum - v[ob + k])
    if m[b, NEEDS_GRAD]:
        for r in range(rows):
            lse = _logsumexp_row(v, oa + r * cols, cols)
            for j in range(cols):
                k = r * cols + j
                g[ob + k] += up * (lse - v[oa + k])


@njit
def jvp_softmax_ce(m, c, v, t, i, batch):
    _, _, rows, cols, oa, ob = _loss_inputs(m, i, batch)
    acc = 0.0
    for r in range(rows):
        lse = _logsumexp_row(v, oa + r * cols, cols)
        ysum = 0.0
        for j in range(cols):
            ysum += v[ob + r * cols + j]
        for j in range(cols):
            k = r * cols + j
            acc += t[oa + k] * (math.exp(v[oa + k] - lse) * ysum - v[ob + k])
            acc += t[ob + k] * (lse - v[oa + k])
    t[m[i, OFF]] = acc / rows


# ---------------------------------------------------------------- l2 penalty: out = c·Σ a²
@njit
def fwd_l2(m, c, v, i, batch):
    _, n, oa = _reduce_input(m, i, batch)
    acc = 0.0
    for e in range(n):
        acc += v[oa + e] * v[oa + e]
    v[m[i, OFF]] = c[i] * acc


@njit
def vjp_l2(m, c, v, g, i, batch):
    a, n, oa = _reduce_input(m, i, batch)
    if m[a, NEEDS_GRAD]:
        k = v.dtype.type(2.0 * c[i] * g[m[i, OFF]])
        for e in range(n):
            g[oa + e] += k * v[oa + e]


@njit
def jvp_l2(m, c, v, t, i, batch):
    _, n, oa = _reduce_input(m, i, batch)
    acc = 0.0
    for e in range(n):
        acc += 2.0 * v[oa + e] * t[oa + e]
    t[m[i, OFF]] = c[i] * acc


# ---------------------------------------------------------------- l1 penalty: out = c·Σ |a|
# |a| has no derivative at 0: the rules take the subgradient 0 there (sign(0) = 0, as
# PyTorch's abs does), so a weight at exactly 0 feels no pull from the penalty.
@njit
def fwd_l1(m, c, v, i, batch):
    _, n, oa = _reduce_input(m, i, batch)
    acc = 0.0
    for e in range(n):
        acc += abs(v[oa + e])
    v[m[i, OFF]] = c[i] * acc


@njit
def vjp_l1(m, c, v, g, i, batch):
    a, n, oa = _reduce_input(m, i, batch)
    if m[a, NEEDS_GRAD]:
        k = v.dtype.type(c[i] * g[m[i, OFF]])
        for e in range(n):
            g[oa + e] += k * np.sign(v[oa + e])


@njit
def jvp_l1(m, c, v, t, i, batch):
    _, n, oa = _reduce_input(m, i, batch)
    acc = 0.0
    for e in range(n):
        acc += np.sign(v[oa + e]) * t[oa + e]
    t[m[i, OFF]] = c[i] * acc


# ---------------------------------------------------------------- features: out = φ(a)
# Engineered input columns. b is the table of the features, one row each:
# [kind, column, power, column, power, column, power]; kind 0 is the product of the powers
# (a power 0 is no factor), 1 is sin(column), 2 is cos(column). Columns are a's, 0-based.
FEATURE_PRODUCT, FEATURE_SIN, FEATURE_COS = 0, 1, 2
FEATURE_TABLE_COLUMNS = 7


@njit
def _feature_rows(m, i, batch):
    rows, cols, o = _shape(m, i, batch)
    a, b = m[i, IN_A], m[i, IN_B]
    return rows, cols, o, _off(m, a), np.uint64(m[a, COLS]), _off(m, b), a, b


@njit
def _feature_entry(v, ob, f, slot):
    """Entry `slot` of feature f's row of the table (whole numbers stored as floats)."""
    return int(np.floor(v[ob + f * FEATURE_TABLE_COLUMNS + slot] + 0.5))


@njit
def _feature_product(v, base, ob, f, skip):
    """Π x[column]^power over feature f's factors, factor `skip` left out (−1: none)."""
    acc = 1.0
    for k in range(3):
        if k == skip:
            continue
        power = _feature_entry(v, ob, f, 2 + 2 * k)
        x = float(v[base + _feature_entry(v, ob, f, 1 + 2 * k)])
        for _ in range(power):
            acc *= x
    return acc


@njit
def _feature_slope(v, base, ob, f, k):
    """∂φ_f/∂x[column of factor k] for a product: power·x^(power−1)·(the other factors)."""
    power = _feature_entry(v, ob, f, 2 + 2 * k)
    if power == 0:
        return 0.0
    x = float(v[base + _feature_entry(v, ob, f, 1 + 2 * k)])
    d = float(power)
    for _ in range(power - 1):
        d *= x
    return d * _feature_product(v, base, ob, f, k)


@njit
def fwd_features(m, c, v, i, batch):
    rows, cols, o, oa, width, ob, _, _ = _feature_rows(m, i, batch)
    for r in range(rows):
        base = oa + r * width
        for f in range(cols):
            kind = _feature_entry(v, ob, f, 0)
            x = float(v[base + _feature_entry(v, ob, f, 1)])
            if kind == FEATURE_SIN:
                out = math.sin(x)
            elif kind == FEATURE_COS:
                out = math.cos(x)
            else:
                out = _feature_product(v, base, ob, f, -1)
            v[o + r * cols + f] = out


@njit
def vjp_features(m, c, v, g, i, batch):
    rows, cols, o, oa, width, ob, a, _ = _feature_rows(m, i, batch)
    if not m[a, NEEDS_GRAD]:
        return  # the table is whole numbers: it has no gradient
    for r in range(rows):
        base = oa + r * width
        for f in range(cols):
            up = float(g[o + r * cols + f])
            kind = _feature_entry(v, ob, f, 0)
            if kind == FEATURE_SIN or kind == FEATURE_COS:  # noqa: SIM109 (plain ints for numba)
                column = _feature_entry(v, ob, f, 1)
                x = float(v[base + column])
                d = math.cos(x) if kind == FEATURE_SIN else -math.sin(x)
                g[base + column] += up * d
                continue
            for k in range(3):
                column = _feature_entry(v, ob, f, 1 + 2 * k)
                g[base + column] += up * _feature_slope(v, base, ob, f, k)


@njit
def jvp_features(m, c, v, t, i, batch):
    rows, cols, o, oa, width, ob, _, _ = _feature_rows(m, i, batch)
    for r in range(rows):
        base = oa + r * width
        for f in range(cols):
            kind = _feature_entry(v, ob, f, 0)
            if kind == FEATURE_SIN or kind == FEATURE_COS:  # noqa: SIM109 (plain ints for numba)
                column = _feature_entry(v, ob, f, 1)
                x = float(v[base + column])
                d = math.cos(x) if kind == FEATURE_SIN else -math.sin(x)
                t[o + r * cols + f] = d * t[base + column]
                continue
            acc = 0.0
            for k in range(3):
                column = _feature_entry(v, ob, f, 1 + 2 * k)
                acc += _feature_slope(v, base, ob, f, k) * t[base + column]
            t[o + r * cols + f] = acc


# ================================================================ image ops
# A row of an image batch holds C·H·W numbers: element [c, y, x] at (c·H + y)·W + x.
# Geometry is int64 (it goes negative at the padding); the innermost loops index unsigned.
@njit
def _image(m, i):
    """(channels, height, width) of node i's images."""
    return m[i, CH], m[i, HT], m[i, WD]


@njit
def _window(m, i):
    """(size, stride, padding above, padding left) of node i's window."""
    return m[i, KSIZE], m[i, STRIDE], m[i, PAD_T], m[i, PAD_L]


@njit
def _inside(q, s, pad, width, n_out):
    """The output columns j in [lo, hi) whose input column s·j + q − pad lies in the image."""
    lo = 0
    while lo < n_out and lo * s + q - pad < 0:
        lo += 1
    hi = n_out
    while hi > lo and (hi - 1) * s + q - pad >= width:
        hi -= 1
    return lo, hi


@njit
def _im2col(v, base, C, H, W, k, s, pt, pl, Ho, Wo, out):
    """The patch matrix of the image at v[base:]: C·k·k rows of Ho·Wo columns, row
    (c·k + u)·k + q, column i·Wo + j holding x[c, s·i + u − pt, s·j + q − pl] (0 outside)."""
    plane = Ho * Wo
    zero = out.dtype.type(0.0)
    r = 0
    for ch in range(C):
        for u in range(k):
            for q in range(k):
                lo, hi = _inside(q, s, pl, W, Wo)
                for i in range(Ho):
                    dst = np.uint64(r * plane + i * Wo)
                    y = i * s + u - pt
                    if y < 0 or y >= H:
                        for j in range(np.uint64(Wo)):
                            out[dst + j] = zero
                        continue
                    for j in range(np.uint64(lo)):
                        out[dst + j] = zero
                    for j in range(np.uint64(hi), np.uint64(Wo)):
                        out[dst + j] = zero
                    src = np.uint64(base + (ch * H + y) * W + lo * s + q - pl)
                    d0 = dst + np.uint64(lo)
                    if s == 1:
                        for j in range(np.uint64(hi - lo)):
                            out[d0 + j] = v[src + j]
                    else:
                        su = np.uint64(s)
                        for j in range(np.uint64(hi - lo)):
                            out[d0 + j] = v[src + j * su]
                r += 1


@njit
def _col2im_add(cols, C, H, W, k, s, pt, pl, Ho, Wo, g, base):
    """The transpose of _im2col: add each patch entry back onto the pixel it was read from."""
    plane = Ho * Wo
    r = 0
    for ch in range(C):
        for u in range(k):
            for q in range(k):
                lo, hi = _inside(q, s, pl, W, Wo)
                for i in range(Ho):
                    y = i * s + u - pt
                    if y >= 0 and y < H:
                        src = np.uint64(r * plane + i * Wo + lo)
                        dst = np.uint64(base + (ch * H + y) * W + lo * s + q - pl)
                        su = np.uint64(s)
                        for j in range(np.uint64(hi - lo)):
                            g[dst + j * su] += cols[src + j]
                r += 1


@njit
def _conv_parts(m, i, batch):
    rows, _, o = _shape(m, i, batch)
    a, kf, bb = m[i, IN_A], m[i, IN_B], m[i, IN_C]
    C, H, W = _image(m, a)
    F, Ho, Wo = _image(m, i)
    return int(rows), o, a, kf, bb, C, H, W, F, Ho, Wo


# ---------------------------------------------------------------- conv2d: out = x ⋆ K + bias
# Per image, one GEMM on its patch matrix P (C·k·k × H'·W'): out_n = K·P_n + bias, which is
# already in the F × H' × W' layout. The bias rides in the GEMM as one more column of K
# against a row of ones under P: a separate pass to add it (or, backward, to sum the upstream
# map for it) cost as much as the GEMM, as a sum in order does not vectorise. The patches are
# built again in the backward pass rather than kept: a batch's patches take k² times the
# memory of its images.
@njit_allocating
def _filters_with_bias(v, ok, ob, F, depth):
    """[K | bias]: F rows of C·k·k weights and the filter's bias."""
    kb = np.empty(F * (depth + 1), v.dtype)
    for f in range(F):
        for e in range(depth):
            kb[f * (depth + 1) + e] = v[ok + np.uint64(f * depth + e)]
        kb[f * (depth + 1) + depth] = v[ob + np.uint64(f)]
    return kb


@njit_allocating
def _patches_with_ones(depth, plane, dtype):
    """Room for a patch matrix and, under it, the row of ones that meets the bias."""
    patches = np.empty((depth + 1) * plane, dtype)
    for e in range(plane):
        patches[depth * plane + e] = 1.0
    return patches


@njit_allocating
def fwd_conv2d(m, c, v, i, batch):
    rows, o, a, kf, bb, C, H, W, F, Ho, Wo = _conv_parts(m, i, batch)
    k, s, pt, pl = _window(m, i)
    oa, ok, ob = _off(m, a), _off(m, kf), _off(m, bb)
    depth, plane = C * k * k, Ho * Wo
    kb = _filters_with_bias(v, ok, ob, F, depth)
    patches = _patches_with_ones(depth, plane, v.dtype)
    for n in range(rows):
        _im2col(v, int(oa) + n * C * H * W, C, H, W, k, s, pt, pl, Ho, Wo, patches)
        gemm_strided(False, False, F, plane, depth + 1, kb, 0, depth + 1, patches, 0, plane,
                     0.0, v, int(o) + n * F * plane, plane)  # fmt: skip


@njit_allocating
def vjp_conv2d(m, c, v, g, i, batch):
    rows, o, a, kf, bb, C, H, W, F, Ho, Wo = _conv_parts(m, i, batch)
    k, s, pt, pl = _window(m, i)
    oa, ok, ob = _off(m, a), _off(m, kf), _off(m, bb)
    depth, plane = C * k * k, Ho * Wo
    need_x, need_k, need_b = m[a, NEEDS_GRAD], m[kf, NEEDS_GRAD], m[bb, NEEDS_GRAD]
    patches = _patches_with_ones(depth, plane, v.dtype)
    # ∂L/∂[K | bias] summed image by image: ∂L/∂out_n · [P_n; 1]ᵀ, whose last column is
    # Σ_ij ∂L/∂out[n, f, i, j]; each weight's entry is the upstream map ⋅ its patch row
    dkb = np.zeros(F * (depth + 1), v.dtype)
    for n in range(rows):
        on = int(o) + n * F * plane  # ∂L/∂out of image n: F × H'·W'
        if need_k or need_b:
            _im2col(v, int(oa) + n * C * H * W, C, H, W, k, s, pt, pl, Ho, Wo, patches)
            gemm_strided(False, True, F, depth + 1, plane, g, on, plane, patches, 0, plane,
                         1.0, dkb, 0, depth + 1)  # fmt: skip
        if need_x:  # ∂L/∂P_n = Kᵀ · ∂L/∂out_n, added back onto the pixels the patches read
            gemm_strided(True, False, depth, plane, F, v, int(ok), depth, g, on, plane,
                         0.0, patches, 0, plane)  # fmt: skip
            _col2im_add(patches, C, H, W, k, s, pt, pl, Ho, Wo, g, int(oa) + n * C * H * W)
    for f in range(F):
        if need_k:
            for e in range(depth):
                g[ok + np.uint64(f * depth + e)] += dkb[f * (depth + 1) + e]
        if need_b:
            g[ob + np.uint64(f)] += dkb[f * (depth + 1) + depth]


@njit
def jvp_conv2d(m, c, v, t, i, batch):
    """ṫ = ẋ ⋆ K + x ⋆ K̇ + ḃias, straight from the formula."""
    rows, o, a, kf, bb, C, H, W, F, Ho, Wo = _conv_parts(m, i, batch)
    k, s, pt, pl = _window(m, i)
    oa, ok, ob = int(_off(m, a)), int(_off(m, kf)), int(_off(m, bb))
    for n in range(rows):
        for f in range(F):
            for ii in range(Ho):
                for jj in range(Wo):
                    acc = t[ob + f]
                    for ch in range(C):
                        for u in range(k):
                            y = ii * s + u - pt
                            if y < 0 or y >= H:
                                continue
                            for q in range(k):
                                x = jj * s + q - pl
                                if x < 0 or x >= W:
                                    continue
                                px = oa + n * C * H * W + (ch * H + y) * W + x
                                w = ok + f * C * k * k + (ch * k + u) * k + q
                                acc += t[px] * v[w] + v[px] * t[w]
                    t[int(o) + n * F * Ho * Wo + (f * Ho + ii) * Wo + jj] = acc


# ---------------------------------------------------------------- pooling over k × k windows
@njit
def _pool_parts(m, i, batch):
    rows, _, o = _shape(m, i, batch)
    a = m[i, IN_A]
    C, H, W = _image(m, a)
    _, Ho, Wo = _image(m, i)
    k, s, _, _ = _window(m, i)
    return int(rows), int(o), a, int(_off(m, a)), C, H, W, Ho, Wo, k, s


@njit
def _argmax_window(v, e0, W, k):
    """Index of the first maximum (row by row) of the k × k window whose top left is v[e0].

    Selects, not branches: a branch on the comparison mispredicts half the time on real
    feature maps (3× slower here). 2 × 2 windows, the common case, are written out."""
    one = np.uint64(1)
    if k == 2:
        e1 = e0 + W
        best, top = e0, v[e0]
        x = v[e0 + one]
        best, top = (e0 + one, x) if x > top else (best, top)
        x = v[e1]
        best, top = (e1, x) if x > top else (best, top)
        x = v[e1 + one]
        best, top = (e1 + one, x) if x > top else (best, top)
        return best
    best = e0
    top = v[e0]
    for u in range(k):
        row = e0 + u * W
        for q in range(k):
            x = v[row + q]
            later = x > top
            top = x if later else top
            best = row + q if later else best
    return best


@njit
def _max_window(v, e0, W, k):
    """The maximum of the k × k window whose top left is v[e0] (the forward pass needs no
    index: half the work of _argmax_window)."""
    one = np.uint64(1)
    if k == 2:
        e1 = e0 + W
        return max(max(v[e0], v[e0 + one]), max(v[e1], v[e1 + one]))
    top = v[e0]
    for u in range(k):
        for q in range(k):
            top = max(top, v[e0 + u * W + q])
    return top


@njit
def _pool_planes(m, i, batch):
    """Unsigned geometry of a pooling node: every (image, channel) plane is pooled alike."""
    rows, o, a, oa, C, H, W, Ho, Wo, k, s = _pool_parts(m, i, batch)
    u = np.uint64
    return a, u(rows * C), u(o), u(oa), u(H * W), u(W), u(Ho), u(Wo), u(k), u(s)


@njit
def fwd_maxpool(m, c, v, i, batch):
    _, planes, o, oa, area, W, Ho, Wo, k, s = _pool_planes(m, i, batch)
    for p in range(planes):
        base, out = oa + p * area, o + p * Ho * Wo
        for ii in range(Ho):
            for jj in range(Wo):
                v[out + ii * Wo + jj] = _max_window(v, base + ii * s * W + jj * s, W, k)


@njit
def vjp_maxpool(m, c, v, g, i, batch):
    a, planes, o, oa, area, W, Ho, Wo, k, s = _pool_planes(m, i, batch)
    if not m[a, NEEDS_GRAD]:
        return
    for p in range(planes):
        base, out = oa + p * area, o + p * Ho * Wo
        for ii in range(Ho):
            for jj in range(Wo):
                g[_argmax_window(v, base + ii * s * W + jj * s, W, k)] += g[out + ii * Wo + jj]


@njit
def jvp_maxpool(m, c, v, t, i, batch):
    _, planes, o, oa, area, W, Ho, Wo, k, s = _pool_planes(m, i, batch)
    for p in range(planes):
        base, out = oa + p * area, o + p * Ho * Wo
        for ii in range(Ho):
            for jj in range(Wo):
                t[out + ii * Wo + jj] = t[_argmax_window(v, base + ii * s * W + jj * s, W, k)]


@njit
def _window_mean(v, base, W, y0, x0, k):
    acc = 0.0
    for u in range(k):
        for q in range(k):
            acc += v[base + (y0 + u) * W + x0 + q]
    return acc / (k * k)


@njit
def fwd_avgpool(m, c, v, i, batch):
    rows, o, a, oa, C, H, W, Ho, Wo, k, s = _pool_parts(m, i, batch)
    for n in range(rows):
        for ch in range(C):
            base = oa + (n * C + ch) * H * W
            out = o + (n * C + ch) * Ho * Wo
            for ii in range(Ho):
                for jj in range(Wo):
                    v[out + ii * Wo + jj] = _window_mean(v, base, W, ii * s, jj * s, k)


@njit
def vjp_avgpool(m, c, v, g, i, batch):
    rows, o, a, oa, C, H, W, Ho, Wo, k, s = _pool_parts(m, i, batch)
    if not m[a, NEEDS_GRAD]:
        return
    for n in range(rows):
        for ch in range(C):
            base = oa + (n * C + ch) * H * W
            out = o + (n * C + ch) * Ho * Wo
            for ii in range(Ho):
                for jj in range(Wo):
                    share = v.dtype.type(g[out + ii * Wo + jj] / (k * k))
                    for u in range(k):
                        for q in range(k):
                            g[base + (ii * s + u) * W + jj * s + q] += share


@njit
def jvp_avgpool(m, c, v, t, i, batch):
    rows, o, a, oa, C, H, W, Ho, Wo, k, s = _pool_parts(m, i, batch)
    for n in range(rows):
        for ch in range(C):
            base = oa + (n * C + ch) * H * W
            out = o + (n * C + ch) * Ho * Wo
            for ii in range(Ho):
                for jj in range(Wo):
                    t[out + ii * Wo + jj] = _window_mean(t, base, W, ii * s, jj * s, k)


# ---------------------------------------------------------------- reshape: the same numbers
@njit
def fwd_reshape(m, c, v, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        v[o + e] = v[oa + e]


@njit
def vjp_reshape(m, c, v, g, i, batch):
    a, n, o, oa = _unary(m, i, batch)
    if m[a, NEEDS_GRAD]:
        for e in range(n):
            g[oa + e] += g[o + e]


@njit
def jvp_reshape(m, c, v, t, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    for e in range(n):
        t[o + e] = t[oa + e]


# ------------------------------------------------- dropout: out = a ⊙ mask / (1 − rate)
# b is the node's mask leaf and c[i] the rate. The mask leaf's own constant is the draw key:
# non-zero, the forward rule draws the mask from (key, node, element), so running a step
# again (or a central-difference check) sees the same mask; 0 means evaluation: the op
# passes a through and leaves the last step's mask in place to be read.
@njit
def mix32(x):
    """A 32-bit integer hash (products stay below 2⁶³): the dropout masks' draws here and
    the epoch shuffles' seeds in loop.py."""
    x = ((x >> 16) ^ x) * 0x45D9F3B & 0xFFFFFFFF
    x = ((x >> 16) ^ x) * 0x45D9F3B & 0xFFFFFFFF
    return (x >> 16) ^ x


@njit
def dropout_key(seed, step):
    """The draw key of training step `step` (1-based) under `seed`: in 1 … 2³¹ − 1, exact in
    a float64 constant slot."""
    mixed = mix32(mix32(np.int64(seed) & 0xFFFFFFFF) ^ (np.int64(step) & 0xFFFFFFFF))
    return mixed % 2147483647 + 1


@njit
def arm_dropout(m, c, key):
    """Give every dropout node's mask the draw key `key` (0: evaluation, no dropout)."""
    for i in range(m.shape[0]):
        if m[i, OP] == ops.DROPOUT:
            c[m[i, IN_B]] = key


@njit
def _dropout_scale(m, c, v, i):
    """(armed, 1/(1 − rate) in the buffers' dtype)."""
    armed = c[m[i, IN_B]] != 0.0
    return armed, v.dtype.type(1.0 / (1.0 - c[i]))


@njit
def fwd_dropout(m, c, v, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    b = m[i, IN_B]
    ob = _off(m, b)
    armed, scale = _dropout_scale(m, c, v, i)
    if not armed:
        for e in range(n):
            v[o + e] = v[oa + e]
        return
    # an element is kept when its hash, as a fraction of 2³², is at least the rate
    threshold = np.int64(c[i] * 4294967296.0)
    salt = mix32((np.int64(c[b]) ^ (np.int64(i) * 40503)) & 0xFFFFFFFF)
    zero = v.dtype.type(0.0)
    one = v.dtype.type(1.0)
    for e in range(n):
        keep = mix32((salt + np.int64(e)) & 0xFFFFFFFF) >= threshold
        v[ob + e] = one if keep else zero
        v[o + e] = v[oa + e] * scale if keep else zero


@njit
def vjp_dropout(m, c, v, g, i, batch):
    a, n, o, oa = _unary(m, i, batch)
    if m[a, NEEDS_GRAD]:  # the mask is drawn, not an input to differentiate by
        ob = _off(m, m[i, IN_B])
        armed, scale = _dropout_scale(m, c, v, i)
        for e in range(n):
            g[oa + e] += g[o + e] * (v[ob + e] * scale) if armed else g[o + e]


@njit
def jvp_dropout(m, c, v, t, i, batch):
    _, n, o, oa = _unary(m, i, batch)
    ob = _off(m, m[i, IN_B])
    armed, scale = _dropout_scale(m, c, v, i)
    for e in range(n):
        t[o + e] = t[oa + e] * (v[ob + e] * scale) if armed else t[oa + e]
