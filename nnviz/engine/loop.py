"""Whole training steps and epochs inside one jitted call.

A step is what a student steps through by hand: copy a mini-batch into x and y, zero the
gradients, run every node forward, seed ∂L/∂L = 1, run every node backward, update. The same
interpreter functions do it here, only without returning to Python between steps.
"""

import numpy as np

from nnviz.engine import interp, ops, optim, team
from nnviz.engine import kernels as k
from nnviz.engine.jit import njit, njit_allocating, njit_inline, prefetch_write

# Slots of the int array `io` that wires a Program to its data.
X_OFF, Y_OFF, LOSS_OFF, PRED_OFF, ACC_MODE = range(5)
ACC_NONE, ACC_BINARY, ACC_ARGMAX = 0, 1, 2

# The history's recording (nnviz.history): after an update, run_steps may copy the parameters
# and the optimizer's state into the next row of `rec` and the step's numbers into `rec_meta`.
# Slots of the int array `rec_ctl`: rows written so far, keep every k-th step (0: record
# nothing), keep every epoch's last step too (its batches per epoch, or 0), state arrays (0–2).
REC_COUNT, REC_EVERY, REC_EPOCH, REC_STATES = range(4)
# Columns of rec_meta: the step (1-based, after its update), the base rate and the rate the
# update used, the batch's loss, the epoch's loss sum, correct count and rows so far, whether
# the row must survive thinning (a changed rate), and who wrote it (0 the loop, 1 by hand,
# 2 by hand after a parameter was set by hand: nnviz.history.SOURCE_EDITED).
(META_STEP, META_BASE_LR, META_LR, META_LOSS, META_SUM, META_CORRECT, META_SEEN, META_KEEP,
 META_SOURCE) = range(9)  # fmt: skip
META_COLS = 9
PREFETCH_ROWS = 16  # how many rows ahead of the one written _record asks for its lines


@njit_allocating
def epoch_order(n, shuffle, seed, epoch):
    """The order of the samples in an epoch: a fresh permutation per epoch, from (seed, epoch)."""
    order = np.empty(n, np.int64)
    fill_epoch_order(order, shuffle, seed, epoch)
    return order


@njit
def fill_epoch_order(order, shuffle, seed, epoch):
    """epoch_order into an existing array (a helper thread reads the same one).

    A Fisher–Yates shuffle driven by the Park–Miller generator: seeding it is one number (an
    MT19937 reseed per epoch cost a fifth of a small scenario's training), and its arithmetic
    stays below 2⁶³, so plain Python gives the same orders when the JIT is off.
    """
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    if not shuffle:
        return
    # Hash (seed, epoch) so that neighbouring epochs start from unrelated states.
    state = k.mix32(k.mix32(seed & 0xFFFFFFFF) ^ (epoch & 0xFFFFFFFF)) % 2147483646 + 1
    for i in range(n - 1, 0, -1):
        state = state * 48271 % 2147483647
        j = state % (i + 1)
        order[i], order[j] = order[j], order[i]


@njit_inline
def load_batch(v, io, X, Y, order, start, rows, ctl):
    """Copy rows order[start : start + rows] of X and Y into the x and y nodes (the last
    half of them on the team's helper, when it has one)."""
    h = rows
    seq = 0
    if ctl[team.ON] and rows > 1 and rows * X.shape[1] >= team.MIN_COPY:
        h = rows // 2
        ctl[team.ARGS] = start
        ctl[team.ARGS + 1] = h
        ctl[team.ARGS + 2] = rows
        seq = team.post(ctl, team.COPY)
    copy_batch_rows(v, io, X, Y, order, start, 0, h)
    if h < rows:
        team.wait(ctl, seq)


@njit_inline
def copy_batch_rows(v, io, X, Y, order, start, lo, hi):
    """Rows lo … hi−1 of the batch that starts at order[start]."""
    _copy_rows(v, io[X_OFF], X, order, start, lo, hi)
    _copy_rows(v, io[Y_OFF], Y, order, start, lo, hi)


@njit_inline
def _copy_rows(v, off, src, order, start, lo, hi):
    # Element loops with unsigned indices: numba's row-slice assignment took twice as long.
    d = np.uint64(src.shape[1])
    o = np.uint64(off)
    for r in range(np.uint64(lo), np.uint64(hi)):
        s = np.uint64(order[start + r])
        for j in range(d):
            v[o + r * d + j] = src[s, j]


@njit
def has_dropout(m):
    for i in range(m.shape[0]):  # noqa: SIM110 (a loop numba compiles)
        if m[i, k.OP] == ops.DROPOUT:
            return True
    return False


