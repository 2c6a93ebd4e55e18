"""Convolutional networks: forward and backward against a readable numpy reference, stepping
equals whole passes, shape errors, and the teaching numbers of nnviz.convolution."""

import numpy as np
import pytest

from nnviz import convolution
from nnviz.engine import helper
from nnviz.engine.graph import Graph, GraphError, compile
from nnviz.engine.nn import Layer
from nnviz.engine.optim import Optimizer
from nnviz.model import Model
from nnviz.train import Trainer

IMAGE = (2, 7, 6)  # two channels of 7 × 6
LAYERS = [
    Layer(3, "relu", kind="conv", kernel=3, stride=1, padding="same"),
    Layer(0, "identity", kind="pool", kernel=2, stride=2, pool="max"),
    Layer(4, "softmax"),
]


def conv_reference(x, K, b, k, stride, pad_top, pad_left, ho, wo):
    """out[n, f, i, j] = b[f] + Σ_c,u,v K[f, c, u, v]·x[n, c, s·i + u − p, s·j + v − q]."""
    n, c, h, w = x.shape
    f = K.shape[0]
    K = K.reshape(f, c, k, k)
    out = np.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            for u in range(k):
                for v in range(k):
                    y, xx = stride * i + u - pad_top, stride * j + v - pad_left
                    if 0 <= y < h and 0 <= xx < w:
                        out[:, :, i, j] += x[:, :, y, xx] @ K[:, :, u, v].T
    return out + b.reshape(1, f, 1, 1)


def maxpool_reference(a, size):
    n, c, h, w = a.shape
    ho, wo = h // size, w // size
    windows = a[:, :, : ho * size, : wo * size].reshape(n, c, ho, size, wo, size)
    return windows.max(axis=(3, 5))


def _model(dtype="float64", capacity=5, seed=1):
    return Model.from_spec(
        int(np.prod(IMAGE)), LAYERS, "cross_entropy", image=IMAGE, dtype=dtype,
        capacity=capacity, seed=seed, task="multiclass",
    )  # fmt: skip


def _batch(rows=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, int(np.prod(IMAGE))))
    Y = np.eye(4)[rng.integers(0, 4, rows)]
    return X, Y


def _passes(model, X, Y):
    p = model.program
    p.feed("x", X)
    p.feed("y", Y)
    p.grads[:] = 0
    p.forward()
    p.seed()
    p.backward()
    return p


def test_cnn_forward_and_backward_match_numpy():
    model = _model()
    X, Y = _batch()
    p = _passes(model, X, Y)
    W1, b1, W3, b3 = (p.value(n).copy() for n in ("W1", "b1", "W3", "b3"))
    # "same" padding of a 3 × 3 kernel at stride 1: one zero on every side
    x = X.reshape(5, *IMAGE)
    z1 = conv_reference(x, W1, b1, 3, 1, 1, 1, 7, 6)
    u1 = np.maximum(z1, 0)
    m2 = maxpool_reference(u1, 2)  # 3 × 3 × 3: the 7th row is dropped
    flat = m2.reshape(5, -1)
    z3 = flat @ W3 + b3
    e = np.exp(z3 - z3.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * np.log(prob), axis=1))
    np.testing.assert_allclose(p.value_images("z1"), z1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p.value_images("m2"), m2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p.value("p"), prob, rtol=1e-10)
    assert p.value("L")[0, 0] == pytest.approx(loss, rel=1e-12)
    # backward by hand: dense, pooling (to each window's argmax), relu, then the conv
    dz3 = (prob - Y) / 5
    np.testing.assert_allclose(p.grad("W3"), flat.T @ dz3, rtol=1e-10, atol=1e-14)
    dm2 = (dz3 @ W3.T).reshape(m2.shape)
    du1 = np.zeros_like(u1)
    for i in range(3):
        for j in range(3):
            win = u1[:, :, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].reshape(5, 3, 4)
            first = win.argmax(axis=2)  # ties: the first, as the engine routes them
            for n in range(5):
                for f in range(3):
                    du, dv = divmod(first[n, f], 2)
                    du1[n, f, 2 * i + du, 2 * j + dv] += dm2[n, f, i, j]
    dz1 = du1 * (z1 > 0)
    np.testing.assert_allclose(p.grad("b1")[0], dz1.sum(axis=(0, 2, 3)), rtol=1e-10, atol=1e-14)
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    dK = np.zeros((3, 2, 3, 3))
    for u in range(3):
        for v in range(3):
            patch = xpad[:, :, u : u + 7, v : v + 6]  # what weight (·, ·, u, v) meets
            dK[:, :, u, v] = np.einsum("nfij,ncij->fc", dz1, patch)
    np.testing.assert_allclose(p.grad("W1"), dK.reshape(3, -1), rtol=1e-10, atol=1e-14)


