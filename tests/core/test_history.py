"""The history (nnviz.history): recorded and re-run steps equal the live run's bit for bit."""

import numpy as np
import pytest

from nnviz.engine.optim import Optimizer
from nnviz.explorer import DONE, START, Controller
from nnviz.history import HistoryError, Timeline
from nnviz.model import Model
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.stepper import Stepper
from nnviz.train import Trainer

RNG = np.random.default_rng(5)
X = RNG.random((40, 3))
Y = (X.sum(axis=1, keepdims=True) > 1.5).astype(float)
EPOCHS = 6  # 3 batches an epoch: 18 steps, with shuffles, dropout and a stepped schedule


def _fresh(kind: str, dtype: str = "float32"):
    from nnviz.engine.spec import Layer

    layers = [Layer(6, "tanh", dropout=0.25), Layer(1, "sigmoid")]
    m = Model.from_spec(3, layers, "bce", seed=3, dtype=dtype, capacity=64)
    opt = Optimizer(m.program, kind, lr=0.05)
    trainer = Trainer(m, opt, X, Y, epochs=EPOCHS, batch_size=16, seed=7, schedule="step",
                      schedule_step=2, gamma=0.5, threads=1)  # fmt: skip
    return m, trainer


def _reference(kind: str, dtype: str) -> list[np.ndarray]:
    """Parameters and state after every step, one step at a time by hand."""
    m, trainer = _fresh(kind, dtype)
    stepper = Stepper(m, trainer.optimizer, trainer)
    states = [_state(trainer)]
    for _ in range(EPOCHS * trainer.batches_per_epoch):
        stepper.step()
        states.append(_state(trainer))
    return states


def _state(trainer) -> np.ndarray:
    p = trainer.model.program
    parts = [p.values[: p.n_param]] + [a[: p.n_param] for a in trainer.optimizer.state.values()]
    return np.concatenate(parts).copy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam", "rmsprop"])
@pytest.mark.parametrize("budget", [None, "tiny"])
def test_every_step_restored_equals_stepping_by_hand(kind, dtype, budget):
    reference = _reference(kind, dtype)
    m, trainer = _fresh(kind, dtype)
    probe = Timeline(trainer)
    # "tiny": room for 5 rows, so the rows are spaced out and thinned while training
    timeline = Timeline(trainer, budget=5 * probe.row_bytes if budget else 1 << 20)
    trainer.recorder = timeline
    trainer.chunk_seconds = 1e-9  # many small chunks: the loop's rows across calls
    for _ in trainer.run():
        pass
    assert trainer.steps == len(reference) - 1
    if budget:
        assert timeline.every > 1 and timeline.count <= 5
    else:
        assert timeline.count == len(reference)
    _, other = _fresh(kind, dtype)
    for step in range(len(reference)):
        timeline.restore(other, step)
        assert np.array_equal(_state(other), reference[step]), step
        assert other.steps == step and other.optimizer.t == step


def test_a_rate_changed_between_chunks_is_kept_and_replayed():
    m, trainer = _fresh("sgd")
    timeline = Timeline(trainer, budget=4 * Timeline(trainer).row_bytes)
    trainer.recorder = timeline
    for _ in range(5):
        trainer.step()
    trainer.optimizer.lr = 0.2  # as the explorer's + key does
    for _ in trainer.run():
        pass
    m2, ref = _fresh("sgd")
    hand = Stepper(m2, ref.optimizer, ref)
    states = [_state(ref)]
    for n in range(trainer.steps):
        if n == 5:
            ref.optimizer.lr = 0.2
        hand.step()
        states.append(_state(ref))
    _, other = _fresh("sgd")
    for step in range(trainer.steps + 1):
        timeline.restore(other, step)
        assert np.array_equal(_state(other), states[step]), step


def test_a_step_outside_the_history_is_refused():
    _, trainer = _fresh("sgd")
    timeline = Timeline(trainer)
    with pytest.raises(HistoryError, match="not in the history"):
        timeline.index(3)
    with pytest.raises(HistoryError, match="fewer than two steps"):
        Timeline(trainer, budget=10)


def _controller(name="xor", **overrides):
    sc = load_scenario(name).with_overrides(**overrides)
    return Controller(build(sc, threads=1))


