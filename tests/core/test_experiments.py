"""nnviz.experiments: races and sweeps from the same weights and batch order, k-fold CV."""

import numpy as np
import pytest

from nnviz.experiments import (
    ExperimentError,
    Setting,
    best_run,
    configure,
    cross_validate,
    fold_statistics,
    race_settings,
    run_settings,
    sweep_settings,
    sweep_values,
    trained_model,
)
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.train import EpochsDone, Finished


@pytest.fixture(scope="module")
def moons():
    return load_scenario("moons").with_overrides(epochs=8)


def test_race_settings_cross_or_zip(moons):
    crossed = race_settings(moons, ["sgd", "adam"], [0.1, 0.01])
    assert [(s.optimizer, s.lr) for s in crossed] == [
        ("sgd", 0.1), ("sgd", 0.01), ("adam", 0.1), ("adam", 0.01)
    ]  # fmt: skip
    zipped = race_settings(moons, ["sgd", "adam"], [0.5, 0.03], zipped=True)
    assert [(s.optimizer, s.lr) for s in zipped] == [("sgd", 0.5), ("adam", 0.03)]
    default = race_settings(moons, ["sgd", "rmsprop"])
    assert [s.lr for s in default] == [moons.optimizer.lr] * 2  # the scenario's rate for all
    with pytest.raises(ExperimentError, match="--zip pairs .* 2 optimizers, 3 rates"):
        race_settings(moons, ["sgd", "adam"], [1, 2, 3], zipped=True)
    with pytest.raises(ExperimentError, match="perceptron"):
        race_settings(moons, ["perceptron"])


def _plain_run(sc):
    """What `nnviz train` does with the same settings."""
    session = build(sc)
    losses = [x for e in session.trainer.run() if isinstance(e, EpochsDone) for x in e.losses]
    return np.array(losses), session.model.params()


def test_each_run_equals_training_that_setting_alone(moons):
    settings = race_settings(moons, ["sgd", "momentum", "adam"], [0.05])
    runs = list(run_settings(moons, settings))
    for setting, run in zip(settings, runs, strict=True):
        losses, params = _plain_run(configure(moons, setting))
        np.testing.assert_array_equal(run.losses, losses)
        for name, value in params.items():
            np.testing.assert_array_equal(run.params[name], value)
    assert len({tuple(r.losses) for r in runs}) == 3  # the optimizers do differ


def test_runs_start_from_the_same_weights(moons):
    frozen, other = run_settings(moons, [Setting("sgd", 0.0), Setting("adam", 0.0)])
    start = build(moons).model.params()
    for name, value in start.items():
        np.testing.assert_array_equal(frozen.params[name], value)
        np.testing.assert_array_equal(other.params[name], value)


def test_run_records_curves_final_numbers_and_target_epoch(moons):
    (run,) = run_settings(moons, [Setting("adam", 0.03)], target_loss=0.3)
    assert len(run.losses) == 8 and len(run.test_losses) == 8
    reached = np.flatnonzero(run.losses <= 0.3)
    assert run.target_epoch == (reached[0] + 1 if len(reached) else None)
    assert run.final_loss is not None and 0 <= run.test_accuracy <= 1
    assert run.train_s > 0 and run.wall_s >= run.train_s
    assert run.summary()["label"] == "adam lr=0.03"
    assert run.curves()["losses"] == [float(x) for x in run.losses]


def test_a_diverging_run_is_recorded_not_raised():
    sine = load_scenario("sine").with_overrides(epochs=50)
    (run,) = run_settings(sine, [Setting("sgd", 1e6)])
    assert run.diverged is not None and "NaN or infinite" in run.diverged
    assert run.final_loss is None and run.score is None
    assert best_run([run]) is None