def test_the_input_gradient_of_a_conv_is_the_full_correlation():
    """∂L/∂x of a conv (needed below a second conv layer) against central differences."""
    g = Graph()
    rng = np.random.default_rng(2)
    g.param("x", rng.normal(size=(2, 2 * 5 * 5)))
    g.op("reshape", "x", name="xi", image=(2, 5, 5))
    g.param("K", rng.normal(size=(3, 2 * 3 * 3)))
    g.param("b", rng.normal(size=(1, 3)))
    g.op("conv2d", "xi", "K", "b", name="z", stride=2, padding="same")
    g.loss = g.op("sum", g.op("tanh", "z", name="t"), name="L")
    p = compile(g, np.float64)
    p.forward()
    p.seed()
    p.backward()
    flat = p.value("x").reshape(-1)
    numerical = np.empty(flat.size)
    for e in range(flat.size):
        keep = flat[e]
        flat[e] = keep + 1e-6
        p.forward()
        up = p.value("L")[0, 0]
        flat[e] = keep - 1e-6
        p.forward()
        numerical[e] = (up - p.value("L")[0, 0]) / 2e-6
        flat[e] = keep
    np.testing.assert_allclose(p.grad("x").reshape(-1), numerical, rtol=1e-6, atol=1e-9)


def test_stepping_node_by_node_equals_the_whole_pass_bit_for_bit():
    X, Y = _batch(seed=3)
    whole = _passes(_model("float32"), X, Y)
    stepped = _model("float32").program
    stepped.feed("x", X)
    stepped.feed("y", Y)
    stepped.grads[:] = 0
    for i in range(len(stepped)):
        stepped.forward(i, i + 1)
    stepped.seed()
    for i in range(len(stepped) - 1, -1, -1):
        stepped.backward(i, i + 1)
    assert np.array_equal(whole.values, stepped.values)
    assert np.array_equal(whole.grads, stepped.grads)


def _train(threads, rows=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((rows + 100, int(np.prod(IMAGE))), dtype=np.float32)
    Y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, rows + 100)]
    model = _model("float32", capacity=50)
    trainer = Trainer(model, Optimizer(model.program, "adam", lr=0.01), X[:rows], Y[:rows],
                      x_test=X[rows:], y_test=Y[rows:], epochs=2, batch_size=50,
                      threads=threads)  # fmt: skip
    events = list(trainer.run())
    losses = np.concatenate([e.losses for e in events if hasattr(e, "losses")])
    return losses, {k: v.copy() for k, v in model.params().items()}


def test_training_a_cnn_twice_gives_the_same_bits():
    losses1, params1 = _train(1)
    losses2, params2 = _train(1)
    assert np.array_equal(losses1, losses2)
    assert all(np.array_equal(params1[k], params2[k]) for k in params1)
    assert losses1[-1] < losses1[0]


@pytest.mark.skipif(not helper.pairing_possible(), reason="a helper thread needs the JIT")
def test_a_cnn_trains_to_the_same_bits_on_one_thread_and_two():
    losses1, params1 = _train(1)
    losses2, params2 = _train(2)
    assert np.array_equal(losses1, losses2)
    assert all(np.array_equal(params1[k], params2[k]) for k in params1)


def test_the_engine_starts_from_the_reference_benchmarks_weights():
    """Glorot with conv fans C·k² and F·k², drawn as in peers/common.py init_cnn (seed 0)."""
    from nnviz.engine.nn import init_weights

    layers = [
        Layer(8, "relu", kind="conv", kernel=5),
        Layer(0, "identity", kind="pool", kernel=2),
        Layer(10, "softmax"),
    ]
    weights = init_weights(784, layers, "glorot", seed=0, image=(1, 28, 28))
    rng = np.random.default_rng(0)
    lim = np.sqrt(6.0 / (25 + 8 * 25))
    np.testing.assert_array_equal(weights["W1"], rng.uniform(-lim, lim, (25, 8)).T)
    lim = np.sqrt(6.0 / (1152 + 10))
    np.testing.assert_array_equal(weights["W3"], rng.uniform(-lim, lim, (1152, 10)))
    assert set(weights) == {"W1", "b1", "W3", "b3"}


