"""The course's experiments, headless: optimizers raced, one setting swept, k-fold cross validation.

Every run of an experiment trains the scenario's network from the same starting weights (drawn
from the scenario's seed) on the same batch order (shuffled from the same seed), so the runs
differ by the setting alone. The data is loaded once, and the runs of one process share the
compiled kernels: after the first, a run costs its training alone. Nothing here prints; each
function yields one result per run, for a front end (nnviz race / sweep / cv, the explorer).
Runs use the scenario's first data set (a scenario over several truth tables has several).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from nnviz.errors import InputError
from nnviz.session import build, load_datasets
from nnviz.split import kfold
from nnviz.train import Diverged, EpochsDone, Finished, Started

SWEEPABLE = ("lr", "batch_size", "units")
# what `nnviz race` and `nnviz sweep` try unless told otherwise (the explorer's views too)
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
DEFAULT_SWEEP = ("lr", "1e-4:1", 13)  # 13 learning rates, log-spaced from 1e-4 to 1


class ExperimentError(InputError):
    """An experiment that cannot run as asked; the message names the option."""


@dataclass(frozen=True)
class Setting:
    """What one run changes; None keeps the scenario's own value."""

    optimizer: str | None = None
    lr: float | None = None
    batch_size: int | None = None
    units: int | None = None  # the width of every hidden layer

    @property
    def label(self) -> str:
        parts = [self.optimizer] if self.optimizer else []
        if self.lr is not None:
            parts.append(f"lr={self.lr:g}")
        if self.batch_size is not None:
            parts.append(f"batch={self.batch_size}")
        if self.units is not None:
            parts.append(f"units={self.units}")
        return " ".join(parts) or "scenario"


@dataclass(frozen=True)
class Run:
    """One trained run: its curves (one value per epoch) and its final numbers."""

    setting: Setting
    optimizer: str
    lr: float
    batch_size: int
    losses: np.ndarray  # mean training loss of each epoch's mini-batches
    accuracies: np.ndarray  # running training accuracy of each epoch (NaN for regression)
    test_losses: np.ndarray | None  # after each epoch, when there is a test set
    val_losses: np.ndarray | None  # after each epoch, with training.validation
    val_accuracies: np.ndarray | None
    final_loss: float | None  # over the whole training set after training; None if diverged
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    target_epoch: int | None  # the first epoch whose training loss reached the target
    train_s: float  # seconds in the training steps
    wall_s: float  # seconds for the whole run: building, compiling, training, evaluating
    compile_s: float  # compiling (the first run of a process) or loading the kernels
    diverged: str | None  # the trainer's message when the loss became NaN or infinite
    params: dict[str, np.ndarray]  # the trained weights (for the decision regions)

    @property
    def label(self) -> str:
        return self.setting.label

    def summary(self) -> dict:
        """The final numbers as plain JSON-able values."""
        return {
            "label": self.label,
            "optimizer": self.optimizer,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "units": self.setting.units,
            "epochs": len(self.losses),
            "final_loss": self.final_loss,
            "train_accuracy": self.train_accuracy,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "val_loss": self.val_loss,
            "val_accuracy": self.val_accuracy,
            "target_epoch": self.target_epoch,
            "train_s": self.train_s,
            "wall_s": self.wall_s,
            "compile_s": self.compile_s,
            "diverged": self.diverged,
        }

    def curves(self) -> dict:
        """The per-epoch curves as lists (None where a curve does not exist)."""

        def plain(arr):
            return None if arr is None else [None if np.isnan(x) else float(x) for x in arr]

        return {
            "losses": plain(self.losses),
            "accuracies": plain(self.accuracies),
            "test_losses": plain(self.test_losses),
            "val_losses": plain(self.val_losses),
            "val_accuracies": plain(self.val_accuracies),
        }

    @property
    def score(self) -> float | None:
        """What a sweep ranks runs by: validation loss, else test loss, else training loss."""
        if self.diverged is not None:
            return None
        for value in (self.val_loss, self.test_loss, self.final_loss):
            if value is not None:
                return value
        return None


# ---------------------------------------------------------------- settings
def configure(scenario, setting: Setting):
    """The scenario with the setting applied, validated as a file's own values are."""
    if scenario.model is None:
        raise ExperimentError(
            f"scenario '{scenario.name}' is an expression graph: nothing to train"
        )
    sc = scenario.with_overrides(
        optimizer=setting.optimizer, lr=setting.lr, batch_size=setting.batch_size
    )
    if setting.units is not None:
        sc = with_hidden_units(sc, setting.units)
    return sc