def test_sweep_values():
    lrs = sweep_values("lr", "1e-4:1", 13)
    np.testing.assert_allclose(lrs, np.geomspace(1e-4, 1, 13))
    assert sweep_values("lr", "1e-3:1e-1") == pytest.approx(list(np.geomspace(1e-3, 0.1, 13)))
    assert sweep_values("batch_size", "1:64", 7) == [1, 2, 4, 8, 16, 32, 64]
    assert sweep_values("units", "1:4", 13) == [1, 2, 3, 4]  # rounded, deduplicated
    assert sweep_values("units", "2,8,4") == [2, 8, 4]
    for param, text, points, message in [
        ("lr", "1:1e-4", None, "0 < low < high"),
        ("lr", "0.1,x", None, "expected a number, got 'x'"),
        ("units", "2.5,3", None, "expected an integer"),
        ("lr", "0.1,0.2", 5, "--points: applies to a range"),
        ("units", "0,3", None, "--units: 0 is below 1"),
        ("lr", "1:2:3", None, "a range is low:high"),
    ]:
        with pytest.raises(ExperimentError, match=message):
            sweep_values(param, text, points)


def test_units_sweep_changes_every_hidden_layer():
    sc = load_scenario("moons").with_overrides(epochs=2)
    runs = list(run_settings(sc, sweep_settings("units", [2, 5])))
    assert [r.params["W1"].shape for r in runs] == [(2, 2), (2, 5)]
    assert [r.params["W2"].shape for r in runs] == [(2, 1), (5, 1)]
    gates = load_scenario("gates")
    with pytest.raises(ExperimentError, match="starting weights by hand"):
        configure(gates, Setting(units=3))


def test_best_run_ranks_by_held_out_loss(moons):
    runs = list(run_settings(moons, sweep_settings("lr", [1e-4, 0.03])))
    best = best_run(runs)
    assert best is min(runs, key=lambda r: r.test_loss)


def test_cross_validation_folds():
    sc = load_scenario("moons").with_overrides(epochs=3)
    folds = list(cross_validate(sc, 4))
    n = build(sc).dataset.n_train
    assert [f.index for f in folds] == [1, 2, 3, 4]
    assert sum(f.test_rows for f in folds) == n
    assert all(f.train_rows + f.test_rows == n for f in folds)
    assert all(0 <= f.accuracy <= 1 for f in folds)
    stats = fold_statistics(folds)
    accs = [f.accuracy for f in folds]
    assert stats["mean_accuracy"] == pytest.approx(np.mean(accs))
    assert stats["sd_accuracy"] == pytest.approx(np.std(accs))
    again = list(cross_validate(sc, 4))
    assert [f.accuracy for f in again] == accs  # seeded


def test_a_fold_scores_a_network_trained_without_its_rows():
    """Fold 1 by hand: the same shuffle, train on the rest, evaluate on the fold."""
    from dataclasses import replace

    from nnviz.split import kfold

    sc = load_scenario("moons").with_overrides(epochs=3)
    first = next(cross_validate(sc, 4))
    session = build(sc)
    data = session.dataset
    train, test = kfold(data.n_train, 4, sc.training.seed)[0]
    fold = replace(data, x_train=data.x_train[train], y_train=data.y_train[train],
                   x_test=data.x_train[test], y_test=data.y_train[test])  # fmt: skip
    by_hand = build(sc, datasets=[("moons", fold)])
    fin = [e for e in by_hand.trainer.run() if isinstance(e, Finished)][0]
    assert (first.loss, first.accuracy) == (fin.test_loss, fin.test_accuracy)


def test_trained_model_holds_the_runs_weights(moons):
    from nnviz import regions

    sgd, adam = run_settings(moons, [Setting("sgd", 0.1), Setting("adam", 0.03)])
    model = trained_model(moons, adam)
    data = build(moons).dataset
    assert model.evaluate(data.x_train, data.y_train)[0] == adam.final_loss
    grids = [regions.output_grid(trained_model(moons, r), (-1.5, 2.5), (-1, 1.5), 20, 10)
             for r in (sgd, adam)]  # fmt: skip
    assert grids[0].shape == (10, 20, 1) and not np.array_equal(grids[0], grids[1])