# ---------------------------------------------------------------- shape errors
def test_a_kernel_larger_than_the_image_names_the_node_and_the_shapes():
    g = Graph()
    g.input("x", 16, image=(1, 4, 4))
    g.param("K", np.zeros((2, 25)))
    g.param("b", np.zeros((1, 2)))
    with pytest.raises(GraphError, match=r"node 'z': a 5×5 kernel does not fit x's 1×4×4 images"):
        g.op("conv2d", "x", "K", "b", name="z")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda g: g.op("maxpool", "flat", name="m", size=2), r"node 'm': maxpool needs images"),
        (lambda g: g.op("matmul", "x", "W", name="xW"), r"node 'xW': matmul needs flat rows"),
        (
            lambda g: g.op("conv2d", "x", "V", "b", name="z"),
            r"node 'z': filters V \(2×3\) are not 2·k·k wide",
        ),
        (
            lambda g: g.op("reshape", "flat", name="r", image=(1, 3, 3)),
            r"node 'r': 1×3×3 images hold 9 numbers, not the 8 of a row",
        ),
        (
            lambda g: g.op("avgpool", "x", name="a", size=2, stride=0),
            r"node 'a': stride must be at least 1",
        ),
    ],
)
def test_image_shape_errors(build, message):
    g = Graph()
    g.input("x", 32, image=(2, 4, 4))
    g.input("flat", 8)
    g.param("W", np.zeros((16, 2)))
    g.param("b", np.zeros((1, 16)))
    g.param("V", np.zeros((2, 3)))
    with pytest.raises(GraphError, match=message):
        build(g)


def test_a_network_whose_layers_do_not_fit_is_refused_with_the_layer_and_shapes():
    layers = [
        Layer(4, "relu", kind="conv", kernel=5, stride=5),
        Layer(0, "identity", kind="pool", kernel=6),
        Layer(10, "softmax"),
    ]
    with pytest.raises(GraphError, match=r"layers\[1\]: a 6×6 window \(stride 6\) does not fit"):
        Model.from_spec(784, layers, "cross_entropy", image=(1, 28, 28))


# ---------------------------------------------------------------- teaching numbers
def test_a_filter_weights_gradient_is_the_correlation_of_patch_and_upstream_map():
    X, Y = _batch(seed=5)
    p = _passes(_model(), X, Y)
    x = p.value_images("x")
    up = p.grad_images("z1")
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for f, c, u, v in [(0, 0, 0, 0), (2, 1, 1, 2), (1, 0, 2, 1)]:
        terms = convolution.weight_gradient(p, "z1", f, c, u, v)
        np.testing.assert_array_equal(terms.patch, xpad[:, c, u : u + 7, v : v + 6])
        np.testing.assert_array_equal(terms.upstream, up[:, f])
        np.testing.assert_array_equal(terms.products, terms.patch * terms.upstream)
        assert terms.total == pytest.approx(terms.products.sum(), rel=1e-15)
        # the shown sum is the engine's gradient of that weight
        assert terms.total == pytest.approx(terms.engine, rel=1e-12, abs=1e-15)
        assert terms.engine == p.grad("W1")[f, (c * 3 + u) * 3 + v]
    one = convolution.weight_gradient(p, "z1", 2, 1, 1, 2, sample=3)
    assert one.patch.shape == (1, 7, 6)
    assert one.total == pytest.approx(one.engine, rel=1e-12, abs=1e-15)
    assert one.total == pytest.approx((xpad[3, 1, 1:8, 2:8] * up[3, 2]).sum(), rel=1e-12)


def test_weight_gradient_refuses_what_is_not_there():
    p = _passes(_model(), *_batch())
    with pytest.raises(GraphError, match="node 'u1' is not a conv2d node"):
        convolution.weight_gradient(p, "u1", 0, 0, 0, 0)
    with pytest.raises(GraphError, match=r"weight \(3, 0\) is outside its 3×3 kernel"):
        convolution.weight_gradient(p, "z1", 0, 0, 3, 0)
    with pytest.raises(GraphError, match=r"filter 3 is not in 0 … 2"):
        convolution.weight_gradient(p, "z1", 3, 0, 0, 0)


def test_filters_are_the_weights_as_images():
    p = _model().program
    shown = convolution.filters(p, "z1")
    assert shown.shape == (3, 2, 3, 3)
    np.testing.assert_array_equal(shown.reshape(3, -1), p.value("W1"))


def test_the_receptive_field_is_what_the_cell_depends_on():
    model = _model()
    X, Y = _batch(rows=1)
    p = _passes(model, X, Y)
    # a pooled cell (i, j) sees conv cells 2i … 2i+1, each a 3 × 3 window padded by one
    assert convolution.receptive_field(p, "m2", 1, 2) == (1, 5, 3, 6)
    assert convolution.receptive_field(p, "z1", 0, 0) == (0, 2, 0, 2)  # clipped at the edge
    top, bottom, left, right = convolution.receptive_field(p, "z1", 3, 2)
    before = p.value_images("z1")[0, :, 3, 2].copy()
    images = p.value_images("x")
    for y in range(IMAGE[1]):
        for xx in range(IMAGE[2]):
            keep = images[0, 0, y, xx]
            images[0, 0, y, xx] = keep + 1.0
            p.forward()
            moved = not np.array_equal(p.value_images("z1")[0, :, 3, 2], before)
            images[0, 0, y, xx] = keep
            assert moved == (top <= y < bottom and left <= xx < right), (y, xx)
    with pytest.raises(GraphError, match=r"cell \(3, 0\) is outside its 3×3 maps"):
        convolution.receptive_field(p, "m2", 3, 0)
