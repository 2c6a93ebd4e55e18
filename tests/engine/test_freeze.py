"""Freezing: the optimizer leaves a frozen layer's parameters (and their state) bit for bit as
they are while the others train; backward still computes every gradient."""

from __future__ import annotations

import numpy as np
import pytest

import nnviz
from nnviz.engine.graph import GraphError
from nnviz.engine.optim import Optimizer
from nnviz.engine.spec import Layer
from nnviz.train import Trainer

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
Y = np.array([[0], [1], [1], [0]], np.float32)
OPTIMIZERS = {
    "sgd": {"lr": 0.5, "weight_decay": 0.01},  # weight decay would move a frozen θ too
    "momentum": {"lr": 0.2},
    "nesterov": {"lr": 0.2},
    "rmsprop": {"lr": 0.01},
    "adam": {"lr": 0.05},
    "adagrad": {"lr": 0.1},
}


def _model(frozen_hidden: bool, dtype="float32"):
    layers = [Layer(4, "tanh", trainable=not frozen_hidden), Layer(1, "sigmoid")]
    return nnviz.Model.from_spec(2, layers, "bce", seed=1, capacity=4, dtype=dtype, l2=0.01)


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_frozen_layer_is_bit_identical_after_training(kind, dtype):
    model = _model(frozen_hidden=True, dtype=dtype)
    start = model.params()
    opt = Optimizer(model.program, kind, **OPTIMIZERS[kind])
    assert opt.frozen == ("W1", "b1")
    trainer = Trainer(model, opt, X, Y, epochs=30, batch_size=2, seed=0)
    list(trainer.run())
    after = model.params()
    for name in ("W1", "b1"):
        assert after[name].tobytes() == start[name].tobytes(), name
        for state in opt.state_of(name).values():
            assert not state.any()  # no momentum, no averages gathered for it
    for name in ("W2", "b2"):
        assert not np.array_equal(after[name], start[name]), name
    model.backprop(X, Y)
    assert np.abs(model.grad("W1")).sum() > 0  # backward still computes it


def test_training_with_a_frozen_layer_equals_training_the_rest_by_hand():
    """The unfrozen parameters follow the same steps as in a network trained with the frozen
    ones put back after every step."""
    frozen = _model(frozen_hidden=True, dtype="float64")
    free = _model(frozen_hidden=False, dtype="float64")
    start = free.params()
    opt_frozen = Optimizer(frozen.program, "sgd", lr=0.5)
    opt_free = Optimizer(free.program, "sgd", lr=0.5)
    for _ in range(5):
        for model, opt in ((frozen, opt_frozen), (free, opt_free)):
            model.backprop(X, Y)
            opt.step()
            opt.zero_grad()
        free.set_params({"W1": start["W1"], "b1": start["b1"]})
    for name in ("W2", "b2"):
        np.testing.assert_array_equal(frozen.params()[name], free.params()[name])


def test_freeze_and_unfreeze_while_running_without_recompiling():
    model = _model(frozen_hidden=False)
    opt = Optimizer(model.program, "adam", lr=0.05)
    trainer = Trainer(model, opt, X, Y, epochs=40, batch_size=4, seed=0)
    program = model.program
    trainer.run_epoch()
    opt.freeze(["W2", "b2"])
    held = model.params()
    for _ in range(5):
        trainer.run_epoch()
    assert model.program is program
    assert model.params()["W2"].tobytes() == held["W2"].tobytes()
    assert not np.array_equal(model.params()["W1"], held["W1"])
    opt.unfreeze(["W2", "b2"])
    assert opt.frozen == ()
    trainer.run_epoch()
    assert not np.array_equal(model.params()["W2"], held["W2"])
    with pytest.raises(GraphError, match="'W9'"):
        opt.freeze(["W9"])


def test_fit_freezes_layers_by_number_and_by_the_model():
    model = _model(frozen_hidden=False)
    start = model.params()
    nnviz.fit(model, X, Y, epochs=20, optimizer="sgd", lr=0.5, freeze=[2])
    assert model.params()["W2"].tobytes() == start["W2"].tobytes()
    assert not np.array_equal(model.params()["W1"], start["W1"])
    model.set_trainable(1, False)
    held = model.params()
    nnviz.fit(model, X, Y, epochs=20, optimizer="sgd", lr=0.5)
    assert model.params()["W1"].tobytes() == held["W1"].tobytes()
    with pytest.raises(GraphError, match="layer 3 has no parameters"):
        model.layer_params(3)


def test_the_perceptron_rule_leaves_a_frozen_bias_alone():
    model = nnviz.Model.from_spec(2, [(1, "step")], "mse", seed=0, capacity=4, init="uniform")
    start = model.params()
    opt = Optimizer(model.program, "perceptron", lr=0.1)
    opt.freeze(["b1"])
    trainer = Trainer(model, opt, X, np.array([[0], [1], [1], [1]], np.float32), epochs=5)
    list(trainer.run())
    assert model.params()["b1"].tobytes() == start["b1"].tobytes()
    assert not np.array_equal(model.params()["W1"], start["W1"])
