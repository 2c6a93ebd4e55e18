"""MLP forward and backward against a readable numpy reference; node-by-node passes equal whole
passes. (Whole steps by hand against the training loop: tests/core/test_stepper.py.)"""

import numpy as np
import pytest

from nnviz.model import Model

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], np.float64)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference_2layer(params, X, Y, hidden, loss):
    """Forward and backward of a 2-layer MLP written out by hand, as in the course notes."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1 + b1
    u1 = sigmoid(z1) if hidden == "sigmoid" else np.maximum(z1, 0)
    z2 = u1 @ W2 + b2
    n = X.shape[0]
    if loss == "bce":
        p = sigmoid(z2)
        L = -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))
        dz2 = (p - Y) / n
    else:  # softmax cross-entropy
        e = np.exp(z2 - z2.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        L = -np.mean(np.sum(Y * np.log(p), axis=1))
        dz2 = (p - Y) / n
    grads = {"W2": u1.T @ dz2, "b2": dz2.sum(axis=0, keepdims=True)}
    du1 = dz2 @ W2.T
    dz1 = du1 * u1 * (1 - u1) if hidden == "sigmoid" else du1 * (z1 > 0)
    grads["W1"] = X.T @ dz1
    grads["b1"] = dz1.sum(axis=0, keepdims=True)
    return {"z1": z1, "u1": u1, "z2": z2, "p": p, "L": L}, grads


def _run_passes(model, X, Y):
    p = model.program
    p.feed("x", X)
    p.feed("y", Y)
    p.grads[:] = 0
    p.forward()
    p.seed()
    p.backward()


@pytest.mark.parametrize(
    "shape, hidden, out, loss",
    [
        ((2, 4, 1), "sigmoid", "sigmoid", "bce"),
        ((5, 7, 3), "relu", "softmax", "cross_entropy"),
        ((6, 20, 4), "sigmoid", "softmax", "cross_entropy"),
    ],
)
def test_forward_and_backward_match_numpy(shape, hidden, out, loss):
    n_in, n_h, n_out = shape
    rng = np.random.default_rng(1)
    X = rng.normal(size=(9, n_in))
    if loss == "bce":
        Y = rng.integers(0, 2, size=(9, 1)).astype(float)
    else:
        Y = np.eye(n_out)[rng.integers(0, n_out, 9)]
    model = Model.from_spec(
        n_in, [(n_h, hidden), (n_out, out)], loss, seed=3, dtype="float64", capacity=16
    )
    _run_passes(model, X, Y)
    values, grads = reference_2layer(model.params(), X, Y, hidden, loss)
    for name in ("z1", "u1", "z2", "p"):
        np.testing.assert_allclose(model.value(name), values[name], rtol=1e-12, atol=1e-12)
    assert model.value("L")[0, 0] == pytest.approx(values["L"], rel=1e-12)
    for name, ref in grads.items():
        np.testing.assert_allclose(model.grad(name), ref, rtol=1e-10, atol=1e-13)
    # inputs and targets get no gradient
    assert not model.program.needs_grad("x")
    assert not model.program.needs_grad("y")


def test_float32_close_to_float64():
    m32 = Model.from_spec(2, [(4, "sigmoid"), (1, "sigmoid")], "bce", seed=0, capacity=4)
    m64 = Model.from_spec(
        2, [(4, "sigmoid"), (1, "sigmoid")], "bce", seed=0, dtype="float64", capacity=4
    )
    _run_passes(m32, XOR_X, XOR_Y)
    _run_passes(m64, XOR_X, XOR_Y)
    assert m32.value("W1").dtype == np.float32
    np.testing.assert_allclose(m32.grad("W1"), m64.grad("W1"), rtol=1e-4, atol=1e-6)


def test_float32_softmax_network_matches_the_float64_reference():
    """float32 runs its own exp (nnviz.engine.expf): values and gradients stay within float32
    rounding of the float64 reference, at batch sizes where its loops vectorise."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100, 30)) * 3
    Y = np.eye(10)[rng.integers(0, 10, 100)]
    m32 = Model.from_spec(30, [(50, "sigmoid"), (10, "softmax")], "cross_entropy", seed=2,
                          capacity=100)  # fmt: skip
    _run_passes(m32, X, Y)
    params64 = {k: v.astype(np.float64) for k, v in m32.params().items()}
    values, grads = reference_2layer(params64, X.astype(np.float32).astype(np.float64), Y,
                                     "sigmoid", "cross_entropy")  # fmt: skip
    for name in ("u1", "p"):
        np.testing.assert_allclose(m32.value(name), values[name], rtol=2e-6, atol=1e-7)
    assert m32.value("L")[0, 0] == pytest.approx(values["L"], rel=1e-6)
    for name, ref in grads.items():
        np.testing.assert_allclose(m32.grad(name), ref, rtol=1e-4, atol=1e-7)
    # rows · ∂L/∂z₂ = p − y, the identity the MNIST view shows
    np.testing.assert_allclose(m32.grad("z2") * 100, m32.value("p") - Y, atol=1e-7)


