"""Dropout in a network: active in training steps (the same masks by hand and in run_steps),
off in evaluation and prediction, its masks readable per node."""

import numpy as np
import pytest

from nnviz.engine.graph import GraphError
from nnviz.engine.optim import Optimizer
from nnviz.model import Model
from nnviz.train import Trainer


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    return X, y


def _model(rate=0.5, dtype="float64"):
    layers = [(8, "tanh", rate), (1, "sigmoid")]
    return Model.from_spec(2, layers, "bce", seed=3, dtype=dtype, capacity=64)


def test_graph_has_mask_and_dropout_nodes():
    model = _model()
    names = model.program.names
    assert {"m1", "d1", "d1W2"} <= set(names)
    assert model.graph.node("d1").const == 0.5


def test_output_layer_dropout_is_refused():
    with pytest.raises(GraphError, match="dropout is for hidden layers"):
        Model.from_spec(2, [(4, "tanh"), (1, "sigmoid", 0.2)], "bce")


def test_prediction_and_evaluation_run_without_dropout():
    X, y = _data()
    model = _model(rate=0.5)
    plain = Model.from_spec(2, [(8, "tanh"), (1, "sigmoid")], "bce", seed=3, dtype="float64",
                            capacity=64)  # fmt: skip
    np.testing.assert_array_equal(model.predict(X), plain.predict(X))
    assert model.evaluate(X, y) == plain.evaluate(X, y)


def _trainer(model, X, y, epochs=3):
    opt = Optimizer(model.program, "sgd", lr=0.1)
    return Trainer(model, opt, X, y, epochs=epochs, batch_size=16, seed=7, threads=1)


def test_steps_by_hand_equal_run_steps_bit_for_bit():
    X, y = _data()
    fast = _model()
    _trainer(fast, X, y, epochs=2).run_epoch()
    slow = _model()
    trainer = _trainer(slow, X, y, epochs=2)
    p = slow.program
    masks = []
    for _ in range(trainer.batches_per_epoch):
        trainer.feed_next_batch()
        trainer.optimizer.zero_grad()
        for i in range(len(p)):
            p.forward(i, i + 1)
        p.seed()
        for i in range(len(p) - 1, -1, -1):
            p.backward(i, i + 1)
        trainer.optimizer.step()
        trainer.count_manual_step()
        masks.append(trainer.dropout_masks()["d1"])
    for name, value in fast.params().items():
        np.testing.assert_array_equal(value, slow.params()[name], err_msg=name)
    # each step draws its own mask, with about half the units kept
    assert not np.array_equal(masks[0], masks[1])
    share = np.mean([m.mean() for m in masks])
    assert 0.35 < share < 0.65


def test_dropout_changes_training_and_the_mask_survives_evaluation():
    X, y = _data()
    with_dropout, without = _model(0.5), _model(0.0)
    t1 = _trainer(with_dropout, X, y)
    t2 = _trainer(without, X, y)
    list(t1.run())
    list(t2.run())
    assert not np.array_equal(with_dropout.params()["W1"], without.params()["W1"])
    mask = with_dropout.program.value("m1")[:16].copy()
    with_dropout.evaluate(X, y)
    np.testing.assert_array_equal(with_dropout.program.value("m1")[:16], mask)
    assert set(np.unique(mask)) <= {0.0, 1.0}


def test_gradcheck_fixes_the_steps_masks():
    from nnviz.engine.gradcheck import gradcheck

    X, y = _data()
    model = _model(rate=0.5, dtype="float32")
    trainer = _trainer(model, X, y)
    trainer.feed_next_batch()  # arms this step's masks
    results = gradcheck(model.program, max_elements=8)
    assert all(r.ok for r in results), [(r.name, r.max_rel_error) for r in results]
    # and the checked gradient is the one with dropout: it differs from the plain network's
    p = model.program
    trainer.optimizer.zero_grad()
    p.forward()
    p.seed()
    p.backward()
    w1 = next(r for r in results if r.name == "W1")
    np.testing.assert_allclose(w1.analytic, p.grad("W1").reshape(-1)[w1.elements], rtol=1e-4,
                               atol=1e-7)  # fmt: skip


def test_trainer_reads_the_last_steps_masks_after_evaluation():
    X, y = _data(n=70)  # batches of 16: the last of an epoch has 6 rows
    model = _model(rate=0.5)
    trainer = _trainer(model, X, y, epochs=1)
    trainer.run_epoch()
    before = trainer.dropout_masks()["d1"]
    assert before.shape == (6, 8)
    model.evaluate(X, y)  # 70 rows through the buffers, no dropout
    np.testing.assert_array_equal(trainer.dropout_masks()["d1"], before)
    trainer.feed_next_batch()
    assert trainer.dropout_masks()["d1"].shape == (16, 8)
