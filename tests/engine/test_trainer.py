"""The trainer: XOR converges, runs are deterministic, divergence is caught and named."""

import numpy as np
import pytest

from nnviz.engine.gradcheck import gradcheck
from nnviz.engine.graph import GraphError
from nnviz.engine.jit import JIT_DISABLED
from nnviz.engine.optim import Optimizer
from nnviz.model import Model
from nnviz.train import Diverged, EpochsDone, Finished, Progress, Started, Trainer

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)


def xor_run(seed, steps=10_000):
    model = Model.from_spec(2, [(4, "sigmoid"), (1, "sigmoid")], "bce", init="uniform",
                            init_scale=0.7, seed=seed, capacity=4)  # fmt: skip
    opt = Optimizer(model.program, "sgd", lr=0.5)
    trainer = Trainer(model, opt, XOR_X, XOR_Y, epochs=steps, seed=seed)
    events = list(trainer.run())
    losses = np.concatenate([e.losses for e in events if isinstance(e, EpochsDone)])
    return events[-1], losses


@pytest.mark.skipif(JIT_DISABLED, reason="20 × 10,000 steps is for the compiled engine")
def test_xor_converges_for_19_of_20_seeds():
    converged = sum(xor_run(seed)[0].train_accuracy == 1.0 for seed in range(20))
    assert converged >= 19


def test_xor_converges_one_seed():
    fin, losses = xor_run(0, steps=3000 if JIT_DISABLED else 10_000)
    assert isinstance(fin, Finished)
    assert fin.train_accuracy == 1.0
    assert losses[-1] < losses[0] / 10


def test_same_seed_same_losses_bit_for_bit():
    _, a = xor_run(3, steps=500)
    _, b = xor_run(3, steps=500)
    assert np.array_equal(a, b)
    _, c = xor_run(4, steps=500)
    assert not np.array_equal(a, c)


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    Y = (X[:, :1] + X[:, 1:] > 0).astype(np.float32)
    return X, Y


def test_minibatch_run_is_deterministic_and_reshuffles():
    X, Y = _blobs()

    def run():
        m = Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", seed=1, capacity=32)
        t = Trainer(m, Optimizer(m.program, "adam", lr=0.05), X, Y, epochs=5, batch_size=32)
        order = [t.next_batch_rows()]
        ev = list(t.run())
        return m.params(), ev, order

    p1, ev1, _ = run()
    p2, ev2, _ = run()
    for name in p1:
        assert np.array_equal(p1[name], p2[name])
    assert isinstance(ev1[0], Started) and isinstance(ev1[-1], Finished)
    # each epoch visits every row once, in a new order
    m = Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", seed=1, capacity=32)
    t = Trainer(m, Optimizer(m.program, "sgd", lr=0.1), X, Y, epochs=2, batch_size=32)
    epoch0 = []
    for _ in range(t.batches_per_epoch):
        epoch0.extend(t.next_batch_rows())
        t.step()
    assert sorted(epoch0) == list(range(len(X)))
    assert list(t.next_batch_rows()) != epoch0[:32]


def test_test_set_is_evaluated_every_epoch():
    X, Y = _blobs()
    m = Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", seed=1, capacity=64)
    t = Trainer(m, Optimizer(m.program, "adam", lr=0.05), X, Y, x_test=X[:40], y_test=Y[:40],
                epochs=3, batch_size=16)  # fmt: skip
    done = [e for e in t.run() if isinstance(e, EpochsDone)]
    assert [e.last_epoch for e in done] == [1, 2, 3]
    assert all(e.test_accuracy is not None for e in done)
    assert t.finish().test_accuracy == pytest.approx(m.evaluate(X[:40], Y[:40])[1])


def test_progress_events_within_long_epochs():
    X, Y = _blobs(n=2000)
    m = Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", seed=1, capacity=16)
    t = Trainer(m, Optimizer(m.program, "sgd", lr=0.1), X, Y, epochs=1, batch_size=4,
                chunk_seconds=1e-6)  # fmt: skip
    events = list(t.run())
    assert any(isinstance(e, Progress) for e in events)
    assert t.steps == 500


def test_epochs_end_one_by_one_on_request():
    X, Y = _blobs(n=2000)
    m = Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", seed=1, capacity=16)
    t = Trainer(m, Optimizer(m.program, "sgd", lr=0.1), X, Y, epochs=4, batch_size=8,
                chunk_seconds=1e-6)  # fmt: skip
    t.stop_every_epoch = True
    done = [e for e in t.run() if isinstance(e, EpochsDone)]
    # every epoch ends its own chunk, even though the chunks are many steps shorter
    assert [(e.first_epoch, e.last_epoch) for e in done] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    ends = [e.elapsed_s for e in done]
    assert ends == sorted(ends) and ends[0] > 0
    assert ends[-1] == pytest.approx(t.train_s)
    # off by default: a stop per epoch costs a return to Python
    assert not Trainer(m, Optimizer(m.program, "sgd"), X, Y, batch_size=8).stop_every_epoch