@njit_inline
def count_correct(v, io, rows, cols, threshold):
    """Correct predictions in the batch now in the buffers."""
    mode = io[ACC_MODE]
    # indices into v, not reshaped views: a view per call cost more than a small batch
    po = np.uint64(io[PRED_OFF])
    yo = np.uint64(io[Y_OFF])
    cols = np.uint64(cols)
    correct = 0
    for r in range(np.uint64(rows)):
        if mode == ACC_BINARY:
            correct += (v[po + r * cols] > threshold) == (v[yo + r * cols] > 0.5)
        elif mode == ACC_ARGMAX:
            # np.argmax: the first of equal largest values
            best_p = np.uint64(0)
            best_y = np.uint64(0)
            for j in range(np.uint64(1), cols):
                if v[po + r * cols + j] > v[po + r * cols + best_p]:
                    best_p = j
                if v[yo + r * cols + j] > v[yo + r * cols + best_y]:
                    best_y = j
            correct += best_p == best_y
    return correct


@njit
def run_steps(
    m,
    c,
    v,
    g,
    X,
    Y,
    io,
    threshold,
    opt_kind,
    hyper,
    s1,
    s2,
    t0,
    n_param,
    wiring,
    spans,
    batch_size,
    shuffle,
    seed,
    schedule,
    epoch,
    batch_index,
    stop_epoch,
    max_steps,
    epoch_loss,
    epoch_correct,
    epoch_seen,
    order,
    ctl,
    rec,
    rec_meta,
    rec_ctl,
):
    """Train from (epoch, batch_index) until stop_epoch or max_steps steps.

    Per-epoch sums go to epoch_*[epoch − first epoch]. `order` (one slot per row of X) takes
    each epoch's sample order; `ctl` is the team that shares the big parts of a step;
    `schedule` is the optimizer's (Optimizer.schedule): each epoch's rate goes to hyper[LR];
    `spans` its trainable parameters (Optimizer.spans: the frozen ones are not updated).
    `rec`, `rec_meta`, `rec_ctl` record the steps as nnviz.history keeps them (see REC_*);
    a call stops early when `rec` is full.
    Returns (epoch, batch_index, steps, status): status 1 means the loss became NaN or
    infinite at the last step (not updated).
    """
    n_rows = X.shape[0]
    cols = Y.shape[1]
    n_batches = (n_rows + batch_size - 1) // batch_size
    n_nodes = m.shape[0]
    first = epoch
    loss_off = io[LOSS_OFF]
    fill_epoch_order(order, shuffle, seed, epoch)
    steps = 0
    optim.zero_grads(m, g, batch_size, True)
    dropout = has_dropout(m)
    every = rec_ctl[REC_EVERY]
    while epoch < stop_epoch and steps < max_steps:
        if every > 0 and rec_ctl[REC_COUNT] >= rec.shape[0]:
            break  # the history has no room: it makes some before the next call
        lr = optim.scheduled_lr(schedule, epoch)
        if lr >= 0.0:
            hyper[optim.LR] = lr
        start = batch_index * batch_size
        rows = min(batch_size, n_rows - start)
        load_batch(v, io, X, Y, order, start, rows, ctl)
        optim.zero_grads(m, g, rows, False)  # the parameters' were cleared by the update
        if dropout:  # this step's masks, from (seed, step): a step by hand draws the same
            k.arm_dropout(m, c, k.dropout_key(seed, t0 + steps + 1))
        interp.forward(m, c, v, 0, n_nodes, rows, ctl)
        loss = v[loss_off]
        if not np.isfinite(loss):
            return epoch, batch_index, steps, 1
        e = epoch - first
        epoch_loss[e] += loss * rows
        epoch_seen[e] += rows
        epoch_correct[e] += count_correct(v, io, rows, cols, threshold)
        if opt_kind == optim.PERCEPTRON:
            optim.perceptron_update(v, wiring, rows, hyper[optim.LR])
        else:
            g[loss_off] = 1.0
            interp.backward(m, c, v, g, 0, n_nodes, rows, ctl)
            # The last step of a call keeps its gradients, for whoever reads them next.
            last = steps + 1 >= max_steps or (
                batch_index + 1 == n_batches and epoch + 1 >= stop_epoch
            )
            optim.apply_update(
                opt_kind,
                hyper,
                t0 + steps + 1,
                v[:n_param],
                g[:n_param],
                s1,
                s2,
                not last,
                ctl,
                spans,
            )
        steps += 1
        batch_index += 1
        # the call that copies a row only when one is kept: it costs more than the test
        if every > 0 and _keeps(rec_meta, rec_ctl, t0 + steps, schedule[3],
                                batch_index == n_batches):  # fmt: skip
            _record(rec, rec_meta, rec_ctl, v, s1, s2, n_param, t0 + steps, schedule[3],
                    hyper[optim.LR], loss, epoch_loss[e], epoch_correct[e],
                    epoch_seen[e])  # fmt: skip
        if batch_index == n_batches:
            batch_index = 0
            epoch += 1
            if epoch < stop_epoch and steps < max_steps:
                fill_epoch_order(order, shuffle, seed, epoch)
    return epoch, batch_index, steps, 0


