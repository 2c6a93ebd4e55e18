"""Every op's VJP and JVP rule against central differences in float64 (one case per op)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnviz.engine import ops
from nnviz.engine.graph import Graph, compile

H = 1e-4  # the five-point stencil's truncation (~H⁴) and rounding (~1e-16·|L|/H) both stay tiny
TOLERANCE = 1e-6


def _build(op_name, inputs, const, source_image=None, attrs=None):
    """out = op(a0, a1, …) on parameters; with `source_image`, a0's rows are read as images of
    that (C, H, W) shape (through a reshape node) before the op sees them."""
    g = Graph()
    names = []
    for k, arr in enumerate(inputs):
        names.append(g.param(f"a{k}", arr))
    if source_image is not None:
        names[0] = g.op("reshape", names[0], name="a0_images", image=source_image)
    out = g.op(op_name, *names, name="out", const=const, **(attrs or {}))
    rows, cols = g.nodes[out].rows, g.nodes[out].cols
    weights = np.linspace(0.5, 1.5, rows * cols).reshape(rows, cols)  # a non-uniform upstream
    g.const("R", weights)
    g.op("mul", "out", "R", name="prod")
    g.loss = g.op("sum", "prod", name="L")
    return compile(g, np.float64, through_step=True)


def _loss(p):
    p.forward()
    return p.value("L")[0, 0]


def _rel_error(a, n):
    a, n = np.ravel(a), np.ravel(n)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-3)
    return float(np.max(np.abs(a - n) / scale, initial=0.0))


def check_rules(op_name, inputs, const=0.0, source_image=None, **attrs):
    """Assert the op's VJP and JVP rules match central differences on these inputs."""
    p = _build(op_name, inputs, const, source_image, attrs)
    _loss(p)
    p.seed()
    p.backward()
    rng = np.random.default_rng(0)
    for k, _ in enumerate(inputs):
        name = f"a{k}"
        flat = p.value(name).reshape(-1)
        numerical = np.empty(flat.size)
        for e in range(flat.size):
            keep = flat[e]
            at = []
            for shift in (2, 1, -1, -2):
                flat[e] = keep + shift * H
                at.append(_loss(p))
            flat[e] = keep
            numerical[e] = central_difference(*at)
        assert _rel_error(p.grad(name), numerical) < TOLERANCE, f"{op_name} VJP wrt {name}"
    # JVP along a random direction in every input at once
    direction = {f"a{k}": rng.normal(size=arr.shape) for k, arr in enumerate(inputs)}
    _loss(p)
    p.jvp(direction)
    analytic = p.tangent("out").copy()
    start = {name: p.value(name).copy() for name in direction}
    at = []
    for shift in (2, 1, -1, -2):
        for name, d in direction.items():
            p.value(name)[...] = start[name] + shift * H * d
        p.forward()
        at.append(p.value("out").copy())
    assert _rel_error(analytic, central_difference(*at)) < TOLERANCE, f"{op_name} JVP"


def central_difference(f2, f1, m1, m2):
    """f'(x) from f at x + 2h, x + h, x − h, x − 2h (the five-point central stencil)."""
    return (-f2 + 8 * f1 - 8 * m1 + m2) / (12 * H)


# ---------------------------------------------------------------- inputs
def matrices(rows, cols, lo=-3.0, hi=3.0):
    return arrays(np.float64, (rows, cols), elements=st.floats(lo, hi))


def away_from_zero(x, gap=1e-3):
    """Shift values off a kink so the central difference does not straddle it."""
    return np.where(np.abs(x) < gap, gap * 2 + np.abs(x), x)


dims = st.integers(1, 4)
EXAMPLES = settings(max_examples=20, deadline=None)


@st.composite
def two_same(draw, lo=-3.0, hi=3.0):
    r, c = draw(dims), draw(dims)
    return draw(matrices(r, c, lo, hi)), draw(matrices(r, c, lo, hi))


@st.composite
def broadcast_pair(draw):
    r, c = draw(dims), draw(dims)
    a = draw(matrices(r, c))
    b = draw(matrices(1 if draw(st.booleans()) else r, c))
    return (a, b) if draw(st.booleans()) else (b, a)


@st.composite
def one(draw, lo=-3.0, hi=3.0):
    return draw(matrices(draw(dims), draw(dims), lo, hi))


