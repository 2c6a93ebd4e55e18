"""The history of a run: the parameters and optimizer state of its steps, to go back to any one.

A Timeline keeps, for the steps it records, a row of the flat parameters and the optimizer's
state arrays (velocity, m, v, …) and the step's numbers (its rate, its batch's loss, the
epoch's running sums). The training loop writes the rows itself (nnviz.engine.loop, through
Trainer.recorder), so recording costs a copy per kept step and no return to Python; steps by
hand are recorded by the explorer after their update.

Which steps: every one while the budget (DEFAULT_BUDGET bytes, `budget=`) holds the whole run;
beyond it every k-th step, k a power of two, doubled whenever the rows run out (every other
row is dropped then). A network whose row is big (MNIST's) keeps keyframes from the start:
every KEYFRAME_STEPS steps and every epoch's last step. A step whose base learning rate
differs from the step before (a rate changed live) is always kept.

Any step in between is re-run from the row before it: the engine is deterministic bit for bit,
and everything a step depends on besides the parameters and the state follows from the step
number (the epoch's batch order from (seed, epoch), the dropout masks from (seed, step), the
scheduled rate from the epoch) or from the row (the base rate). `restore(trainer, step)` puts
a Trainer (the live one, or a twin built by `twin`) in the state after `step` updates.

Per-epoch metrics (loss, accuracy, test and validation numbers) are kept beside, in an
EpochLog, for the curves and for a record on disk (nnviz.record).
"""

from __future__ import annotations

import contextlib
import mmap
import weakref

import numpy as np

from nnviz.engine.loop import (
    META_BASE_LR,
    META_COLS,
    META_CORRECT,
    META_KEEP,
    META_LOSS,
    META_LR,
    META_SEEN,
    META_SOURCE,
    META_STEP,
    META_SUM,
    REC_COUNT,
    REC_EPOCH,
    REC_EVERY,
)
from nnviz.engine.optim import STATE_NAMES, Optimizer
from nnviz.engine.records import write_epoch_rows
from nnviz.errors import RecordError
from nnviz.limits import DEFAULT_HISTORY_BYTES
from nnviz.model import Model
from nnviz.prefault import Prefault

DEFAULT_BUDGET = DEFAULT_HISTORY_BYTES  # bytes of rows a Timeline may hold
BIG_ROW_BYTES = 64 << 10  # a row this big (MNIST: 318 KiB) means keyframes from the start
KEYFRAME_STEPS = 100  # a big network's keyframe spacing (and every epoch's end)
# The rows of the whole budget are allocated at once: the operating system hands out zeroed
# pages only as they are first written, so untouched rows cost no memory, and no row is ever
# copied to a bigger array (a first write of fresh memory costs about as much as a small
# network's step: rows written twice doubled the cost of recording xor). They come in huge
# pages where the system gives them (_zeroed): a first write then costs a quarter as much.
HUGE_MIN_BYTES = 4 << 20
SOURCE_EDITED = 2.0  # META_SOURCE of a row written after a parameter was set by hand
MAX_EPOCH_ROWS = 1 << 22  # per-epoch metrics kept (3 float64 a row: 96 MiB at most)
EPOCH_COLS = ("epoch", "loss", "accuracy", "test_loss", "test_accuracy", "val_loss",
              "val_accuracy")  # fmt: skip
DENSE_COLS = 3  # EpochLog's rows: the first three of EPOCH_COLS
EVAL_COLS = EPOCH_COLS[DENSE_COLS:]  # … and its evaluations, kept apart


class HistoryError(RecordError):
    """A step the history cannot give (before its first row, after its last)."""