def with_hidden_units(scenario, units: int):
    """The scenario with every hidden layer `units` wide (the output layer as it is)."""
    model = scenario.model
    if len(model.layers) < 2:
        raise ExperimentError(f"--units: scenario '{scenario.name}' has no hidden layer")
    if model.weights:
        raise ExperimentError(
            f"--units: scenario '{scenario.name}' gives starting weights by hand "
            "(model.weights), whose shapes fix the units"
        )
    if units < 1:
        raise ExperimentError(f"--units: a layer needs at least 1 unit, got {units}")
    hidden = tuple(dataclasses.replace(layer, units=units) for layer in model.layers[:-1])
    new_model = dataclasses.replace(model, layers=(*hidden, model.layers[-1]))
    return dataclasses.replace(scenario, model=new_model)


def race_settings(
    scenario, optimizers: Sequence[str], lrs: Sequence[float] = (), zipped: bool = False
) -> list[Setting]:
    """One setting per optimizer × learning rate (every pair), or optimizer i with rate i when
    `zipped`. Without rates every optimizer runs at the scenario's learning rate, so that the
    optimizer is the one thing that changes."""
    if not optimizers:
        raise ExperimentError("--optimizers: give at least one optimizer")
    if "perceptron" in optimizers:
        raise ExperimentError("--optimizers: the perceptron rule does not race gradient optimizers")
    rates = list(lrs) or [scenario.optimizer.lr]
    if zipped:
        if len(rates) != len(optimizers):
            raise ExperimentError(
                f"--zip pairs optimizers with learning rates one to one: {len(optimizers)} "
                f"optimizers, {len(rates)} rates"
            )
        return [Setting(kind, lr) for kind, lr in zip(optimizers, rates, strict=True)]
    return [Setting(kind, lr) for kind in optimizers for lr in rates]


def sweep_values(param: str, text: str, points: int | None = None) -> list:
    """The values a sweep tries: `a:b` is `points` values log-spaced from a to b (rounded and
    deduplicated for integer settings), `a,b,c` the values given."""
    if param not in SWEEPABLE:
        raise ExperimentError(f"cannot sweep '{param}' (one of {', '.join(SWEEPABLE)})")
    option = "--" + param.replace("_", "-")
    integer = param != "lr"
    cast = int if integer else float
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2:
            raise ExperimentError(f"{option}: a range is low:high, got {text!r}")
        low, high = (_number(option, p, cast) for p in parts)
        n = 13 if points is None else points
        if n < 2:
            raise ExperimentError(f"--points: a range needs at least 2 points, got {n}")
        if not 0 < low < high:
            raise ExperimentError(f"{option}: a range needs 0 < low < high, got {text!r}")
        values = np.geomspace(low, high, n)
        if integer:
            return sorted({int(round(v)) for v in values})
        return [float(v) for v in values]
    if points is not None:
        raise ExperimentError(f"--points: applies to a range low:high, not to the list {text!r}")
    values = [_number(option, p, cast) for p in text.split(",") if p.strip()]
    if not values:
        raise ExperimentError(f"{option}: no values given")
    low = 1 if integer else 0.0
    bad = [v for v in values if v < low]
    if bad:
        raise ExperimentError(f"{option}: {bad[0]} is below {low}")
    return values


def _number(option: str, text: str, cast):
    try:
        return cast(text.strip())
    except ValueError:
        kind = "an integer" if cast is int else "a number"
        raise ExperimentError(f"{option}: expected {kind}, got {text.strip()!r}") from None


def sweep_settings(param: str, values: Sequence) -> list[Setting]:
    return [Setting(**{param: value}) for value in values]


# ---------------------------------------------------------------- runs
def run_settings(
    scenario,
    settings: Sequence[Setting],
    *,
    target_loss: float | None = None,
    data_dir=None,
    threads: int | None = None,
    datasets=None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Run]:
    """Train the scenario once per setting, from the same weights and batch order.

    `datasets`: the scenario's data sets already loaded (load_datasets); `should_stop` is
    asked between training chunks (a fraction of a second apart): when it says True, the run
    under way is dropped and nothing more is yielded (a front end's cancel key)."""
    variants = [configure(scenario, s) for s in settings]  # every setting checked up front
    datasets = (load_datasets(scenario, data_dir) if datasets is None else datasets)[:1]
    for setting, sc in zip(settings, variants, strict=True):
        run = train_once(
            sc, datasets, setting, target_loss=target_loss, threads=threads,
            should_stop=should_stop,
        )  # fmt: skip
        if run is None:
            return
        yield run