@st.composite
def matmul_pair(draw):
    r, k, c = draw(dims), draw(dims), draw(dims)
    return draw(matrices(r, k)), draw(matrices(k, c))


@st.composite
def probabilities_and_targets(draw):
    r = draw(dims)
    p = draw(matrices(r, 1, 0.05, 0.95))
    y = draw(matrices(r, 1, 0.0, 1.0))
    return p, y


@st.composite
def logits_and_distribution(draw):
    r, c = draw(dims), draw(st.integers(2, 5))
    z = draw(matrices(r, c))
    w = draw(matrices(r, c, 0.0, 1.0)) + 1e-3
    return z, w / w.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- one case per op
CASES = {}


def case(name):
    def register(fn):
        CASES[name] = fn
        return fn

    return register


@case("matmul")
@EXAMPLES
@given(matmul_pair())
def test_matmul(pair):
    check_rules("matmul", pair)


@case("add")
@EXAMPLES
@given(broadcast_pair())
def test_add(pair):
    check_rules("add", pair)


@case("sub")
@EXAMPLES
@given(broadcast_pair())
def test_sub(pair):
    check_rules("sub", pair)


@case("mul")
@EXAMPLES
@given(broadcast_pair())
def test_mul(pair):
    check_rules("mul", pair)


@case("scale")
@EXAMPLES
@given(one(), st.floats(-4, 4))
def test_scale(a, c):
    check_rules("scale", [a], const=c)


@case("sum")
@EXAMPLES
@given(one())
def test_sum(a):
    check_rules("sum", [a])


@case("mean")
@EXAMPLES
@given(one())
def test_mean(a):
    check_rules("mean", [a])


@case("sigmoid")
@EXAMPLES
@given(one(-8, 8))
def test_sigmoid(a):
    check_rules("sigmoid", [a])


@case("tanh")
@EXAMPLES
@given(one())
def test_tanh(a):
    check_rules("tanh", [a])


@case("relu")
@EXAMPLES
@given(one())
def test_relu(a):
    check_rules("relu", [away_from_zero(a)])


@case("identity")
@EXAMPLES
@given(one())
def test_identity(a):
    check_rules("identity", [a])


@case("softmax")
@EXAMPLES
@given(one())
def test_softmax(a):
    check_rules("softmax", [a])


@case("step")
@EXAMPLES
@given(one())
def test_step(a):
    # Away from 0 its derivative is 0, which is what its rules give.
    check_rules("step", [away_from_zero(a)])


@case("mse")
@EXAMPLES
@given(two_same())
def test_mse(pair):
    check_rules("mse", pair)


@case("mae")
@EXAMPLES
@given(two_same())
def test_mae(pair):
    a, b = pair
    check_rules("mae", [b + away_from_zero(a - b), b])


@case("bce")
@EXAMPLES
@given(probabilities_and_targets())
def test_bce(pair):
    check_rules("bce", pair)


@case("bce_logits")
@EXAMPLES
@given(two_same())
def test_bce_logits(pair):
    z, y = pair
    check_rules("bce_logits", [z * 3, (y + 3) / 6])


@case("softmax_ce")
@EXAMPLES
@given(logits_and_distribution())
def test_softmax_ce(pair):
    check_rules("softmax_ce", pair)


@case("l2")
@EXAMPLES
@given(one(), st.floats(0, 2))
def test_l2(a, c):
    check_rules("l2", [a], const=c)


@case("l1")
@EXAMPLES
@given(one(), st.floats(0, 2))
def test_l1(a, c):
    check_rules("l1", [away_from_zero(a)], const=c)  # off the kink at 0


def test_l1_takes_the_subgradient_zero_at_zero():
    """|a| has no derivative at 0: the VJP and JVP take 0 there, ±c elsewhere."""
    p = _build("l1", [np.array([[0.0, 2.0, -3.0]])], 0.5)
    _loss(p)
    p.seed()
    p.backward()
    weight = p.value("R")[0, 0]  # the upstream ∂L/∂out
    np.testing.assert_array_equal(p.grad("a0"), [[0.0, 0.5 * weight, -0.5 * weight]])
    assert p.value("out")[0, 0] == 0.5 * 5.0
    p.jvp({"a0": np.array([[7.0, 1.0, 1.0]])})
    assert p.tangent("out")[0, 0] == 0.5 * (0.0 + 1.0 - 1.0)