def _same(ctl, a, b):
    assert a.phase == b.phase and a.step == b.step and a.epoch == b.epoch
    assert np.array_equal(a.params, b.params)
    assert a.lr == b.lr and a.batch_index == b.batch_index
    if a.phase == START:  # nothing computed yet: only the parameters are on show
        return
    assert a.batch == b.batch
    for i in range(ctl.n):  # every node's rows of the batch (the buffers hold more rows)
        assert np.array_equal(ctl.view(a.values, i, a.batch), ctl.view(b.values, i, b.batch))
        assert np.array_equal(ctl.view(a.grads, i, a.batch), ctl.view(b.grads, i, b.batch))
    assert (a.rows is None) == (b.rows is None)
    if a.rows is not None:
        assert np.array_equal(a.rows, b.rows)
    assert (a.update is None) == (b.update is None)
    if a.update is not None:
        assert a.update.lr == b.update.lr
        for u, v in zip(a.update.params, b.update.params, strict=True):
            assert np.array_equal(u.old, v.old) and np.array_equal(u.new, v.new)
            assert np.array_equal(u.grad, v.grad)
            for key in u.state:
                assert np.array_equal(u.state[key], v.state[key])
    assert sorted(a.chain) == sorted(b.chain)
    for j in a.chain:
        assert np.array_equal(a.chain[j].grad, b.chain[j].grad)


@pytest.mark.parametrize("name", ["xor", "circles"])
def test_a_past_step_shows_what_the_live_step_showed(name):
    ctl = _controller(name, epochs=12)
    live = [ctl.snapshot()]
    for _ in range(7):
        ctl.step()
        live.append(ctl.snapshot())
    for event in ctl.trainer.run():  # and the rest at full speed, recorded by the loop
        ctl.after_training(event)
    assert ctl.present_step > 7
    for step in (3, 0, 1, 2, 7, 6, 4):
        snap = ctl.view_step(step)
        assert snap.past and snap.present == ctl.present_step
        _same(ctl, snap, live[step])
    assert ctl.view_step(0).phase == START
    assert ctl.view_step(5).phase == DONE
    # the present again: the live snapshot, no longer a past one
    assert not ctl.view_step(ctl.present_step).past and ctl.viewing is None


def test_continuing_from_a_past_step_drops_the_future_and_goes_on_from_it():
    ctl = _controller("circles", epochs=2)
    for event in ctl.trainer.run():
        ctl.after_training(event)
    end = ctl.present_step
    final = ctl.program.values[: ctl.program.n_param].copy()
    ctl.view_step(3)
    assert ctl.continue_from_view() == end - 3
    assert ctl.present_step == 3 and ctl.timeline.last_kept == 3
    assert ctl.snapshot().phase == DONE
    for _ in range(end - 3):  # the same steps again, by hand this time: the same numbers
        ctl.step()
    assert np.array_equal(ctl.program.values[: ctl.program.n_param], final)
    assert ctl.timeline.count == end + 1


def test_parameters_frozen_during_the_run_are_frozen_again_in_a_re_run():
    m, trainer = _fresh("momentum")
    probe = Timeline(trainer)
    timeline = Timeline(trainer, budget=6 * probe.row_bytes)  # spaced-out keyframes
    trainer.recorder = timeline
    plan = {4: ("freeze", "W1"), 9: ("unfreeze", "W1"), 13: ("freeze", "b2")}

    def run(t, by_hand=None):
        states = [_state(t)]
        for n in range(EPOCHS * t.batches_per_epoch):
            if n in plan:
                getattr(t.optimizer, plan[n][0])(plan[n][1])
            by_hand.step() if by_hand else t.step()
            states.append(_state(t))
        return states

    run(trainer)
    assert [first for first, _ in timeline.eras] == [0, 4, 9, 13]
    m2, ref = _fresh("momentum")
    states = run(ref, Stepper(m2, ref.optimizer, ref))
    _, other = _fresh("momentum")
    for step in range(len(states)):
        timeline.restore(other, step)
        assert np.array_equal(_state(other), states[step]), step
        assert other.optimizer.frozen == timeline.frozen_at(step)


def test_the_epoch_log_takes_a_chunks_epochs_as_one_block_as_row_by_row():
    from nnviz.history import EPOCH_COLS, EpochLog
    from nnviz.train import EpochsDone

    def event(first, n, test=None, val=None):
        losses = np.linspace(1.0, 0.5, n)
        accs = np.where(np.arange(n) % 3 == 0, np.nan, np.linspace(0.2, 0.9, n))
        return EpochsDone(first, losses, accs, test, 0.75 if test else None, first + n, 0.1,
                          0.0, val, 0.5 if val else None)  # fmt: skip

    events = [event(1, 5), event(4, 6, test=0.3), event(10, 200, val=0.4), event(100, 3)]
    log = EpochLog()
    for e in events:
        log.add_event(e)
    expected: dict[int, list] = {}
    for e in events:
        for row in e.rows():
            if row["epoch"] not in expected:  # an epoch already logged is kept as it was
                expected[row["epoch"]] = [row.get(c) for c in EPOCH_COLS]
    want = np.array([[np.nan if v is None else v for v in r] for r in expected.values()])
    assert log.count == len(want) == 209
    np.testing.assert_array_equal(log.view(), want)


