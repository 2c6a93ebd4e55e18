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