def train_once(
    scenario, datasets, setting: Setting, *, target_loss=None, threads=None, should_stop=None
) -> Run | None:
    """One run of a configured scenario on loaded data (None when `should_stop` said so)."""
    t0 = time.perf_counter()
    session = build(scenario, datasets=datasets, chunk_seconds=0.2, threads=threads)
    trainer = session.trainer
    losses, accs, tests, vals, val_accs = [], [], [], [], []
    finished = diverged = None
    compile_s = 0.0
    for event in trainer.run():
        if should_stop is not None and should_stop():
            return None
        if isinstance(event, Started):
            compile_s = event.compile_s
        elif isinstance(event, EpochsDone):
            losses.extend(event.losses)
            accs.extend(event.accuracies)
            tests.append(event.test_loss)
            vals.append(event.val_loss)
            val_accs.append(event.val_accuracy)
        elif isinstance(event, Diverged):
            diverged = event.message
        elif isinstance(event, Finished):
            finished = event
    losses = np.array(losses, np.float64)
    target = None
    if target_loss is not None:
        reached = np.flatnonzero(losses <= target_loss)
        target = int(reached[0]) + 1 if len(reached) else None
    per_epoch = len(tests) == len(losses)  # one event per epoch: the curves line up
    return Run(
        setting=setting,
        optimizer=session.optimizer.kind,
        lr=session.optimizer.lr,
        batch_size=trainer.batch_size,
        losses=losses,
        accuracies=np.array(accs, np.float64),
        test_losses=_curve(tests) if per_epoch and trainer.has_test else None,
        val_losses=_curve(vals) if per_epoch and trainer.has_val else None,
        val_accuracies=_curve(val_accs) if per_epoch and trainer.has_val else None,
        final_loss=None if finished is None else finished.final_loss,
        train_accuracy=None if finished is None else finished.train_accuracy,
        test_loss=None if finished is None else finished.test_loss,
        test_accuracy=None if finished is None else finished.test_accuracy,
        val_loss=None if finished is None else finished.val_loss,
        val_accuracy=None if finished is None else finished.val_accuracy,
        target_epoch=target,
        train_s=trainer.train_s,
        wall_s=time.perf_counter() - t0,
        compile_s=compile_s,
        diverged=diverged,
        params=session.model.params(),
    )


def trained_model(scenario, run: Run, *, datasets=None, data_dir=None):
    """A Model of the run's network holding its trained weights: what the decision regions
    of the run are drawn from (nnviz.regions.output_grid(model, ...))."""
    sc = configure(scenario, run.setting)
    if datasets is None:
        datasets = load_datasets(scenario, data_dir)[:1]
    return build(sc, datasets=datasets, weights=run.params, threads=1).model


def _curve(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], np.float64)


def best_run(runs: Sequence[Run]) -> Run | None:
    """The run with the lowest score (validation, else test, else training loss)."""
    scored = [r for r in runs if r.score is not None and np.isfinite(r.score)]
    return min(scored, key=lambda r: r.score) if scored else None


# ---------------------------------------------------------------- k-fold cross validation
@dataclass(frozen=True)
class Fold:
    index: int  # 1-based
    train_rows: int
    test_rows: int
    loss: float | None  # on the fold's held-out rows
    accuracy: float | None
    train_loss: float | None
    train_accuracy: float | None
    train_s: float
    diverged: str | None

    def summary(self) -> dict:
        return dataclasses.asdict(self)


def cross_validate(
    scenario, folds: int, *, data_dir=None, threads: int | None = None
) -> Iterator[Fold]:
    """k-fold cross validation over the scenario's training rows, shuffled with its seed.

    Each fold trains a fresh network (the same starting weights) on the other folds and
    evaluates it on its own; the scenario's test set is not used, nor its validation share
    (the folds take its place).
    """
    if scenario.model is None:
        raise ExperimentError(
            f"scenario '{scenario.name}' is an expression graph: nothing to train"
        )
    sc = scenario.with_overrides(validation=0.0)
    label, data = load_datasets(scenario, data_dir)[0]
    for index, (train, test) in enumerate(kfold(data.n_train, folds, sc.training.seed), start=1):
        fold_data = dataclasses.replace(
            data,
            x_train=data.x_train[train],
            y_train=data.y_train[train],
            x_test=data.x_train[test],
            y_test=data.y_train[test],
        )
        session = build(sc, datasets=[(label, fold_data)], chunk_seconds=0.2, threads=threads)
        trainer = session.trainer
        trainer.test_every_epoch = False  # the fold is scored once, at the end
        finished = diverged = None
        for event in trainer.run():
            if isinstance(event, Diverged):
                diverged = event.message
            elif isinstance(event, Finished):
                finished = event
        yield Fold(
            index=index,
            train_rows=len(train),
            test_rows=len(test),
            loss=None if finished is None else finished.test_loss,
            accuracy=None if finished is None else finished.test_accuracy,
            train_loss=None if finished is None else finished.final_loss,
            train_accuracy=None if finished is None else finished.train_accuracy,
            train_s=trainer.train_s,
            diverged=diverged,
        )


def fold_statistics(folds: Sequence[Fold]) -> dict:
    """Mean and standard deviation (numpy's, ddof = 0, as the usual recipe prints) of the
    folds' accuracies and losses, over the folds that finished."""
    out: dict = {"folds": len(folds)}
    for what in ("accuracy", "loss"):
        values = [getattr(f, what) for f in folds if getattr(f, what) is not None]
        out[f"mean_{what}"] = float(np.mean(values)) if values else None
        out[f"sd_{what}"] = float(np.std(values)) if values else None
    return out
