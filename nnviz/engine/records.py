"""Per-epoch records, filled by kernels: at full speed a small network ends a few hundred
thousand epochs a chunk, and numpy's passes over them (a column at a time, a bincount per
curve) held the interpreter, and so the interface, for a tenth of the training's time."""

import numpy as np

from nnviz.engine.jit import njit


@njit
def write_epoch_rows(rows, start, first_epoch, losses, accuracies, skip, take):
    """rows[start + i] = (epoch, loss, accuracy, NaN …) for epochs skip … skip + take − 1 of
    the chunk (the chunk's first epoch is first_epoch): one pass, row after row."""
    nan = np.nan
    cols = rows.shape[1]
    for i in range(take):
        r = start + i
        e = skip + i
        rows[r, 0] = first_epoch + e
        rows[r, 1] = losses[e]
        rows[r, 2] = accuracies[e]
        for c in range(3, cols):
            rows[r, c] = nan


@njit
def add_to_slots(sums, loss_row, acc_row, per_slot, first_epoch, losses, accuracies):
    """Add each epoch's finite loss and accuracy to its slot's sum and count (slots of
    per_slot epochs: epoch e in slot (e − 1) // per_slot). Returns the last slot + 1.

    A slot's epochs are summed from zero in order, then added to the slot's sum: the sums
    numpy's bincount gave, bit for bit."""
    slot = (first_epoch - 1) // per_slot
    loss_sum, loss_n, acc_sum, acc_n = 0.0, 0.0, 0.0, 0.0
    for i in range(losses.shape[0]):
        s = (first_epoch + i - 1) // per_slot
        if s != slot:
            _flush(sums, loss_row, acc_row, slot, loss_sum, loss_n, acc_sum, acc_n)
            slot = s
            loss_sum, loss_n, acc_sum, acc_n = 0.0, 0.0, 0.0, 0.0
        if np.isfinite(losses[i]):
            loss_sum += losses[i]
            loss_n += 1.0
        if np.isfinite(accuracies[i]):
            acc_sum += accuracies[i]
            acc_n += 1.0
    _flush(sums, loss_row, acc_row, slot, loss_sum, loss_n, acc_sum, acc_n)
    return slot + 1


@njit
def _flush(sums, loss_row, acc_row, slot, loss_sum, loss_n, acc_sum, acc_n):
    sums[loss_row, slot] += loss_sum
    sums[loss_row + 1, slot] += loss_n
    sums[acc_row, slot] += acc_sum
    sums[acc_row + 1, slot] += acc_n
