"""The per-epoch record kernels give what numpy's passes gave, bit for bit."""

import numpy as np
import pytest

from nnviz.engine.records import add_to_slots, write_epoch_rows


def _slots_by_bincount(sums, per_slot, first_epoch, losses, accuracies):
    """The curve slots as numpy fills them: one bincount per row."""
    last_epoch = first_epoch + len(losses) - 1
    slots = (np.arange(first_epoch, last_epoch + 1) - 1) // per_slot
    lo, hi = int(slots[0]), int(slots[-1]) + 1
    rel = slots - lo
    for row, values in ((0, losses), (2, accuracies)):
        ok = np.isfinite(values)
        sums[row, lo:hi] += np.bincount(rel[ok], values[ok], minlength=hi - lo)
        sums[row + 1, lo:hi] += np.bincount(rel[ok], minlength=hi - lo)
    return hi


@pytest.mark.parametrize("per_slot", [1, 3, 64])
def test_the_slots_hold_the_sums_bincount_gives(per_slot):
    rng = np.random.default_rng(per_slot)
    by_kernel = np.zeros((8, 4096))
    by_numpy = np.zeros((8, 4096))
    first = 1
    for size in (1, 2, 5, 97, 1000, 3):  # chunks that start and end inside slots
        losses = rng.standard_normal(size) * 1e3
        accuracies = rng.random(size)
        losses[rng.random(size) < 0.1] = np.nan  # a diverged epoch is left out of the mean
        accuracies[rng.random(size) < 0.1] = np.inf
        hi = add_to_slots(by_kernel, 0, 2, per_slot, first, losses, accuracies)
        assert hi == _slots_by_bincount(by_numpy, per_slot, first, losses, accuracies)
        first += size
    assert by_kernel.tobytes() == by_numpy.tobytes()
    assert by_kernel[1].sum() < first - 1  # some epochs were not finite, and not counted


def test_the_epoch_rows_are_the_chunks_numbers_then_nan():
    rows = np.full((10, 7), -1.0)
    losses, accuracies = np.linspace(0.1, 0.9, 6), np.linspace(0.5, 1.0, 6)
    write_epoch_rows(rows, 2, 41, losses, accuracies, 1, 4)  # epochs 42 … 45 into rows 2 … 5
    assert rows[2:6, 0].tolist() == [42, 43, 44, 45]
    assert rows[2:6, 1].tolist() == losses[1:5].tolist()
    assert rows[2:6, 2].tolist() == accuracies[1:5].tolist()
    assert np.isnan(rows[2:6, 3:]).all()
    assert (rows[:2] == -1).all() and (rows[6:] == -1).all()  # nothing outside is touched