@njit_inline
def _keeps(meta, ctl, step, base_lr, epoch_end):
    """Does the history keep this step? Every k-th step, an epoch's last step (when asked),
    and a step whose base rate differs from the one before (a rate changed live: a re-run
    from an earlier row would miss it)."""
    every = ctl[REC_EVERY]
    if every == 1 or step % every == 0 or (ctl[REC_EPOCH] > 0 and epoch_end):
        return True
    count = ctl[REC_COUNT]
    return count > 0 and meta[count - 1, META_BASE_LR] != base_lr


@njit
def _record(rec, meta, ctl, v, s1, s2, n, step, base_lr, lr, loss, loss_sum, correct, seen):
    """Copy this step's parameters and state into the next row (a step _keeps kept)."""
    count = ctl[REC_COUNT]
    ahead = count + PREFETCH_ROWS
    if ahead < rec.shape[0]:
        # a small network writes a row every few hundred nanoseconds: its lines are asked
        # for well before, or each write waits for memory (a third of what recording cost xor)
        prefetch_write(rec, ahead, 0)
        prefetch_write(rec, ahead, rec.shape[1] - 1)
        prefetch_write(meta, ahead, 0)
        prefetch_write(meta, ahead, META_COLS - 1)
    changed = count > 0 and meta[count - 1, META_BASE_LR] != base_lr
    # element by element: a row view per step would cost more than the copy (refcounts)
    for e in range(n):
        rec[count, e] = v[e]
    if ctl[REC_STATES] > 0:
        for e in range(n):
            rec[count, n + e] = s1[e]
    if ctl[REC_STATES] > 1:
        for e in range(n):
            rec[count, 2 * n + e] = s2[e]
    meta[count, META_STEP] = step
    meta[count, META_BASE_LR] = base_lr
    meta[count, META_LR] = lr
    meta[count, META_LOSS] = loss
    meta[count, META_SUM] = loss_sum
    meta[count, META_CORRECT] = correct
    meta[count, META_SEEN] = seen
    meta[count, META_KEEP] = 1.0 if changed else 0.0
    meta[count, META_SOURCE] = 0.0
    ctl[REC_COUNT] = count + 1


@njit
def evaluate(m, c, v, X, Y, io, threshold, capacity, upto, order, ctl):
    """Mean loss and correct count over all rows of X, in chunks of `capacity` rows.

    Runs nodes [0, upto): pass the loss node + 1 to get the loss, or the prediction + 1.
    `order` is 0 … rows−1 (a helper in the team `ctl` reads it too).
    """
    n_rows = X.shape[0]
    cols = Y.shape[1]
    total = 0.0
    correct = 0
    start = 0
    k.arm_dropout(m, c, 0)  # evaluation: no dropout
    while start < n_rows:
        rows = min(capacity, n_rows - start)
        load_batch(v, io, X, Y, order, start, rows, ctl)
        interp.forward(m, c, v, 0, upto, rows, ctl)
        total += v[io[LOSS_OFF]] * rows
        correct += count_correct(v, io, rows, cols, threshold)
        start += rows
    return total / n_rows, correct


@njit
def predict_into(m, c, v, X, io, out_node_off, out_cols, capacity, upto, out, ctl):
    """Forward X in chunks and copy the node at out_node_off (rows × out_cols) into out."""
    n_rows = X.shape[0]
    d = X.shape[1]
    start = 0
    k.arm_dropout(m, c, 0)  # prediction: no dropout
    x_off = io[X_OFF]
    while start < n_rows:
        rows = min(capacity, n_rows - start)
        # element loops: a slice assignment may need a temporary, which a kernel that
        # borrows its arrays cannot allocate
        for r in range(rows):
            for j in range(d):
                v[x_off + r * d + j] = X[start + r, j]
        interp.forward(m, c, v, 0, upto, rows, ctl)
        for r in range(rows):
            for j in range(out_cols):
                out[start + r, j] = v[out_node_off + r * out_cols + j]
        start += rows
