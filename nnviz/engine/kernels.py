"""Per op: its forward, reverse-mode (VJP) and forward-mode (JVP) rule, side by side.

Every rule works on the Program's flat buffers: `v` values, `g` gradients, `t` tangents, all
laid out alike, with node i at offset meta[i, OFF] holding rows × cols elements (rows = the
batch size B for batch nodes). `m` is the Program's int table, `c` its float constants.

Forward rules write their node. VJP rules only accumulate (+=) into the inputs' gradients, and
only for inputs whose gradient is needed. JVP rules write their node's tangent.

Rules index views of the buffers from 0 (`_flat`, `_mat`): with indices numba can prove are not
negative it drops its wraparound checks, and the loops vectorise.
"""

import math

import numpy as np

from nnviz.engine.jit import BLAS_MIN_WORK, gemm, njit

# Columns of the Program's int table.
OP, IN_A, IN_B, ROWS, COLS, OFF, NEEDS_GRAD = 0, 1, 2, 3, 4, 5, 6
META_COLUMNS = 7


@njit
def _shape(m, i, batch):
    rows = m[i, ROWS]
    if rows < 0:
        rows = batch
    return rows, m[i, COLS], m[i, OFF]


@njit
def _flat(buf, m, i, batch):
    """Node i's elements in `buf` as a 1-D view."""
    rows, cols, off = _shape(m, i, batch)
    return buf[off : off + rows * cols]


@njit
def _mat(buf, m, i, batch):
    """Node i's elements in `buf` as a rows × cols view."""
    rows, cols, off = _shape(m, i, batch)
    return buf[off : off + rows * cols].reshape(rows, cols)


# ---------------------------------------------------------------- matmul: out = a·b
@njit
def fwd_matmul(m, c, v, i, batch):
    rows, cols, o = _shape(m, i, batch)
    _, inner, oa = _shape(m, m[i, IN_A], batch)
    ob = m[m[i, IN_B], OFF]
    if rows * inner * cols >= BLAS_MIN_WORK:
        gemm(False, False, rows, cols, inner, v, oa, v, ob, 0.0, v, o)
        return
    out = _mat(v, m, i, batch)
    a = _mat(v, m, m[i, IN_A], batch)
    b = _mat(v, m, m[i, IN_B], batch)
    for r in range(rows):
        for j in range(cols):
            out[r, j] = 0.0
        for k in range(inner):
            x = a[r, k]
            for j in range(cols):
                out[r, j] += x * b[k, j]


@njit
def vjp_matmul(m, c, v, g, i, batch):
    rows, cols, o = _shape(m, i, batch)
    ia, ib = m[i, IN_A], m[i, IN_B]
    _, inner, oa = _shape(m, ia, batch)
    ob = m[ib, OFF]
    big = rows * inner * cols >= BLAS_MIN_WORK
    up = _mat(g, m, i, batch)
    if m[ia, NEEDS_GRAD]:  # ∂L/∂a += ∂L/∂out · bᵀ
        if big:
            gemm(False, True, rows, inner, cols, g, o, v, ob, 1.0, g, oa)
        else:
            b = _mat(v, m, ib, batch)
            ga = _mat(g, m, ia, batch)
            for r in range(rows):
                for k in range(inner):
                    acc = up[r, 0] * b[k, 0]
                    for j in range(1, cols):
                        acc += up[r, j] * b[k, j]
                    ga[r, k] += acc
    if m[ib, NEEDS_GRAD]:  # ∂L/∂b += aᵀ · ∂L/∂out
        if big:
            gemm(True, False, inner, cols, rows, v, oa, g, o, 1.0, g, ob)
        else:
            a = _mat(v, m, ia, batch)
            gb = _mat(g, m, ib, batch)
            for r in range(rows):
                for k in range(inner):
                    x = a[r, k]
                    for j in range(cols):
                        gb[k, j] += x * up[r, j]


@njit
def jvp_matmul(m, c, v, t, i, batch):
    ia, ib = m[i, IN_A], m[i, IN_B]
    a, b = _mat(v, m, ia, batch), _mat(v, m, ib, batch)
    ta, tb = _mat(t, m, ia, batch), _mat(t, m, ib, batch)
    out = _mat(t, m, i, batch)
    for r in range(out.shape[0]):
        for j in range(out.shape[1]):
            acc = 0.0
            for k in range(a.shape[1]):
                acc += ta[r, k] * b[k, j] + a[r, k] * tb[k, j]
            out[r, j] = acc