# [kind, column, power, column, power, column, power]: x1, x2, x1², x1·x2, x1²·x2, x2³,
# sin x1, cos x2 (kind 0 a product, 1 sin, 2 cos)
FEATURE_TABLE = np.array([
    [0, 0, 1, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0], [0, 0, 2, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0, 0],
    [0, 0, 2, 1, 1, 0, 0], [0, 1, 3, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0], [2, 1, 0, 0, 0, 0, 0],
], dtype=np.float64)  # fmt: skip


@case("features")
@EXAMPLES
@given(st.integers(1, 4).flatmap(lambda r: matrices(r, 2, -2.0, 2.0)))
def test_features(x):
    """The table is whole numbers (its gradient is 0 both ways: a nudge of 1e-4 does not move
    a rounded entry)."""
    check_rules("features", [x, FEATURE_TABLE])


def test_features_compute_the_columns_they_name():
    x = np.array([[0.5, -2.0], [3.0, 0.25]])
    p = _build("features", [x, FEATURE_TABLE], 0.0)
    p.forward()
    x1, x2 = x[:, 0], x[:, 1]
    want = np.stack([x1, x2, x1 * x1, x1 * x2, x1 * x1 * x2, x2 * x2 * x2, np.sin(x1),
                     np.cos(x2)], axis=1)  # fmt: skip
    np.testing.assert_allclose(p.value("out"), want, rtol=1e-15)


@st.composite
def conv_case(draw):
    """Images, filters and bias of a small convolution, with its stride and padding."""
    rows, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    k = draw(st.integers(1, min(h, w, 3)))
    stride = draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["valid", "same", 1]))
    x = draw(matrices(rows, c * h * w))
    filters = draw(matrices(f, c * k * k))
    bias = draw(matrices(1, f))
    return [x, filters, bias], (c, h, w), stride, padding


@st.composite
def pool_case(draw, distinct=False):
    """Images and a pooling window that fits them; `distinct`: no two values within 0.05
    (max pooling's argmax must not change under the central difference's shifts)."""
    rows, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    size = draw(st.integers(1, min(h, w, 3)))
    stride = draw(st.integers(1, 3))
    n = rows * c * h * w
    if distinct:
        ranks = np.array(draw(st.permutations(range(n))), dtype=np.float64)
        x = (ranks * 0.1 - n * 0.05).reshape(rows, c * h * w)
    else:
        x = draw(matrices(rows, c * h * w))
    return x, (c, h, w), size, stride


@case("conv2d")
@EXAMPLES
@given(conv_case())
def test_conv2d(drawn):
    inputs, image, stride, padding = drawn
    check_rules("conv2d", inputs, source_image=image, stride=stride, padding=padding)


@case("maxpool")
@EXAMPLES
@given(pool_case(distinct=True))
def test_maxpool(drawn):
    x, image, size, stride = drawn
    check_rules("maxpool", [x], source_image=image, size=size, stride=stride)


@case("avgpool")
@EXAMPLES
@given(pool_case())
def test_avgpool(drawn):
    x, image, size, stride = drawn
    check_rules("avgpool", [x], source_image=image, size=size, stride=stride)


@case("reshape")
@EXAMPLES
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.booleans())
def test_reshape(rows, c, h, w, flatten):
    x = np.linspace(-2.0, 2.0, rows * c * h * w).reshape(rows, c * h * w)
    if flatten:  # images back to flat rows
        check_rules("reshape", [x], source_image=(c, h, w), image=None)
    else:
        check_rules("reshape", [x], image=(c, h, w))


@case("dropout")
@EXAMPLES
@given(one(), st.floats(0.0, 0.9))
def test_dropout(a, rate):
    check_dropout_rules(a, rate)


def _dropout_program(a, rate, key):
    """L = Σ R ⊙ dropout(a, m) with the mask's draw key fixed, so every forward pass of a
    central difference sees the same mask."""
    g = Graph()
    g.param("a0", a)
    mask = g.input("m", a.shape[1], rows=a.shape[0])
    g.op("dropout", "a0", mask, name="out", const=rate)
    g.const("R", np.linspace(0.5, 1.5, a.size).reshape(a.shape))
    g.op("mul", "out", "R", name="prod")
    g.loss = g.op("sum", "prod", name="L")
    p = compile(g, np.float64)
    p.consts[mask] = key
    return p


