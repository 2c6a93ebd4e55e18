"""Seeded splits of a data set's rows: a hold-out validation share and k-fold cross validation.

The hold-out split is stratified for classification (each class gives the same share of its
rows), so a small validation set still holds every class. The folds follow scikit-learn's
KFold(n_splits, shuffle=True), the course's recipe: the rows are shuffled once, then cut into
k consecutive folds, the first n mod k of them one row longer; each fold is the test set once.
"""

from __future__ import annotations

import numpy as np

from nnviz.errors import InputError


class SplitError(InputError):
    """A split that leaves a part without rows; the message says which."""


def class_labels(Y: np.ndarray, task: str) -> np.ndarray | None:
    """One label per row for classification (argmax of one-hot rows, or y > 0.5), else None."""
    Y = np.asarray(Y)
    if task == "multiclass":
        return np.argmax(Y, axis=1)
    if task == "binary":
        return (Y[:, 0] > 0.5).astype(np.int64)
    return None


def holdout(
    n_rows: int, fraction: float, seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows), sorted: `fraction` of the rows held out, drawn with
    `seed`, per class when `labels` are given."""
    if not 0.0 < fraction < 1.0:
        raise SplitError(f"validation must be a share between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    groups = [np.arange(n_rows)] if labels is None else [
        np.flatnonzero(labels == c) for c in np.unique(labels)
    ]  # fmt: skip
    held = [rng.permutation(rows)[: int(round(fraction * len(rows)))] for rows in groups]
    val = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    if len(val) == 0:
        raise SplitError(f"validation = {fraction} of {n_rows} rows holds out no row")
    if len(val) == n_rows:
        raise SplitError(f"validation = {fraction} of {n_rows} rows leaves no row to train on")
    keep = np.ones(n_rows, bool)
    keep[val] = False
    return np.flatnonzero(keep), val


def kfold(
    n_rows: int, folds: int, seed: int, shuffle: bool = True
) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(training rows, test rows)] of each fold, as KFold(folds, shuffle=True).split does."""
    if folds < 2:
        raise SplitError(f"k-fold cross validation needs at least 2 folds, got {folds}")
    if folds > n_rows:
        raise SplitError(f"{folds} folds need at least {folds} rows, the data has {n_rows}")
    order = np.random.default_rng(seed).permutation(n_rows) if shuffle else np.arange(n_rows)
    sizes = np.full(folds, n_rows // folds)
    sizes[: n_rows % folds] += 1
    out = []
    start = 0
    for size in sizes:
        test = order[start : start + size]
        train = np.concatenate([order[:start], order[start + size :]])
        out.append((train, test))
        start += size
    return out