# ---------------------------------------------------------------- add / sub: out = a ± b
# Either operand may have one row; it is then broadcast over the rows of the other.
@njit
def _row(x, r):
    """Row r of x, or its only row when x is broadcast."""
    return x[r] if x.shape[0] > 1 else x[0]


@njit
def fwd_add(m, c, v, i, batch):
    out = _mat(v, m, i, batch)
    a, b = _mat(v, m, m[i, IN_A], batch), _mat(v, m, m[i, IN_B], batch)
    for r in range(out.shape[0]):
        o, x, y = out[r], _row(a, r), _row(b, r)
        for j in range(out.shape[1]):
            o[j] = x[j] + y[j]


@njit
def _accumulate_rows(dst, src, sign):
    """dst += sign·src, summing src's rows when dst is one broadcast row."""
    if dst.shape[0] == src.shape[0]:
        for r in range(src.shape[0]):
            d, s = dst[r], src[r]
            for j in range(src.shape[1]):
                d[j] += sign * s[j]
    else:
        d = dst[0]
        for r in range(src.shape[0]):
            s = src[r]
            for j in range(src.shape[1]):
                d[j] += sign * s[j]


@njit
def vjp_add(m, c, v, g, i, batch):
    up = _mat(g, m, i, batch)
    one = g.dtype.type(1.0)
    for side in (IN_A, IN_B):
        x = m[i, side]
        if m[x, NEEDS_GRAD]:
            _accumulate_rows(_mat(g, m, x, batch), up, one)


@njit
def jvp_add(m, c, v, t, i, batch):
    out = _mat(t, m, i, batch)
    a, b = _mat(t, m, m[i, IN_A], batch), _mat(t, m, m[i, IN_B], batch)
    for r in range(out.shape[0]):
        o, x, y = out[r], _row(a, r), _row(b, r)
        for j in range(out.shape[1]):
            o[j] = x[j] + y[j]


@njit
def fwd_sub(m, c, v, i, batch):
    out = _mat(v, m, i, batch)
    a, b = _mat(v, m, m[i, IN_A], batch), _mat(v, m, m[i, IN_B], batch)
    for r in range(out.shape[0]):
        o, x, y = out[r], _row(a, r), _row(b, r)
        for j in range(out.shape[1]):
            o[j] = x[j] - y[j]


@njit
def vjp_sub(m, c, v, g, i, batch):
    up = _mat(g, m, i, batch)
    ia, ib = m[i, IN_A], m[i, IN_B]
    if m[ia, NEEDS_GRAD]:
        _accumulate_rows(_mat(g, m, ia, batch), up, g.dtype.type(1.0))
    if m[ib, NEEDS_GRAD]:
        _accumulate_rows(_mat(g, m, ib, batch), up, g.dtype.type(-1.0))


@njit
def jvp_sub(m, c, v, t, i, batch):
    out = _mat(t, m, i, batch)
    a, b = _mat(t, m, m[i, IN_A], batch), _mat(t, m, m[i, IN_B], batch)
    for r in range(out.shape[0]):
        o, x, y = out[r], _row(a, r), _row(b, r)
        for j in range(out.shape[1]):
            o[j] = x[j] - y[j]


# ---------------------------------------------------------------- mul: out = a ⊙ b
@njit
def fwd_mul(m, c, v, i, batch):
    out = _mat(v, m, i, batch)
    a, b = _mat(v, m, m[i, IN_A], batch), _mat(v, m, m[i, IN_B], batch)
    for r in range(out.shape[0]):
        o, x, y = out[r], _row(a, r), _row(b, r)
        for j in range(out.shape[1]):
            o[j] = x[j] * y[j]


@njit
def _accumulate_product(dst, up, other):
    """dst += up ⊙ other, summing rows when dst is one broadcast row."""
    for r in range(up.shape[0]):
        d, u, w = _row(dst, r), up[r], _row(other, r)
        for j in range(up.shape[1]):
            d[j] += u[j] * w[j]


@njit
def vjp_mul(m, c, v, g, i, batch):
    up = _mat(g, m, i, batch)
    ia, ib = m[i, IN_A], m[i, IN_B]
    if m[ia, NEEDS_GRAD]:
        _accumulate_product(_mat(g, m, ia, batch), up, _mat(v, m, ib, batch))
    if m[ib, NEEDS_GRAD]:
        _accumulate_product(_mat(g, m, ib, batch), up, _mat(v, m, ia, batch))