class EpochLog:
    """Per-epoch metrics: a row (epoch, loss, accuracy) for every epoch, and apart, the
    evaluations (test and validation loss and accuracy) of the epochs that have them.

    At full speed a small network ends hundreds of thousands of epochs a chunk and is evaluated
    after the last one only: seven columns a row wrote four NaN for each epoch's two numbers
    (xor: 56 bytes an epoch beside the step's 140 of history; now 24)."""

    def __init__(self) -> None:
        # every row there may be, at once: pages are taken as rows are written, and no row
        # is ever copied to a bigger array (growing had cost xor a tenth of its training)
        self.rows = _zeroed((MAX_EPOCH_ROWS, DENSE_COLS), np.float64)
        self.count = 0
        self.full = False  # MAX_EPOCH_ROWS reached: later epochs are not kept
        # (row, test loss, test accuracy, val loss, val accuracy) of the evaluated epochs, in
        # row order; NaN where a number is missing
        self.evals = np.zeros((0, 1 + len(EVAL_COLS)), np.float64)
        self.n_evals = 0

    def add(self, epoch: int, loss: float, accuracy=None, test_loss=None, test_accuracy=None,
            val_loss=None, val_accuracy=None) -> None:  # fmt: skip
        if self.count and epoch <= self.rows[self.count - 1, 0]:
            return  # an epoch already logged (the explorer's manual close and a chunk's)
        if self.count >= MAX_EPOCH_ROWS:
            self.full = True
            return
        self.rows[self.count] = [float(epoch), float(loss), _number(accuracy)]
        self._evaluated(self.count, (test_loss, test_accuracy, val_loss, val_accuracy))
        self.count += 1

    def add_event(self, event) -> None:
        """The epochs of a Trainer's EpochsDone (test and validation numbers on the last), as
        one block: at full speed a chunk of a small network ends hundreds of thousands, so
        they are written straight into the rows."""
        losses = np.asarray(event.losses, np.float64)
        n = len(losses)
        first = int(event.first_epoch)
        # the event's epochs are first … first + n − 1: an epoch already logged is skipped
        skip = 0
        if self.count:
            skip = int(min(max(self.rows[self.count - 1, 0] - first + 1, 0), n))
        fresh = n - skip
        take = min(fresh, MAX_EPOCH_ROWS - self.count)
        if take < fresh:
            self.full = True
        if take <= 0:
            return
        need = self.count + take
        accuracies = np.asarray(event.accuracies, np.float64)
        write_epoch_rows(self.rows, self.count, first, losses, accuracies, skip, take)
        if skip + take == n:  # the last epoch is kept: it carries the evaluations
            ends = (event.test_loss, event.test_accuracy, event.val_loss, event.val_accuracy)
            self._evaluated(need - 1, ends)
        self.count = need

    def load(self, table: np.ndarray) -> None:
        """Take the rows of a record's table (EPOCH_COLS a row, epochs increasing)."""
        n = min(len(table), MAX_EPOCH_ROWS)
        self.rows[:n] = table[:n, :DENSE_COLS]
        self.count, self.full = n, n < len(table)
        ends = table[:n, DENSE_COLS:]
        evaluated = np.flatnonzero(~np.isnan(ends).all(axis=1))
        self.evals = np.column_stack([evaluated.astype(np.float64), ends[evaluated]])
        self.n_evals = len(evaluated)

    def _evaluated(self, row: int, ends) -> None:
        if all(v is None for v in ends):
            return
        if self.n_evals == len(self.evals):  # rare (once a chunk at most): grown by doubling
            grown = np.zeros((max(2 * len(self.evals), 64), self.evals.shape[1]), np.float64)
            grown[: self.n_evals] = self.evals[: self.n_evals]
            self.evals = grown
        self.evals[self.n_evals] = [float(row), *(_number(v) for v in ends)]
        self.n_evals += 1

    def dense(self) -> np.ndarray:
        """(epoch, loss, accuracy) of every epoch logged: a view."""
        return self.rows[: self.count]

    def view(self) -> np.ndarray:
        """Every epoch logged with EPOCH_COLS, NaN where a number is missing: a new array."""
        table = np.full((self.count, len(EPOCH_COLS)), np.nan)
        table[:, :DENSE_COLS] = self.dense()
        evals = self.evals[: self.n_evals]
        table[evals[:, 0].astype(np.int64), DENSE_COLS:] = evals[:, 1:]
        return table

    def truncate(self, epochs: int) -> None:
        """Keep epochs 1 … `epochs`."""
        self.count = int(np.searchsorted(self.rows[: self.count, 0], epochs, side="right"))
        self.n_evals = int(np.searchsorted(self.evals[: self.n_evals, 0], self.count))
        self.full = False


def _number(value) -> float:
    return np.nan if value is None else float(value)


