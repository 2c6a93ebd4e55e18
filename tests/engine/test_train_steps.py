"""Trainer.train_steps (what paced play calls once a frame) and Model.outputs (several nodes
from one forward pass, for the hidden-unit maps)."""

import numpy as np

from nnviz.engine.optim import Optimizer
from nnviz.model import Model
from nnviz.train import EpochsDone, Trainer

RNG = np.random.default_rng(0)
X = RNG.random((40, 2)).astype(np.float32)
Y = (X[:, :1] > X[:, 1:]).astype(np.float32)


def trainer(epochs=6, batch_size=8):
    model = Model.from_spec(2, [(4, "tanh"), (3, "sigmoid"), (1, "sigmoid")], "bce",
                            seed=1, capacity=16)  # fmt: skip
    opt = Optimizer(model.program, "adam", lr=0.05)
    return Trainer(model, opt, X, Y, epochs=epochs, batch_size=batch_size, seed=3)


def test_train_steps_takes_exactly_the_steps_asked_and_equals_run_bit_for_bit():
    paced, whole = trainer(), trainer()
    losses = []
    for k in (1, 2, 3, 7, 1, 11):  # across epoch ends (5 batches an epoch)
        before = paced.steps
        for event in paced.train_steps(k):
            if isinstance(event, EpochsDone):
                losses.extend(event.losses)
        assert paced.steps == before + k
    rest = paced.train_steps(1000)  # stops at the last epoch
    losses.extend(l for e in rest if isinstance(e, EpochsDone) for l in e.losses)
    assert paced.steps == 30 and paced.epoch == 6 and paced.train_steps(5) == []
    expected = [l for e in whole.run() if isinstance(e, EpochsDone) for l in e.losses]
    n = paced.model.program.n_param  # run() ends with an evaluation in the other buffers
    assert np.array_equal(paced.model.program.values[:n], whole.model.program.values[:n])
    assert np.array_equal(np.array(losses), np.array(expected))


def test_outputs_are_each_nodes_output():
    model = trainer().model
    grid = RNG.random((37, 2))  # more rows than the capacity: in chunks
    names = ["u1", "u2", "p"]
    found = model.outputs(grid, names)
    for name in names:
        assert np.array_equal(found[name], model.output(grid, node=name))
