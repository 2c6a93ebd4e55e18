"""Seeded hold-out and k-fold splits (nnviz.split)."""

import numpy as np
import pytest

from nnviz.split import SplitError, class_labels, holdout, kfold


def test_holdout_is_seeded_disjoint_and_complete():
    train, val = holdout(100, 0.2, seed=3)
    assert len(val) == 20 and len(train) == 80
    assert sorted(np.concatenate([train, val])) == list(range(100))
    again_train, again_val = holdout(100, 0.2, seed=3)
    np.testing.assert_array_equal(val, again_val)
    assert not np.array_equal(val, holdout(100, 0.2, seed=4)[1])


def test_holdout_is_stratified_by_class():
    labels = np.array([0] * 90 + [1] * 10)
    _, val = holdout(100, 0.2, seed=0, labels=labels)
    assert (labels[val] == 0).sum() == 18 and (labels[val] == 1).sum() == 2


def test_class_labels():
    onehot = np.eye(3)[[2, 0, 1]]
    np.testing.assert_array_equal(class_labels(onehot, "multiclass"), [2, 0, 1])
    np.testing.assert_array_equal(class_labels(np.array([[0.9], [0.1]]), "binary"), [1, 0])
    assert class_labels(np.zeros((2, 1)), "regression") is None


def test_holdout_that_empties_a_part_is_refused():
    with pytest.raises(SplitError, match="holds out no row"):
        holdout(3, 0.1, seed=0)
    with pytest.raises(SplitError, match="leaves no row to train on"):
        holdout(2, 0.9, seed=0)


def test_kfold_matches_the_kfold_recipe():
    """KFold(n_splits=3, shuffle=True): one shuffle, consecutive folds, the first n mod k
    folds one row longer; every row is tested exactly once."""
    folds = kfold(10, 3, seed=0)
    sizes = [len(test) for _, test in folds]
    assert sizes == [4, 3, 3]
    order = np.random.default_rng(0).permutation(10)
    np.testing.assert_array_equal(np.concatenate([test for _, test in folds]), order)
    for train, test in folds:
        assert not set(train) & set(test)
        assert len(train) + len(test) == 10
    unshuffled = kfold(6, 2, seed=0, shuffle=False)
    np.testing.assert_array_equal(unshuffled[0][1], [0, 1, 2])


def test_bad_fold_counts():
    with pytest.raises(SplitError, match="at least 2 folds"):
        kfold(10, 1, seed=0)
    with pytest.raises(SplitError, match="5 folds need at least 5 rows"):
        kfold(4, 5, seed=0)
