"""One step of each optimizer equals its textbook formula on known numbers."""

import numpy as np
import pytest

from nnviz.engine.graph import Graph, GraphError, compile
from nnviz.engine.optim import Optimizer

THETA = np.array([[0.5, -1.0, 2.0]])
GRAD = np.array([[0.1, -0.2, 0.3]])


def _program(dtype=np.float64):
    g = Graph()
    g.param("w", THETA)
    g.loss = g.op("sum", "w", name="L")
    return compile(g, dtype)


def _one_step(kind, steps=1, **settings):
    p = _program()
    opt = Optimizer(p, kind, **settings)
    for _ in range(steps):
        opt.zero_grad()
        p.grad("w")[...] = GRAD  # a known gradient instead of a backward pass
        opt.step()
    return p.value("w"), opt


def test_sgd():
    w, _ = _one_step("sgd", lr=0.1)
    np.testing.assert_allclose(w, THETA - 0.1 * GRAD)


def test_sgd_weight_decay():
    w, _ = _one_step("sgd", lr=0.1, weight_decay=0.01)
    np.testing.assert_allclose(w, THETA - 0.1 * (GRAD + 0.01 * THETA))


def test_momentum_two_steps():
    w, opt = _one_step("momentum", steps=2, lr=0.1, momentum=0.9)
    v1 = GRAD
    w1 = THETA - 0.1 * v1
    v2 = 0.9 * v1 + GRAD
    np.testing.assert_allclose(w, w1 - 0.1 * v2)
    np.testing.assert_allclose(opt.state_of("w")["velocity"], v2)


def test_nesterov():
    w, _ = _one_step("nesterov", lr=0.1, momentum=0.9)
    v = GRAD
    np.testing.assert_allclose(w, THETA - 0.1 * (GRAD + 0.9 * v))


def test_rmsprop():
    w, opt = _one_step("rmsprop", lr=0.01, alpha=0.99, eps=1e-8)
    s = 0.01 * GRAD**2
    np.testing.assert_allclose(w, THETA - 0.01 * GRAD / (np.sqrt(s) + 1e-8))
    np.testing.assert_allclose(opt.state_of("w")["square_avg"], s)


def test_adam_two_steps():
    w, opt = _one_step("adam", steps=2, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)
    m = v = 0
    theta = THETA.copy()
    for t in (1, 2):
        m = 0.9 * m + 0.1 * GRAD
        v = 0.999 * v + 0.001 * GRAD**2
        m_hat = m / (1 - 0.9**t)
        v_hat = v / (1 - 0.999**t)
        theta = theta - 0.001 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(w, theta, rtol=1e-12)
    np.testing.assert_allclose(opt.state_of("w")["m"], m)
    np.testing.assert_allclose(opt.state_of("w")["v"], v)
    assert opt.t == 2


def test_adagrad():
    w, opt = _one_step("adagrad", steps=2, lr=0.1, eps=1e-10)
    s1 = GRAD**2
    w1 = THETA - 0.1 * GRAD / (np.sqrt(s1) + 1e-10)
    s2 = s1 + GRAD**2
    np.testing.assert_allclose(w, w1 - 0.1 * GRAD / (np.sqrt(s2) + 1e-10))
    np.testing.assert_allclose(opt.state_of("w")["sum_sq"], s2)


def test_float32_update_stays_float32():
    p = _program(np.float32)
    opt = Optimizer(p, "adam", lr=0.01)
    opt.zero_grad()
    p.grad("w")[...] = GRAD
    opt.step()
    assert p.value("w").dtype == np.float32
    assert opt.state_of("w")["m"].dtype == np.float32


def test_zero_grad_clears_only_gradients():
    p = _program()
    opt = Optimizer(p, "sgd", lr=0.1)
    p.grad("w")[...] = 5
    opt.zero_grad()
    assert not p.grad("w").any()
    np.testing.assert_array_equal(p.value("w"), THETA)


def test_learning_rate_changes_live():
    p = _program()
    opt = Optimizer(p, "sgd", lr=0.1)
    opt.lr = 1.0
    opt.zero_grad()
    p.grad("w")[...] = GRAD
    opt.step()
    np.testing.assert_allclose(p.value("w"), THETA - GRAD)


def test_bad_settings_are_named():
    with pytest.raises(GraphError, match="unknown setting 'momentum'"):
        Optimizer(_program(), "adam", momentum=0.9)
    with pytest.raises(GraphError, match="lr must be a number"):
        Optimizer(_program(), "sgd", lr=-1)
    with pytest.raises(GraphError, match="'adamw' is not one of"):
        Optimizer(_program(), "adamw")


def test_perceptron_rule_course_example():
    """Two step units, x = (x0 = 1 as the bias, 0.5, 1), y = (1, 0), every θ = 1, η = 0.1:
    unit 1 is right and keeps its θ; unit 2 fires wrongly and θ02 = 1 + 0.1(0 − 1)·1 = 0.9."""
    from nnviz.model import Model

    model = Model.from_spec(2, [(2, "step")], "mse", weights={"W1": np.ones((2, 2)),
                            "b1": np.ones((1, 2))}, task="binary", capacity=1)  # fmt: skip
    opt = Optimizer(model.program, "perceptron", lr=0.1)
    p = model.program
    p.feed("x", [[0.5, 1.0]])
    p.feed("y", [[1.0, 0.0]])
    p.forward()
    np.testing.assert_array_equal(p.value("a"), [[1.0, 1.0]])
    opt.step()
    np.testing.assert_allclose(p.value("b1"), [[1.0, 0.9]])  # θ01, θ02
    np.testing.assert_allclose(p.value("W1"), [[1.0, 0.95], [1.0, 0.9]])  # θ11 θ12; θ21 θ22


def test_perceptron_rule_needs_a_step_layer():
    from nnviz.model import Model

    model = Model.from_spec(2, [(1, "sigmoid")], "mse", capacity=1)
    with pytest.raises(GraphError, match="perceptron rule trains a single layer"):
        Optimizer(model.program, "perceptron", lr=0.1)
