"""nnviz.beside: the test and validation sets evaluated in a thread beside the training give the
numbers and the events an evaluation in line gives, in the same order."""

import threading

import numpy as np
import pytest

from nnviz import beside
from nnviz.engine import blas
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.train import EpochsDone, Progress


def _trainer(evaluate_beside: bool, **overrides):
    sc = load_scenario("moons").with_overrides(epochs=6, validation=0.25, batch_size=40,
                                                **overrides)  # fmt: skip
    trainer = build(sc, threads=1).trainer
    trainer.evaluate_beside = evaluate_beside
    return trainer


def _numbers(events) -> list:
    out = []
    for e in events:
        if isinstance(e, EpochsDone):
            ends = (e.test_loss, e.test_accuracy, e.val_loss, e.val_accuracy)
            out.append(("epochs", e.first_epoch, e.losses.tolist(), e.accuracies.tolist(), ends,
                        e.step))  # fmt: skip
        elif isinstance(e, Progress):
            out.append(("progress", e.epoch, e.batch, e.step))
        else:
            out.append((type(e).__name__,))
    return out


@pytest.fixture
def always_beside(monkeypatch):
    """Every evaluation goes beside (moons is far below the size that would), and each one
    says which thread ran it."""
    monkeypatch.setattr(beside, "worth_it", lambda model, sets: True)
    threads: list[str] = []
    submit = beside.Beside.submit

    def tracked(self, sets):
        twin = self._twin_now()
        if "evaluate" not in vars(twin):  # the twin's own method, wrapped once
            original = twin.evaluate

            def evaluate(*a, **kw):
                threads.append(threading.current_thread().name)
                return original(*a, **kw)

            twin.evaluate = evaluate
        return submit(self, sets)

    monkeypatch.setattr(beside.Beside, "submit", tracked)
    return threads


@pytest.mark.parametrize("how", ["run", "train_steps", "step", "run_epoch"])
def test_evaluations_beside_give_the_events_in_line_gives(always_beside, how):
    def drive(trainer) -> list:
        if how == "run":
            return list(trainer.run())
        events: list = []
        while trainer.epoch < trainer.epochs:
            if how == "train_steps":
                events += trainer.train_steps(7)  # chunks that cross epochs' ends
            elif how == "step":
                event = trainer.step()
                events += [event] if event is not None else []
            else:
                events += trainer.run_epoch()
        return events

    in_line = drive(_trainer(False))
    threads_before = len(always_beside)
    held = drive(_trainer(True))
    assert _numbers(held) == _numbers(in_line)
    epochs = [e for e in held if isinstance(e, EpochsDone)]
    assert epochs and all(e.test_loss is not None and e.val_loss is not None for e in epochs)
    # both sets of every epoch's end, in the evaluating thread (run()'s Finished: in line)
    ran = always_beside[threads_before:]
    assert len(ran) == 2 * sum(len(e.losses) for e in epochs)
    assert all(name.startswith("nnviz-evaluate") for name in ran)


def test_the_twin_takes_the_parameters_of_the_epochs_end_and_the_live_buffers_are_left(
    always_beside,
):
    trainer = _trainer(True)
    events = trainer.train_steps(trainer.batches_per_epoch)  # one epoch exactly
    (done,) = [e for e in events if isinstance(e, EpochsDone)]
    model = trainer.model
    assert (done.test_loss, done.test_accuracy) == model.evaluate(trainer.x_test, trainer.y_test)
    twin = trainer._beside._twin
    assert twin.program is not model.program
    n = model.program.n_param
    np.testing.assert_array_equal(twin.program.values[:n], model.program.values[:n])


def test_a_held_epoch_waits_for_the_caller_that_stopped_partway(always_beside):
    trainer = _trainer(True)
    events = []
    for event in trainer.epoch_events():
        events.append(event)
    # the epoch's event left with the generator's end, its evaluations known
    assert isinstance(events[-1], EpochsDone) and events[-1].test_loss is not None
    assert trainer._pending is None and trainer._held == []


def test_a_small_evaluation_stays_in_line():
    trainer = _trainer(True)
    assert not beside.worth_it(trainer.model, trainer._evaluation_sets())
    list(trainer.run())
    assert trainer._beside is None


def test_two_threads_capping_openblas_at_once_restore_its_count_only_after_the_last(
    monkeypatch,
):
    count = [8]

    def setter(n):
        count[0] = n

    monkeypatch.setattr(blas, "_libraries", lambda: ((setter, lambda: count[0]),))
    first, second = blas.blas_threads(1), blas.one_thread()
    first.__enter__()
    assert count[0] == 1
    second.__enter__()
    first.__exit__(None, None, None)  # the first leaves while the second is still inside
    assert count[0] == 1
    second.__exit__(None, None, None)
    assert count[0] == 8
    with blas.blas_threads(3):
        with blas.blas_threads(1):
            assert count[0] == 1
        assert count[0] == 3
    assert count[0] == 8
