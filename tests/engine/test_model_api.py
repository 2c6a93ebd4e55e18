"""The notebook API: build from a spec, fit, evaluate, predict, summary, read nodes."""

import numpy as np
import pytest

import nnviz
from nnviz.engine.graph import GraphError

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
Y = np.array([[0], [1], [1], [0]], np.float32)


def test_fit_evaluate_predict():
    model = nnviz.Model.from_spec(2, [(4, "sigmoid"), (1, "sigmoid")], "bce", init="uniform",
                                  seed=0, capacity=4)  # fmt: skip
    history = nnviz.fit(model, X, Y, epochs=3000, optimizer="sgd", lr=0.5)
    assert len(history) == 3000
    assert history[-1]["loss"] < history[0]["loss"]
    loss, acc = model.evaluate(X, Y)
    assert acc == 1.0
    p = model.predict(X)
    assert p.shape == (4, 1)
    np.testing.assert_array_equal(p > 0.5, Y > 0.5)
    assert loss == pytest.approx(float(-np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))),
                                 rel=1e-5)  # fmt: skip


def test_any_node_per_sample_and_by_name():
    model = nnviz.Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", seed=1, capacity=4)
    hidden = model.output(X, node="u1")
    assert hidden.shape == (4, 3)
    W1, b1 = model.params()["W1"], model.params()["b1"]
    np.testing.assert_allclose(hidden, np.tanh(X @ W1 + b1), rtol=1e-6)
    assert model.value("W1").shape == (2, 3)
    with pytest.raises(GraphError, match="no node named 'W9'"):
        model.value("W9")


def test_multiclass_history_has_test_metrics():
    rng = np.random.default_rng(0)
    Xc = rng.normal(size=(90, 2)).astype(np.float32)
    labels = (Xc[:, 0] > 0).astype(int) + (Xc[:, 1] > 0).astype(int)
    Yc = np.eye(3, dtype=np.float32)[labels]
    model = nnviz.Model.from_spec(2, [(8, "relu"), (3, "softmax")], "cross_entropy", seed=0,
                                  capacity=90)  # fmt: skip
    history = nnviz.fit(model, Xc, Yc, epochs=40, batch_size=30, optimizer="adam", lr=0.05,
                        x_test=Xc[:30], y_test=Yc[:30])  # fmt: skip
    assert history[-1]["test_accuracy"] is not None
    assert model.evaluate(Xc, Yc)[1] > 0.8
    assert "Total params: 51" in model.summary()


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0], dtype=float)


def _xor_model(**kwargs):
    return nnviz.Model.from_spec(
        2, [(4, "sigmoid"), (1, "sigmoid")], loss="bce", init="uniform", seed=0, **kwargs
    )


def test_value_after_fit_holds_the_batchs_rows_not_the_capacity():
    model = _xor_model()
    nnviz.fit(model, XOR_X, XOR_Y, epochs=3, optimizer="sgd", lr=0.5)
    assert model.value("u1").shape == (4, 4)
    assert model.value("x").tolist() == XOR_X.tolist()
    assert model.value("W1").shape == (2, 4)  # parameters keep their own shape


def test_value_after_a_pass_over_more_rows_than_the_capacity_is_its_last_chunk():
    model = _xor_model(capacity=8)
    X = np.random.default_rng(0).random((19, 2))
    out = model.output(X, node="u1")
    assert model.value("u1").shape == (3, 4)  # 19 = 8 + 8 + 3
    np.testing.assert_array_equal(model.value("u1"), out[16:])
    model.evaluate(X[:8], np.zeros(8))
    assert model.value("x").shape == (8, 2)


def test_backprop_gives_the_gradient_of_the_mean_loss():
    model = _xor_model(dtype="float64")
    loss = model.backprop(XOR_X, XOR_Y)
    assert loss == pytest.approx(model.evaluate(XOR_X, XOR_Y)[0], rel=1e-12)
    model.backprop(XOR_X, XOR_Y)
    analytic = model.grad("W1").copy()
    assert model.value("u1").shape == (4, 4)
    W1 = model.params()["W1"]
    h = 1e-6
    for r, c in [(0, 0), (1, 2), (0, 3)]:
        losses = []
        for sign in (1, -1):
            moved = W1.copy()
            moved[r, c] += sign * h
            model.set_params({"W1": moved})
            losses.append(model.evaluate(XOR_X, XOR_Y)[0])
        model.set_params({"W1": W1})
        assert analytic[r, c] == pytest.approx((losses[0] - losses[1]) / (2 * h), rel=1e-6)


def test_backprop_checks_its_input():
    model = _xor_model(capacity=2)
    with pytest.raises(GraphError, match="capacity 2"):
        model.backprop(XOR_X, XOR_Y)
    with pytest.raises(GraphError, match="columns"):
        model.backprop(np.zeros((2, 3)), np.zeros(2))


def test_a_logit_output_is_classified_at_zero():
    """With bce_logits the prediction is the logit z, and class 1 means sigmoid(z) > 1/2: z > 0."""
    model = nnviz.Model.from_spec(2, [(4, "tanh"), (1, "identity")], "bce_logits", seed=3,
                                  capacity=4)  # fmt: skip
    params = model.params()
    params["W2"] = np.zeros_like(params["W2"])
    params["b2"] = np.full_like(params["b2"], 0.25)  # z = 0.25 on every row: p = 0.56, class 1
    model.set_params(params)
    np.testing.assert_allclose(model.predict(X), 0.25)
    and_gate = np.array([[0], [0], [0], [1]], np.float32)
    _, acc = model.evaluate(X, and_gate)
    assert acc == 0.25  # every row called 1; only (1, 1) is


def test_l1_and_l2_are_graph_nodes_added_to_the_data_loss():
    """l2 adds R<k> = l2·ΣW<k>², l1 adds A<k> = l1·Σ|W<k>| (biases left out); ∂L/∂W picks up
    2·l2·W and l1·sign(W) beside the data gradient."""
    kw = dict(seed=3, capacity=4, dtype="float64")
    plain = nnviz.Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", **kw)
    both = nnviz.Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", l2=0.01, l1=0.02, **kw)
    names = [node.name for node in both.graph.nodes]
    for name in ("J", "R1", "A1", "R2", "A2", "L"):
        assert name in names
    assert both.graph.nodes[both.graph.find("A1")].op_name == "l1"
    plain.backprop(X, Y)
    both.backprop(X, Y)
    params = both.params()
    penalty = sum(0.01 * (params[w] ** 2).sum() + 0.02 * np.abs(params[w]).sum()
                  for w in ("W1", "W2"))  # fmt: skip
    assert both.value("L")[0, 0] == pytest.approx(plain.value("L")[0, 0] + penalty, rel=1e-12)
    for w in ("W1", "W2"):
        extra = 2 * 0.01 * params[w] + 0.02 * np.sign(params[w])
        np.testing.assert_allclose(both.grad(w), plain.grad(w) + extra, rtol=1e-12)
    np.testing.assert_array_equal(both.grad("b1"), plain.grad("b1"))  # biases: no penalty
    only_l1 = nnviz.Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", l1=0.5, **kw)
    assert "R1" not in [node.name for node in only_l1.graph.nodes]