@njit
def jvp_mul(m, c, v, t, i, batch):
    ia, ib = m[i, IN_A], m[i, IN_B]
    out = _mat(t, m, i, batch)
    a, b = _mat(v, m, ia, batch), _mat(v, m, ib, batch)
    ta, tb = _mat(t, m, ia, batch), _mat(t, m, ib, batch)
    for r in range(out.shape[0]):
        o, x, y, tx, ty = out[r], _row(a, r), _row(b, r), _row(ta, r), _row(tb, r)
        for j in range(out.shape[1]):
            o[j] = tx[j] * y[j] + x[j] * ty[j]


# ---------------------------------------------------------------- scale: out = c·a
@njit
def fwd_scale(m, c, v, i, batch):
    out, a = _flat(v, m, i, batch), _flat(v, m, m[i, IN_A], batch)
    k = v.dtype.type(c[i])
    for e in range(out.size):
        out[e] = k * a[e]


@njit
def vjp_scale(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        up, ga = _flat(g, m, i, batch), _flat(g, m, ia, batch)
        k = g.dtype.type(c[i])
        for e in range(up.size):
            ga[e] += k * up[e]


@njit
def jvp_scale(m, c, v, t, i, batch):
    out, ta = _flat(t, m, i, batch), _flat(t, m, m[i, IN_A], batch)
    for e in range(out.size):
        out[e] = c[i] * ta[e]


# ---------------------------------------------------------------- sum, mean: out = Σ a, mean(a)
@njit
def _total(x):
    acc = 0.0
    for e in range(x.size):
        acc += x[e]
    return acc


@njit
def fwd_sum(m, c, v, i, batch):
    v[m[i, OFF]] = _total(_flat(v, m, m[i, IN_A], batch))


@njit
def vjp_sum(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        ga = _flat(g, m, ia, batch)
        up = g[m[i, OFF]]
        for e in range(ga.size):
            ga[e] += up


@njit
def jvp_sum(m, c, v, t, i, batch):
    t[m[i, OFF]] = _total(_flat(t, m, m[i, IN_A], batch))


@njit
def fwd_mean(m, c, v, i, batch):
    a = _flat(v, m, m[i, IN_A], batch)
    v[m[i, OFF]] = _total(a) / a.size


@njit
def vjp_mean(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        ga = _flat(g, m, ia, batch)
        up = g.dtype.type(g[m[i, OFF]] / ga.size)
        for e in range(ga.size):
            ga[e] += up


@njit
def jvp_mean(m, c, v, t, i, batch):
    ta = _flat(t, m, m[i, IN_A], batch)
    t[m[i, OFF]] = _total(ta) / ta.size


# ---------------------------------------------------------------- elementwise activations
@njit
def fwd_sigmoid(m, c, v, i, batch):
    out, a = _flat(v, m, i, batch), _flat(v, m, m[i, IN_A], batch)
    one = v.dtype.type(1.0)
    for e in range(out.size):
        # exp(−x) overflows to inf for very negative x, giving exactly 0: no NaN.
        out[e] = one / (one + np.exp(-a[e]))


@njit
def vjp_sigmoid(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        u, up, ga = _flat(v, m, i, batch), _flat(g, m, i, batch), _flat(g, m, ia, batch)
        for e in range(u.size):
            ga[e] += up[e] * (u[e] - u[e] * u[e])


@njit
def jvp_sigmoid(m, c, v, t, i, batch):
    u, out, ta = _flat(v, m, i, batch), _flat(t, m, i, batch), _flat(t, m, m[i, IN_A], batch)
    for e in range(u.size):
        out[e] = ta[e] * (u[e] - u[e] * u[e])


@njit
def fwd_tanh(m, c, v, i, batch):
    out, a = _flat(v, m, i, batch), _flat(v, m, m[i, IN_A], batch)
    for e in range(out.size):
        out[e] = np.tanh(a[e])


@njit
def vjp_tanh(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        u, up, ga = _flat(v, m, i, batch), _flat(g, m, i, batch), _flat(g, m, ia, batch)
        one = v.dtype.type(1.0)
        for e in range(u.size):
            ga[e] += up[e] * (one - u[e] * u[e])


@njit
def jvp_tanh(m, c, v, t, i, batch):
    u, out, ta = _flat(v, m, i, batch), _flat(t, m, i, batch), _flat(t, m, m[i, IN_A], batch)
    for e in range(u.size):
        out[e] = ta[e] * (1.0 - u[e] * u[e])


@njit
def fwd_relu(m, c, v, i, batch):
    out, a = _flat(v, m, i, batch), _flat(v, m, m[i, IN_A], batch)
    zero = v.dtype.type(0.0)
    for e in range(out.size):
        out[e] = a[e] if a[e] > zero else zero


@njit
def vjp_relu(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        a, up, ga = _flat(v, m, ia, batch), _flat(g, m, i, batch), _flat(g, m, ia, batch)
        zero = v.dtype.type(0.0)
        for e in range(a.size):
            ga[e] += up[e] if a[e] > zero else zero


@njit
def jvp_relu(m, c, v, t, i, batch):
    a, out, ta = (
        _flat(v, m, m[i, IN_A], batch),
        _flat(t, m, i, batch),
        _flat(t, m, m[i, IN_A], batch),
    )
    for e in range(a.size):
        out[e] = ta[e] if a[e] > 0.0 else 0.0


@njit
def fwd_identity(m, c, v, i, batch):
    out, a = _flat(v, m, i, batch), _flat(v, m, m[i, IN_A], batch)
    for e in range(out.size):
        out[e] = a[e]


@njit
def vjp_identity(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        up, ga = _flat(g, m, i, batch), _flat(g, m, ia, batch)
        for e in range(up.size):
            ga[e] += up[e]


@njit
def jvp_identity(m, c, v, t, i, batch):
    out, ta = _flat(t, m, i, batch), _flat(t, m, m[i, IN_A], batch)
    for e in range(out.size):
        out[e] = ta[e]


# The heaviside step H(x) = 1 for x > 0, else 0: its derivative is 0 wherever it exists, so
# gradients stop at it and gradient optimizers refuse it (the perceptron rule trains it).
# The VJP adds nothing and the JVP is 0, which is the true derivative.
@njit
def fwd_step(m, c, v, i, batch):
    out, a = _flat(v, m, i, batch), _flat(v, m, m[i, IN_A], batch)
    for e in range(out.size):
        out[e] = 1.0 if a[e] > 0.0 else 0.0


@njit
def vjp_step(m, c, v, g, i, batch):
    return


@njit
def jvp_step(m, c, v, t, i, batch):
    out = _flat(t, m, i, batch)
    for e in range(out.size):
        out[e] = 0.0


# ---------------------------------------------------------------- softmax over each row
@njit
def fwd_softmax(m, c, v, i, batch):
    out, a = _mat(v, m, i, batch), _mat(v, m, m[i, IN_A], batch)
    for r in range(out.shape[0]):
        top = a[r, 0]
        for j in range(1, out.shape[1]):
            top = max(top, a[r, j])
        total = 0.0
        for j in range(out.shape[1]):
            e = np.exp(a[r, j] - top)
            out[r, j] = e
            total += e
        for j in range(out.shape[1]):
            out[r, j] /= total


@njit
def vjp_softmax(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        u, up, ga = _mat(v, m, i, batch), _mat(g, m, i, batch), _mat(g, m, ia, batch)
        for r in range(u.shape[0]):
            dot = 0.0
            for j in range(u.shape[1]):
                dot += up[r, j] * u[r, j]
            for j in range(u.shape[1]):
                ga[r, j] += u[r, j] * (up[r, j] - dot)


@njit
def jvp_softmax(m, c, v, t, i, batch):
    u, out, ta = _mat(v, m, i, batch), _mat(t, m, i, batch), _mat(t, m, m[i, IN_A], batch)
    for r in range(u.shape[0]):
        dot = 0.0
        for j in range(u.shape[1]):
            dot += ta[r, j] * u[r, j]
        for j in range(u.shape[1]):
            out[r, j] = u[r, j] * (ta[r, j] - dot)


# -------------------------------------------------------- losses: a = prediction, b = target
@njit
def _loss_views(buf, m, i, batch):
    return _flat(buf, m, m[i, IN_A], batch), _flat(buf, m, m[i, IN_B], batch)


@njit
def fwd_mse(m, c, v, i, batch):
    a, b = _loss_views(v, m, i, batch)
    acc = 0.0
    for e in range(a.size):
        d = a[e] - b[e]
        acc += d * d
    v[m[i, OFF]] = acc / a.size


@njit
def vjp_mse(m, c, v, g, i, batch):
    ia, ib = m[i, IN_A], m[i, IN_B]
    a, b = _loss_views(v, m, i, batch)
    ga, gb = _loss_views(g, m, i, batch)
    k = g.dtype.type(2.0 * g[m[i, OFF]] / a.size)
    for e in range(a.size):
        d = k * (a[e] - b[e])
        if m[ia, NEEDS_GRAD]:
            ga[e] += d
        if m[ib, NEEDS_GRAD]:
            gb[e] -= d


@njit
def jvp_mse(m, c, v, t, i, batch):
    a, b = _loss_views(v, m, i, batch)
    ta, tb = _loss_views(t, m, i, batch)
    acc = 0.0
    for e in range(a.size):
        acc += 2.0 * (a[e] - b[e]) * (ta[e] - tb[e])
    t[m[i, OFF]] = acc / a.size


@njit
def fwd_mae(m, c, v, i, batch):
    a, b = _loss_views(v, m, i, batch)
    acc = 0.0
    for e in range(a.size):
        acc += abs(a[e] - b[e])
    v[m[i, OFF]] = acc / a.size


@njit
def vjp_mae(m, c, v, g, i, batch):
    ia, ib = m[i, IN_A], m[i, IN_B]
    a, b = _loss_views(v, m, i, batch)
    ga, gb = _loss_views(g, m, i, batch)
    k = g.dtype.type(g[m[i, OFF]] / a.size)
    for e in range(a.size):
        d = k * np.sign(a[e] - b[e])
        if m[ia, NEEDS_GRAD]:
            ga[e] += d
        if m[ib, NEEDS_GRAD]:
            gb[e] -= d


@njit
def jvp_mae(m, c, v, t, i, batch):
    a, b = _loss_views(v, m, i, batch)
    ta, tb = _loss_views(t, m, i, batch)
    acc = 0.0
    for e in range(a.size):
        acc += np.sign(a[e] - b[e]) * (ta[e] - tb[e])
    t[m[i, OFF]] = acc / a.size


# bce clamps the probability to [eps, 1 − eps] (eps = the node's constant) so ln never sees 0.
@njit
def _clamp(p, eps):
    return min(max(p, eps), 1.0 - eps)


@njit
def fwd_bce(m, c, v, i, batch):
    a, b = _loss_views(v, m, i, batch)
    acc = 0.0
    for e in range(a.size):
        p = _clamp(a[e], c[i])
        y = b[e]
        # a 0/1 target needs one logarithm, not two
        if y == 1.0:
            acc -= math.log(p)
        elif y == 0.0:
            acc -= math.log(1.0 - p)
        else:
            acc -= y * math.log(p) + (1.0 - y) * math.log(1.0 - p)
    v[m[i, OFF]] = acc / a.size


@njit
def vjp_bce(m, c, v, g, i, batch):
    ia, ib = m[i, IN_A], m[i, IN_B]
    a, b = _loss_views(v, m, i, batch)
    ga, gb = _loss_views(g, m, i, batch)
    up = g[m[i, OFF]] / a.size
    for e in range(a.size):
        p = _clamp(a[e], c[i])
        if m[ia, NEEDS_GRAD]:
            ga[e] += up * (p - b[e]) / (p * (1.0 - p))
        if m[ib, NEEDS_GRAD]:
            gb[e] -= up * (math.log(p) - math.log(1.0 - p))


@njit
def jvp_bce(m, c, v, t, i, batch):
    a, b = _loss_views(v, m, i, batch)
    ta, tb = _loss_views(t, m, i, batch)
    acc = 0.0
    for e in range(a.size):
        p = _clamp(a[e], c[i])
        acc += ta[e] * (p - b[e]) / (p * (1.0 - p))
        acc -= tb[e] * (math.log(p) - math.log(1.0 - p))
    t[m[i, OFF]] = acc / a.size


# ln(1 + e^z) − y·z written as max(z, 0) − y·z + ln(1 + e^−|z|): no overflow for large |z|.
@njit
def fwd_bce_logits(m, c, v, i, batch):
    a, b = _loss_views(v, m, i, batch)
    acc = 0.0
    for e in range(a.size):
        z = a[e]
        acc += max(z, 0.0) - b[e] * z + math.log1p(math.exp(-abs(z)))
    v[m[i, OFF]] = acc / a.size


@njit
def vjp_bce_logits(m, c, v, g, i, batch):
    ia, ib = m[i, IN_A], m[i, IN_B]
    a, b = _loss_views(v, m, i, batch)
    ga, gb = _loss_views(g, m, i, batch)
    up = g[m[i, OFF]] / a.size
    for e in range(a.size):
        z = a[e]
        if m[ia, NEEDS_GRAD]:
            ga[e] += up * (1.0 / (1.0 + math.exp(-z)) - b[e])
        if m[ib, NEEDS_GRAD]:
            gb[e] -= up * z


@njit
def jvp_bce_logits(m, c, v, t, i, batch):
    a, b = _loss_views(v, m, i, batch)
    ta, tb = _loss_views(t, m, i, batch)
    acc = 0.0
    for e in range(a.size):
        z = a[e]
        acc += ta[e] * (1.0 / (1.0 + math.exp(-z)) - b[e]) - tb[e] * z
    t[m[i, OFF]] = acc / a.size


# softmax cross-entropy from logits, per row: Σ_k y_k·(lse − z_k), lse = ln Σ e^z (shifted by max).
@njit
def _logsumexp(row):
    top = row[0]
    for j in range(1, row.size):
        top = max(top, row[j])
    total = 0.0
    for j in range(row.size):
        total += math.exp(row[j] - top)
    return top + math.log(total)


@njit
def _ce_views(buf, m, i, batch):
    return _mat(buf, m, m[i, IN_A], batch), _mat(buf, m, m[i, IN_B], batch)


@njit
def fwd_softmax_ce(m, c, v, i, batch):
    z, y = _ce_views(v, m, i, batch)
    acc = 0.0
    for r in range(z.shape[0]):
        lse = _logsumexp(z[r])
        for j in range(z.shape[1]):
            acc += y[r, j] * (lse - z[r, j])
    v[m[i, OFF]] = acc / z.shape[0]


@njit
def vjp_softmax_ce(m, c, v, g, i, batch):
    ia, ib = m[i, IN_A], m[i, IN_B]
    z, y = _ce_views(v, m, i, batch)
    gz, gy = _ce_views(g, m, i, batch)
    up = g[m[i, OFF]] / z.shape[0]
    for r in range(z.shape[0]):
        lse = _logsumexp(z[r])
        ysum = 0.0
        for j in range(z.shape[1]):
            ysum += y[r, j]
        for j in range(z.shape[1]):
            if m[ia, NEEDS_GRAD]:  # (softmax(z)·Σy − y)/rows: p − y for one-hot targets
                gz[r, j] += up * (math.exp(z[r, j] - lse) * ysum - y[r, j])
            if m[ib, NEEDS_GRAD]:
                gy[r, j] += up * (lse - z[r, j])


@njit
def jvp_softmax_ce(m, c, v, t, i, batch):
    z, y = _ce_views(v, m, i, batch)
    tz, ty = _ce_views(t, m, i, batch)
    acc = 0.0
    for r in range(z.shape[0]):
        lse = _logsumexp(z[r])
        ysum = 0.0
        for j in range(z.shape[1]):
            ysum += y[r, j]
        for j in range(z.shape[1]):
            acc += tz[r, j] * (math.exp(z[r, j] - lse) * ysum - y[r, j])
            acc += ty[r, j] * (lse - z[r, j])
    t[m[i, OFF]] = acc / z.shape[0]


# ---------------------------------------------------------------- l2 penalty: out = c·Σ a²
@njit
def fwd_l2(m, c, v, i, batch):
    a = _flat(v, m, m[i, IN_A], batch)
    acc = 0.0
    for e in range(a.size):
        acc += a[e] * a[e]
    v[m[i, OFF]] = c[i] * acc


@njit
def vjp_l2(m, c, v, g, i, batch):
    ia = m[i, IN_A]
    if m[ia, NEEDS_GRAD]:
        a, ga = _flat(v, m, ia, batch), _flat(g, m, ia, batch)
        k = g.dtype.type(2.0 * c[i] * g[m[i, OFF]])
        for e in range(a.size):
            ga[e] += k * a[e]


@njit
def jvp_l2(m, c, v, t, i, batch):
    a, ta = _flat(v, m, m[i, IN_A], batch), _flat(t, m, m[i, IN_A], batch)
    acc = 0.0
    for e in range(a.size):
        acc += 2.0 * a[e] * ta[e]
    t[m[i, OFF]] = c[i] * acc