@pytest.mark.parametrize("dims", [(2, 4, 1), (784, 100, 10)])
def test_node_by_node_equals_whole_pass_bit_for_bit(dims):
    n_in, n_h, n_out = dims
    rng = np.random.default_rng(0)
    X = rng.random((32, n_in))
    if n_out == 1:
        Y, out, loss = rng.integers(0, 2, (32, 1)).astype(float), "sigmoid", "bce"
    else:
        Y, out, loss = np.eye(n_out)[rng.integers(0, n_out, 32)], "softmax", "cross_entropy"
    whole = Model.from_spec(n_in, [(n_h, "sigmoid"), (n_out, out)], loss, seed=1, capacity=32)
    stepped = Model.from_spec(n_in, [(n_h, "sigmoid"), (n_out, out)], loss, seed=1, capacity=32)
    _run_passes(whole, X, Y)
    p = stepped.program
    p.feed("x", X)
    p.feed("y", Y)
    for i in range(len(p)):
        p.forward(i, i + 1)
    p.seed()
    for i in reversed(range(len(p))):
        p.backward(i, i + 1)
    assert np.array_equal(whole.program.values, p.values)
    assert np.array_equal(whole.program.grads, p.grads)


def test_contribution_is_upstream_times_local_derivative():
    model = Model.from_spec(
        2, [(3, "sigmoid"), (1, "sigmoid")], "bce", seed=0, dtype="float64", capacity=4
    )
    _run_passes(model, XOR_X, XOR_Y)
    p = model.program
    u = p.value("u1")
    local = p.contribution("u1", "z1", upstream=np.ones_like(u))
    np.testing.assert_allclose(local, u * (1 - u))
    np.testing.assert_allclose(p.contribution("u1", "z1"), p.grad("u1") * u * (1 - u))
    # a node feeding one consumer: its gradient is that one contribution
    np.testing.assert_allclose(p.contribution("u1", "z1"), p.grad("z1"))


def test_summary_counts_match_the_course():
    assert Model.from_spec(2, [(4, "sigmoid"), (1, "sigmoid")], "bce").n_params == 17
    assert Model.from_spec(5, [(20, "relu"), (3, "softmax")], "cross_entropy").n_params == 183
    big = Model.from_spec(784, [(512, "relu"), (10, "softmax")], "cross_entropy", capacity=8)
    assert big.n_params == 407_050
    rows = big.summary_rows()
    assert [r[2] for r in rows] == [401_920, 5_130]
    assert "Total params: 407,050" in big.summary()


def test_formulas_read_like_the_course():
    g = Model.from_spec(2, [(4, "sigmoid"), (1, "sigmoid")], "bce").graph
    assert g.formula(g.find("z1")) == "z1 = x·W1 + b1"
    assert g.formula(g.find("u1")) == "u1 = σ(z1)"