def check_dropout_rules(a, rate, key=12345):
    p = _dropout_program(a, rate, key)
    _loss(p)
    p.seed()
    p.backward()
    flat = p.value("a0").reshape(-1)
    numerical = np.empty(flat.size)
    for e in range(flat.size):
        keep = flat[e]
        at = []
        for shift in (2, 1, -1, -2):
            flat[e] = keep + shift * H
            at.append(_loss(p))
        flat[e] = keep
        numerical[e] = central_difference(*at)
    assert _rel_error(p.grad("a0"), numerical) < TOLERANCE, "dropout VJP"
    direction = np.random.default_rng(0).normal(size=a.shape)
    _loss(p)
    p.jvp({"a0": direction})
    analytic = p.tangent("out").copy()
    at = []
    for shift in (2, 1, -1, -2):
        p.value("a0")[...] = a + shift * H * direction
        p.forward()
        at.append(p.value("out").copy())
    assert _rel_error(analytic, central_difference(*at)) < TOLERANCE, "dropout JVP"


def test_dropout_keeps_about_one_minus_rate_and_rescales():
    a = np.ones((200, 50))
    p = _dropout_program(a, 0.25, key=777)
    p.forward()
    mask, out = p.value("m"), p.value("out")
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert abs(mask.mean() - 0.75) < 0.01
    np.testing.assert_array_equal(out, mask / 0.75)


def test_dropout_mask_depends_on_the_key_only():
    a = np.ones((20, 10))
    first = _dropout_program(a, 0.5, key=5)
    first.forward()
    again = _dropout_program(a, 0.5, key=5)
    again.forward()
    other = _dropout_program(a, 0.5, key=6)
    other.forward()
    np.testing.assert_array_equal(first.value("m"), again.value("m"))
    assert not np.array_equal(first.value("m"), other.value("m"))


def test_unarmed_dropout_passes_its_input_and_keeps_the_last_mask():
    a = np.arange(12.0).reshape(3, 4) + 1
    p = _dropout_program(a, 0.5, key=9)
    p.forward()
    mask = p.value("m").copy()
    p.consts[p.find("m")] = 0  # evaluation
    p.forward()
    np.testing.assert_array_equal(p.value("out"), a)
    np.testing.assert_array_equal(p.value("m"), mask)
    p.seed()
    p.backward()
    np.testing.assert_allclose(p.grad("a0"), np.linspace(0.5, 1.5, 12).reshape(3, 4))


def test_op_codes_are_unique():
    codes = [op.code for op in ops.OPS]
    assert len(codes) == len(set(codes)), "two ops share a code"


def test_every_op_has_a_case():
    rules = {op.name for op in ops.OPS if op.kind != "leaf"}
    missing = sorted(rules - set(CASES))
    assert not missing, f"ops without a gradient-check case: {missing}"


def test_every_op_has_its_three_rules():
    from nnviz.engine import kernels

    for op in ops.OPS:
        if op.kind == "leaf":
            continue
        for prefix in ("fwd", "vjp", "jvp"):
            assert hasattr(kernels, f"{prefix}_{op.name}"), f"{prefix}_{op.name} missing"


def test_step_refuses_gradient_training():
    from nnviz.engine.graph import GraphError
    from nnviz.engine.optim import Optimizer

    g = Graph()
    g.param("w", [[1.0]])
    g.op("step", "w", name="a")
    g.loss = g.op("sum", "a", name="L")
    program = compile(g)
    assert not program.needs_grad("w")  # no gradient flows through the step
    with pytest.raises(GraphError, match="node 'a': the heaviside step has no useful gradient"):
        Optimizer(program, "sgd", lr=0.1)


def test_bce_logits_is_stable_for_large_logits():
    p = _build("bce_logits", [np.array([[800.0, -800.0]]), np.array([[0.0, 1.0]])], 0.0)
    _loss(p)
    assert np.isfinite(p.value("out")).all()
    assert p.value("out")[0, 0] == pytest.approx(800.0)


def test_softmax_ce_is_stable_for_large_logits():
    z = np.array([[1000.0, 0.0, -1000.0]])
    y = np.array([[0.0, 1.0, 0.0]])
    p = _build("softmax_ce", [z, y], 0.0)
    _loss(p)
    assert p.value("out")[0, 0] == pytest.approx(1000.0)
