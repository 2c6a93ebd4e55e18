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
from nnviz.engine.jit import BLAS_MIN_WORK, njit

# Columns of the Program's int table.
OP, IN_A, IN_B, ROWS, COLS, OFF, NEEDS_GRAD = 0, 1, 2, 3, 4, 5, 6
META_COLUMNS = 7


@njit
def _shape(m, i, batch):
    """(rows, cols, offset) of node i, unsigned."""
    rows = m[i, ROWS]
    if rows < 0:
        rows = batch
    return np.uint64(rows), np.uint64(m[i, COLS]), np.uint64(m[i, OFF])


@njit
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
                       V, int(oa), V, int(ob), 0.0, V, int(o))  # fmt: skip
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
                           G, int(o), V, int(ob), 1.0, G, int(oa))  # fmt: skip
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
                           V, int(oa), G, int(o), 1.0, G, int(ob))  # fmt: skip
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
@njit
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
@njit
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
@njit
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


@njit
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
@njit
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
@njit
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


@njit
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


@njit
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


# ------------------------------------------------- dropout: out = a ⊙ mask / (1 − rate)
# b is the node's mask leaf and c[i] the rate. The mask leaf's own constant is the draw key:
# non-zero, the forward rule draws the mask from (key, node, element), so running a step
# again (or a central-difference check) sees the same mask; 0 means evaluation: the op
# passes a through and leaves the last step's mask in place to be read.
@njit
def _mix32(x):
    """A 32-bit integer hash (products stay below 2⁶³)."""
    x = ((x >> 16) ^ x) * 0x45D9F3B & 0xFFFFFFFF
    x = ((x >> 16) ^ x) * 0x45D9F3B & 0xFFFFFFFF
    return (x >> 16) ^ x


@njit
def dropout_key(seed, step):
    """The draw key of training step `step` (1-based) under `seed`: in 1 … 2³¹ − 1, exact in
    a float64 constant slot."""
    mixed = _mix32(_mix32(np.int64(seed) & 0xFFFFFFFF) ^ (np.int64(step) & 0xFFFFFFFF))
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
    salt = _mix32((np.int64(c[b]) ^ (np.int64(i) * 40503)) & 0xFFFFFFFF)
    zero = v.dtype.type(0.0)
    one = v.dtype.type(1.0)
    for e in range(n):
        keep = _mix32((salt + np.int64(e)) & 0xFFFFFFFF) >= threshold
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