def test_an_epoch_in_chunks_can_stop_partway_and_equals_one_call():
    X, Y = _blobs(n=2000)

    def trainer():
        m = Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", seed=1, capacity=16)
        return Trainer(m, Optimizer(m.program, "sgd", lr=0.1), X, Y, epochs=3, batch_size=8,
                       chunk_seconds=1e-6)  # fmt: skip

    chunked, whole = trainer(), trainer()
    events = list(chunked.epoch_events())
    assert any(isinstance(e, Progress) for e in events)
    (done,) = [e for e in events if isinstance(e, EpochsDone)]
    assert done.last_epoch == 1 and chunked.epoch == 1 and chunked.batch_index == 0
    (same,) = [e for e in whole.run_epoch() if isinstance(e, EpochsDone)]
    assert np.array_equal(done.losses, same.losses)
    for name, value in chunked.model.params().items():
        assert np.array_equal(value, whole.model.params()[name]), name
    # stopping the iteration stops the epoch partway; the next call ends that same epoch
    partway = chunked.epoch_events()
    next(partway)
    partway.close()
    assert chunked.epoch == 1 and 0 < chunked.batch_index < chunked.batches_per_epoch
    rest = [e for e in chunked.epoch_events() if isinstance(e, EpochsDone)]
    assert [e.last_epoch for e in rest] == [2] and chunked.batch_index == 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point of the test
def test_divergence_stops_and_names_the_node():
    X, Y = _blobs()
    m = Model.from_spec(2, [(3, "relu"), (1, "identity")], "mse", seed=1, task="regression",
                        capacity=128)  # fmt: skip
    t = Trainer(m, Optimizer(m.program, "sgd", lr=1e6), X, Y * 1e3, epochs=50)
    events = list(t.run())
    last = events[-1]
    assert isinstance(last, Diverged)
    assert last.node in m.program.names
    assert f"step {last.step}" in last.message and "NaN or infinite" in last.message
    assert not any(isinstance(e, Finished) for e in events)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point (JIT off)
def test_a_non_finite_start_is_not_blamed_on_an_update():
    """At step 1 no update has run: the message names the starting value, not the rate."""
    m = Model.from_spec(2, [(4, "relu"), (1, "identity")], "mse", capacity=4)
    X = XOR_X * np.float32(3e38)  # finite, but x·W1 overflows float32
    last = list(Trainer(m, Optimizer(m.program, "sgd", lr=0.5), X, XOR_Y).run())[-1]
    assert isinstance(last, Diverged) and last.step == 1
    assert "first forward pass" in last.message and "data's range" in last.message
    assert "learning rate" not in last.message


def test_records_grow_as_training_goes():
    """epochs = 10⁹ allocates nothing per epoch up front: a few chunks run, then stop."""
    m = Model.from_spec(2, [(4, "sigmoid"), (1, "sigmoid")], "bce", capacity=4)
    t = Trainer(m, Optimizer(m.program, "sgd", lr=0.5), XOR_X, XOR_Y, epochs=10**9)
    events = t.run()
    for _ in range(4):
        next(events)
    assert 0 < t.epoch < 10**9
    with pytest.raises(GraphError, match="epochs is 1,000,000,001, more than nnviz's limit"):
        Trainer(m, Optimizer(m.program, "sgd", lr=0.5), XOR_X, XOR_Y, epochs=10**9 + 1)


def test_step_schedule_decays_the_learning_rate():
    X, Y = _blobs()
    m = Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", seed=1, capacity=128)
    opt = Optimizer(m.program, "sgd", lr=0.8)
    t = Trainer(m, opt, X, Y, epochs=5, schedule="step", schedule_step=2, gamma=0.5)
    done = [e for e in t.run() if isinstance(e, EpochsDone)]
    assert done[-1].lr == pytest.approx(0.8 * 0.5**2)  # epoch index 4 → two decays


def test_perceptron_rule_on_gates():
    X = XOR_X

    def errors_after(y, epochs=20):
        m = Model.from_spec(2, [(1, "step")], "mse", init="zeros", task="binary", capacity=1)
        t = Trainer(m, Optimizer(m.program, "perceptron", lr=0.1), X, y, epochs=epochs,
                    batch_size=1)  # fmt: skip
        accs = np.concatenate([e.accuracies for e in t.run() if isinstance(e, EpochsDone)])
        return accs

    assert (errors_after(np.array([[0], [1], [1], [1]], np.float32)) == 1.0).any()  # OR
    assert (errors_after(np.array([[0], [0], [0], [1]], np.float32)) == 1.0).any()  # AND
    assert not (errors_after(XOR_Y, epochs=100) == 1.0).any()  # XOR never converges


def test_gradcheck_of_an_mlp():
    X, Y = _blobs(20)
    m = Model.from_spec(2, [(5, "tanh"), (1, "sigmoid")], "bce", seed=2, l2=0.01, capacity=20)
    results = gradcheck(m.program, {"x": X, "y": Y})
    assert [r.name for r in results] == ["W1", "b1", "W2", "b2"]
    assert all(r.ok for r in results), [(r.name, r.max_rel_error) for r in results]


def test_bad_trainer_arguments_are_named():
    m = Model.from_spec(2, [(3, "tanh"), (1, "sigmoid")], "bce", capacity=4)
    opt = Optimizer(m.program, "sgd")
    with pytest.raises(GraphError, match="epochs must be at least 1"):
        Trainer(m, opt, XOR_X, XOR_Y, epochs=0)
    with pytest.raises(GraphError, match="node 'x': expected 2 columns"):
        Trainer(m, opt, np.zeros((4, 3)), XOR_Y)
    with pytest.raises(GraphError, match="exceeds the model's capacity"):
        Trainer(m, opt, np.zeros((10, 2)), np.zeros((10, 1)), batch_size=8)