def test_the_epoch_log_keeps_24_bytes_an_epoch_and_its_evaluations_apart():
    from nnviz.history import EPOCH_COLS, EpochLog
    from nnviz.train import EpochsDone

    log = EpochLog()
    assert log.rows.strides[0] == 24  # epoch, loss, accuracy: float64 each
    losses = np.linspace(1.0, 0.5, 1000)
    log.add_event(EpochsDone(1, losses, losses / 2, 0.3, 0.7, 1000, 0.1, 0.0, None, None))
    log.add(1001, 0.4, 0.9, None, None, 0.25, 0.95)
    log.add_event(EpochsDone(1002, losses[:10], losses[:10], None, None, 1011, 0.1, 0.0, 0.2,
                             None))  # fmt: skip
    assert log.count == 1011 and log.n_evals == 3
    table = log.view()
    assert table.shape == (1011, len(EPOCH_COLS))
    np.testing.assert_array_equal(table[999, 3:], [0.3, 0.7, np.nan, np.nan])
    np.testing.assert_array_equal(table[1000, 3:], [np.nan, np.nan, 0.25, 0.95])
    np.testing.assert_array_equal(table[1010, 3:], [np.nan, np.nan, 0.2, np.nan])
    assert np.isnan(table[:999, 3:]).all() and np.isnan(table[1001:1010, 3:]).all()
    copy = EpochLog()
    copy.load(table)  # a record's table read back
    np.testing.assert_array_equal(copy.view(), table)
    log.truncate(1001)  # the evaluation after epoch 1011 goes with it
    assert log.count == 1001 and log.n_evals == 2
    np.testing.assert_array_equal(log.view(), table[:1001])


def test_the_epoch_log_stops_at_its_limit_and_says_so(monkeypatch):
    from nnviz import history
    from nnviz.train import EpochsDone

    monkeypatch.setattr(history, "MAX_EPOCH_ROWS", 100)
    log = history.EpochLog()
    losses = np.linspace(1.0, 0.5, 80)
    log.add_event(EpochsDone(1, losses, losses / 2, 0.3, 0.7, 80, 0.1, 0.0, None, None))
    assert log.count == 80 and not log.full and log.view()[-1, 3] == 0.3
    log.add_event(EpochsDone(81, losses, losses / 2, 0.2, 0.8, 160, 0.1, 0.0, None, None))
    assert log.count == 100 and log.full
    np.testing.assert_array_equal(log.view()[:, 0], np.arange(1, 101))
    np.testing.assert_array_equal(log.view()[80:, 1], losses[:20])
    assert np.isnan(log.view()[-1, 3])  # epoch 160's test loss was not kept with epoch 100


def test_steps_after_a_weight_set_by_hand_are_re_run_from_the_edited_weights():
    from nnviz.playground import set_element

    ctl = Controller(build(load_scenario("xor"), threads=1))
    n = ctl.program.n_param
    for _ in range(3):
        ctl.step()
    taken = ctl.view_step(3).params.copy()
    set_element(ctl, "W1", (0, 0), 0.9)
    ctl.step()
    live4 = ctl.program.values[:n].copy()
    ctl.step()
    assert ctl.timeline.edited_at(3) and not ctl.timeline.edited_at(4)
    # step 3 as it was taken (before the edit); step 4 re-run from the edited parameters,
    # also right after the twin showed step 3
    assert np.array_equal(ctl.view_step(3).params, taken)
    assert np.array_equal(ctl.view_step(4).params, live4)
    assert live4[0] != taken[0]


def test_a_run_made_longer_while_it_trains_is_spaced_out_for_its_new_length(monkeypatch):
    """The MNIST view's "train more" raises the epochs of a run under way: the rows are spaced
    for the longer run from then on (as if planned so), not kept at every step until the
    budget is full and then thinned by copying every row."""
    thinned = []
    thin = Timeline._thin
    monkeypatch.setattr(Timeline, "_thin", lambda self: thinned.append(1) or thin(self))
    _, trainer = _fresh("momentum")
    row = Timeline(trainer).row_bytes
    timeline = Timeline(trainer, budget=40 * row)  # planned: 18 steps, every one kept
    assert timeline.every == 1 and timeline._spacing(120)[0] == 4
    trainer.recorder = timeline
    trainer.chunk_seconds = 1e-9
    for _ in range(4):
        trainer.step()
    trainer.epochs = 40  # 120 steps now: every 4th fits the budget
    for _ in trainer.run():
        pass
    assert timeline.every == 4 and not thinned
    assert timeline.last_kept == trainer.steps == 120 and timeline.count <= 40
    assert all(step % 4 == 0 for step in timeline.steps_kept())
    _, ref = _fresh("momentum")
    ref.epochs = 40
    states = [_state(ref)]
    for _ in range(120):
        ref.step()
        states.append(_state(ref))
    _, other = _fresh("momentum")
    other.epochs = 40
    for step in range(121):
        timeline.restore(other, step)
        assert np.array_equal(_state(other), states[step]), step
