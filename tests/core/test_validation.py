"""training.validation: held-out rows, validated every epoch, in the trainer's events."""

import numpy as np

from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.train import EpochsDone, Finished


def test_validation_rows_are_held_out_and_scored_every_epoch():
    sc = load_scenario("moons").with_overrides(epochs=5, validation=0.25)
    session = build(sc)
    full = session.dataset.n_train
    assert session.trainer.X.shape[0] == full - len(session.validation_rows)
    assert len(session.validation_rows) == round(0.25 * full)
    events = list(session.trainer.run())
    epochs = [e for e in events if isinstance(e, EpochsDone)]
    assert [e.first_epoch for e in epochs] == [1, 2, 3, 4, 5]
    assert all(e.val_loss is not None and 0 <= e.val_accuracy <= 1 for e in epochs)
    assert "val_loss" in epochs[0].rows()[0]
    fin = events[-1]
    assert isinstance(fin, Finished)
    # the engine's own evaluation of the held-out rows
    x_val = session.dataset.x_train[session.validation_rows]
    y_val = session.dataset.y_train[session.validation_rows]
    assert (fin.val_loss, fin.val_accuracy) == session.model.evaluate(x_val, y_val)
    assert fin.val_loss == epochs[-1].val_loss


def test_without_validation_nothing_changes():
    sc = load_scenario("moons").with_overrides(epochs=2)
    session = build(sc)
    assert session.validation_rows is None
    assert session.trainer.X.shape[0] == session.dataset.n_train
    events = list(session.trainer.run())
    assert all(e.val_loss is None for e in events if isinstance(e, EpochsDone))
    assert "val_loss" not in next(e for e in events if isinstance(e, EpochsDone)).rows()[0]


def test_validation_split_is_stratified_and_seeded():
    sc = load_scenario("moons").with_overrides(epochs=1, validation=0.2)
    first, again = build(sc), build(sc)
    np.testing.assert_array_equal(first.validation_rows, again.validation_rows)
    labels = first.dataset.labels_train
    held = labels[first.validation_rows]
    for c in np.unique(labels):
        assert (held == c).sum() == round(0.2 * (labels == c).sum())