class Timeline:
    """The kept steps of one run of `trainer` (its model and optimizer), from its present step.

    `trainer.recorder = timeline` makes the training loop record; `record_now()` records the
    present state (after a step by hand); `restore(trainer, step)` goes back (or forth)."""

    def __init__(self, trainer, *, budget: int = DEFAULT_BUDGET):
        program = trainer.model.program
        optimizer = trainer.optimizer
        self.trainer = trainer  # whose present is the history's last step
        self.n = program.n_param
        self.state_names: tuple[str, ...] = STATE_NAMES[optimizer.kind]
        self.width = max(self.n * (1 + len(self.state_names)), 1)
        self.dtype = program.dtype
        self.row_bytes = self.width * self.dtype.itemsize + META_COLS * 8
        self.budget = int(budget)
        self.capacity = self.budget // self.row_bytes
        if self.capacity < 2:
            raise HistoryError(
                f"a history budget of {_bytes(self.budget)} holds fewer than two steps "
                f"of this network ({self.row_bytes:,} bytes a step)"
            )
        self.batches_per_epoch = trainer.batches_per_epoch
        self.planned = trainer.epochs * self.batches_per_epoch  # steps the run is to take
        every, epoch = self._spacing(self.planned)
        self.values = _zeroed((self.capacity, self.width), self.dtype)
        self.meta = _zeroed((self.capacity, META_COLS), np.float64)
        self.ctl = np.array([0, every, epoch, len(self.state_names)], np.int64)
        self.epochs = EpochLog()
        # their pages come ready from another thread, ahead of the rows (nnviz.prefault)
        self.prefault = Prefault([(self.values, _count_of(self)), (self.meta, _count_of(self)),
                                  (self.epochs.rows, _count_of(self.epochs))])  # fmt: skip
        self.diverged_step: int | None = None  # the step whose loss was NaN or infinite
        self.stopped = False  # every row is needed and the budget is spent: no more rows
        # (first step, frozen parameters) of each stretch of the run with the same frozen set:
        # a re-run uses the one its steps had (a kept row starts each stretch)
        self.eras: list[tuple[int, tuple[str, ...]]] = [(trainer.steps, optimizer.frozen)]
        self.record_now(trainer, keep=True)

    # ------------------------------------------------------------ facts
    @property
    def count(self) -> int:
        return int(self.ctl[REC_COUNT])

    @property
    def every(self) -> int:
        return int(self.ctl[REC_EVERY])

    @property
    def first_step(self) -> int:
        return int(self.meta[0, META_STEP])

    @property
    def last_kept(self) -> int:
        """The last step kept (the run's present, unless rows are spaced out)."""
        return int(self.meta[self.count - 1, META_STEP])

    @property
    def last_step(self) -> int:
        """The last step one may go to: the run's present."""
        return max(int(self.trainer.steps), self.last_kept)

    def steps_kept(self) -> np.ndarray:
        return self.meta[: self.count, META_STEP].astype(np.int64)

    @property
    def bytes_used(self) -> int:
        return self.count * self.row_bytes

    def describe(self) -> str:
        """One line for the help screen: the budget and what it holds."""
        spacing = "every step" if self.every == 1 else f"every {self.every:,} steps"
        if self.ctl[REC_EPOCH]:
            spacing += " and every epoch's end"
        return (
            f"history: {spacing} kept ({_bytes(self.row_bytes)} a step, {self.count:,} steps "
            f"in {_bytes(self.bytes_used)} of a {_bytes(self.budget)} budget); the steps "
            "between are re-run"
        )

    def adopt(self, values: np.ndarray, meta: np.ndarray, epochs: np.ndarray, every: int,
              epoch_every: int) -> None:  # fmt: skip
        """Take the rows of a record read from disk (nnviz.record checked them)."""
        count = len(values)
        rows = max(count, self.capacity)
        self.values = _zeroed((rows, self.width), self.dtype)
        self.meta = _zeroed((rows, META_COLS), np.float64)
        self.values[:count] = values
        self.meta[:count] = meta
        self.ctl[:] = (count, every, epoch_every, len(self.state_names))
        self.stopped = every == 0
        self.epochs.load(epochs)

    # ------------------------------------------------------------ recording
    def _spacing(self, planned: int) -> tuple[int, int]:
        """(every k-th step, an epoch's batches or 0) for a run of `planned` steps."""
        bpe = self.batches_per_epoch
        big = self.row_bytes >= BIG_ROW_BYTES
        every = KEYFRAME_STEPS if big else 1
        epoch = bpe if big and bpe > 1 else 0
        if epoch and planned // bpe + 2 > self.capacity // 2:
            epoch = 0  # epochs alone would fill half the budget
        while planned // every + (planned // bpe if epoch else 0) + 2 > self.capacity:
            every *= 2
        return every, epoch

    def rows_for_loop(self, steps: int = 1):
        """(rows, meta, ctl) for run_steps, which is to take up to `steps` steps, with room
        for at least one more row; None when the history has stopped recording."""
        if self.stopped:
            return None
        self.note_settings()
        self._replan()
        if not self._make_room():
            return None
        rows = steps // self.every + 2
        self.prefault.expect([rows, rows, steps // self.batches_per_epoch + 2])
        return self.values, self.meta, self.ctl

    def note_settings(self, trainer=None) -> None:
        """Before a step (a chunk or a step by hand): when the frozen parameters changed since
        the last step, keep the present as a row and start a new stretch there."""
        trainer = self.trainer if trainer is None else trainer
        frozen = trainer.optimizer.frozen
        if frozen == self.eras[-1][1]:
            return
        step = int(trainer.steps)
        if self.last_kept == step:
            self.meta[self.count - 1, META_KEEP] = 1.0
        else:
            self.record_now(trainer, sums=present_sums(trainer), keep=True)
        if self.eras[-1][0] == step:
            self.eras[-1] = (step, frozen)
        else:
            self.eras.append((step, frozen))

    def frozen_at(self, step: int) -> tuple[str, ...]:
        """The parameters frozen in the steps after `step`."""
        found = self.eras[0][1]
        for first, frozen in self.eras:
            if first <= step:
                found = frozen
        return found

    def _make_room(self) -> bool:
        if self.count < len(self.values):  # the whole budget's rows are there from the start
            return True
        return self._thin()

    def _thin(self) -> bool:
        """Drop rows to make room: every other one of the spacing (which doubles), then the
        epochs' ends; a row with a changed rate stays. False when nothing can go."""
        for _ in range(64):
            if self._respace(self.every * 2):
                return True
        self.stopped = True
        self.ctl[REC_EVERY] = 0
        return False

    def _respace(self, every: int) -> bool:
        """Keep every `every`-th step from now on and drop the kept rows off that spacing
        (not the present, nor a row that must stay); whether any row went."""
        c = self.count
        steps = self.meta[:c, META_STEP].astype(np.int64)
        must = self.meta[:c, META_KEEP] > 0
        must[-1] = True  # the present
        self.ctl[REC_EVERY] = every
        epoch = int(self.ctl[REC_EPOCH])
        if epoch and every >= epoch:
            self.ctl[REC_EPOCH] = epoch = 0
        keep = must | (steps % every == 0)
        if epoch:
            keep |= steps % epoch == 0
        kept = np.flatnonzero(keep)
        if len(kept) == c:
            return False
        self.values[: len(kept)] = self.values[kept]
        self.meta[: len(kept)] = self.meta[kept]
        self.ctl[REC_COUNT] = len(kept)
        return True

    def _replan(self) -> None:
        """A run made longer than planned (its epochs raised while it trains): the spacing of
        the longer run from now on, while few rows are kept, rather than the budget filled at
        every step and thinned when full (a copy of every row)."""
        planned = int(self.trainer.epochs) * self.batches_per_epoch
        if planned <= self.planned:
            return
        self.planned = planned
        every, _ = self._spacing(planned)
        while 0 < self.every < every:
            self._respace(self.every * 2)

    def edited(self, trainer=None) -> None:
        """A parameter was set by hand at the present step: the present's row takes the new
        values and is kept through thinning, so that going back and forth shows the run as it
        now is (the steps before the edit ran with the old values, and keep them)."""
        trainer = self.trainer if trainer is None else trainer
        if self.stopped:
            return
        sums, loss = present_sums(trainer), np.nan
        if self.count and self.last_kept == int(trainer.steps):
            c = self.count - 1  # the present's row, written anew below
            sums, loss = self.row_sums(c), float(self.meta[c, META_LOSS])
            self.ctl[REC_COUNT] = c
        self.record_now(trainer, sums=sums, loss=loss, keep=True)
        self.meta[self.count - 1, META_SOURCE] = SOURCE_EDITED

    def edited_at(self, step: int) -> bool:
        """Whether the row of `step` holds parameters set by hand after the step was taken
        (a re-run of the step from the row before does not give them)."""
        i = self.index(step)
        return self.meta[i, META_STEP] == step and self.meta[i, META_SOURCE] == SOURCE_EDITED

    def record_now(self, trainer, *, sums=(0.0, 0, 0), loss: float = np.nan,
                   keep: bool = False) -> None:  # fmt: skip
        """Keep the present state of `trainer` (after a step by hand: `sums` are the epoch's
        loss sum, correct count and rows so far, `loss` the batch's)."""
        if self.stopped or not self._make_room():
            return
        c = self.count
        step = trainer.steps
        if c and step <= self.last_kept:
            return  # kept already
        optimizer = trainer.optimizer
        program = trainer.model.program
        row = self.values[c]
        row[: self.n] = program.values[: self.n]
        for j, name in enumerate(self.state_names):
            row[(j + 1) * self.n : (j + 2) * self.n] = optimizer.state[name][: self.n]
        base = optimizer.lr
        changed = bool(c) and self.meta[c - 1, META_BASE_LR] != base
        meta = self.meta[c]
        meta[:] = 0.0
        meta[META_STEP] = step
        meta[META_BASE_LR] = base
        meta[META_LR] = optimizer.lr_now()
        meta[META_LOSS] = loss
        meta[META_SUM], meta[META_CORRECT], meta[META_SEEN] = sums
        meta[META_KEEP] = 1.0 if (keep or changed) else 0.0
        meta[META_SOURCE] = 1.0
        self.ctl[REC_COUNT] = c + 1

    # ------------------------------------------------------------ going back
    def index(self, step: int) -> int:
        """The row to start from for `step`: the last kept at or before it."""
        if not self.first_step <= step <= self.last_step:
            raise HistoryError(
                f"step {step} is not in the history (it holds steps {self.first_step:,} to "
                f"{self.last_step:,})"
            )
        return int(np.searchsorted(self.meta[: self.count, META_STEP], step, side="right")) - 1

    def row_sums(self, i: int) -> tuple[float, int, int]:
        m = self.meta[i]
        return float(m[META_SUM]), int(m[META_CORRECT]), int(m[META_SEEN])

    def load_row(self, trainer, i: int) -> None:
        """Put row i's state into `trainer`, its optimizer and its model's parameters."""
        program = trainer.model.program
        optimizer = trainer.optimizer
        row = self.values[i]
        meta = self.meta[i]
        program.values[: self.n] = row[: self.n]
        for j, name in enumerate(self.state_names):
            optimizer.state[name][: self.n] = row[(j + 1) * self.n : (j + 2) * self.n]
        step = int(meta[META_STEP])
        bpe = trainer.batches_per_epoch
        trainer.steps = step
        trainer.epoch, trainer.batch_index = divmod(step, bpe)
        trainer.diverged = None
        trainer._fed_rows = None
        frozen = self.frozen_at(step)
        if optimizer.frozen != frozen:
            optimizer.unfreeze(optimizer.frozen)
            optimizer.freeze(frozen)
        optimizer.t = step
        optimizer.use_epoch(trainer.epoch)
        optimizer.lr = float(meta[META_BASE_LR])  # and the schedule's rate for the epoch
        if trainer.batch_index:
            trainer._carried = (trainer.epoch, *self.row_sums(i))
        else:
            trainer._carried = (-1, 0.0, 0, 0)

    def restore(self, trainer, step: int) -> tuple[float, int, int]:
        """Put `trainer` in the state after `step` updates: the row before it, then the steps
        between re-run by the training loop (the same numbers, bit for bit). Returns the
        epoch's (loss sum, correct, rows) up to that step."""
        i = self.index(step)
        self.load_row(trainer, i)
        gap = step - trainer.steps
        if gap <= 0:
            return self.row_sums(i)
        recorder, trainer.recorder = trainer.recorder, None
        try:
            trainer._chunk(gap, trainer.epochs, False)
        finally:
            trainer.recorder = recorder
        if trainer.steps != step or trainer.diverged is not None:
            raise HistoryError(f"step {step} could not be re-run from step {int(self.meta[i, 0])}")
        carried = trainer._carried
        return (carried[1], carried[2], carried[3]) if carried[0] == trainer.epoch else (0.0, 0, 0)

    def truncate(self, step: int) -> None:
        """Drop every step after `step` (the run goes on from there differently)."""
        i = self.index(step)
        self.ctl[REC_COUNT] = i + 1
        self.eras = [era for era in self.eras if era[0] <= step] or self.eras[:1]
        self.epochs.truncate(step // self.batches_per_epoch)
        self.diverged_step = None

    # ------------------------------------------------------------ questions
    def first_nonfinite_row(self) -> int | None:
        """The first row whose parameters or state hold NaN or infinity."""
        c = self.count
        bad = ~np.isfinite(self.values[:c]).all(axis=1)
        found = np.flatnonzero(bad)
        return int(found[0]) if len(found) else None

    def param_sizes(self, step_lo: int, step_hi: int) -> list[tuple[int, float]]:
        """(step, the largest |parameter|) of the kept rows from step_lo to step_hi."""
        steps = self.meta[: self.count, META_STEP]
        rows = np.flatnonzero((steps >= step_lo) & (steps <= step_hi))
        with np.errstate(invalid="ignore"):
            return [(int(steps[r]), float(np.max(np.abs(self.values[r, : self.n])))) for r in rows]

    def losses(self) -> tuple[np.ndarray, np.ndarray]:
        """(step, the batch's loss) of the kept rows that know it."""
        c = self.count
        steps = self.meta[:c, META_STEP]
        loss = self.meta[:c, META_LOSS]
        ok = ~np.isnan(loss)
        return steps[ok].astype(np.int64), loss[ok]


def present_sums(trainer) -> tuple[float, int, int]:
    """The epoch in progress's (loss sum, correct, rows) so far, as the trainer carries them."""
    carried = trainer._carried
    if carried[0] == trainer.epoch and trainer.batch_index:
        return float(carried[1]), int(carried[2]), int(carried[3])
    return 0.0, 0, 0


def _bytes(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 10 << shift:
            return f"{n / (1 << shift):,.0f} {unit}"
    return f"{n:,} bytes"


def twin(session):
    """A second Model, Optimizer and Trainer over the session's data (the same compiled
    layout), for re-running past steps without disturbing the live ones. Returns a Session."""
    from nnviz.session import Session
    from nnviz.train import Trainer

    m = session.model
    model = Model(m.graph, task=m.task, dtype=m.dtype, capacity=m.program.capacity, spec=m.spec)
    model.threshold = m.threshold
    model.program.values[:] = m.program.values
    live_opt = session.optimizer
    optimizer = Optimizer(model.program, live_opt.kind, **live_opt.settings)
    t = session.trainer
    trainer = Trainer(
        model, optimizer, t.X, t.Y, epochs=t.epochs, batch_size=t.batch_size, seed=t.seed,
        shuffle=t.shuffle, schedule=live_opt.schedule_kind,
        schedule_step=int(live_opt.schedule[1]), gamma=float(live_opt.schedule[2]), threads=1,
    )  # fmt: skip
    return Session(session.scenario, model, optimizer, trainer, session.dataset,
                   session.datasets, session.label, session.validation_rows)  # fmt: skip


def _zeroed(shape: tuple[int, int], dtype) -> np.ndarray:
    """A zeroed array whose pages the system gives as they are first written, in huge pages
    where it can (Linux, MADV_HUGEPAGE); np.zeros elsewhere and for small arrays."""
    nbytes = shape[0] * shape[1] * np.dtype(dtype).itemsize
    if nbytes < HUGE_MIN_BYTES or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.zeros(shape, dtype)
    try:  # private: a shared anonymous map is shmem, whose pages fault slower and never huge
        buffer = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    except (OSError, ValueError):
        return np.zeros(shape, dtype)
    with contextlib.suppress(OSError):
        buffer.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(buffer, dtype).reshape(shape)


def _count_of(owner):
    """A reader of `owner.count` that does not keep `owner` alive (it raises once it is gone)."""
    ref = weakref.ref(owner)
    return lambda: ref().count
