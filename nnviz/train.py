"""The Trainer: epochs of mini-batches as a generator of events. It prints nothing.

Training runs in jitted chunks (many steps per call); between chunks the generator yields, so a
front end can draw progress, and a thread worker can stop. Chunks adapt to last about
`chunk_seconds`. Events carry copies of numbers, never views into the engine's buffers.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from nnviz import beside
from nnviz.engine import helper, loop
from nnviz.engine.graph import GraphError
from nnviz.engine.kernels import arm_dropout, dropout_key
from nnviz.engine.optim import Optimizer
from nnviz.limits import MAX_EPOCHS, MAX_SEED, bound
from nnviz.model import Model


@dataclass(frozen=True)
class Started:
    epochs: int
    batches_per_epoch: int
    samples: int
    compile_s: float


@dataclass(frozen=True)
class Progress:
    """Within an epoch: batch `batch` of `batches` done."""

    epoch: int  # 1-based
    batch: int
    batches: int
    step: int
    samples_per_s: float


@dataclass(frozen=True)
class EpochsDone:
    """One or more whole epochs finished (several at once when epochs are tiny)."""

    first_epoch: int  # 1-based number of losses[0]
    losses: np.ndarray  # mean training loss of each epoch's mini-batches
    accuracies: np.ndarray  # running training accuracy of each epoch (NaN for regression)
    test_loss: float | None  # after the last of these epochs
    test_accuracy: float | None
    step: int
    lr: float
    elapsed_s: float
    val_loss: float | None = None  # on the held-out validation rows, after the last epoch
    val_accuracy: float | None = None

    @property
    def last_epoch(self) -> int:
        return self.first_epoch + len(self.losses) - 1

    def rows(self) -> list[dict]:
        out = []
        for n, (loss, acc) in enumerate(zip(self.losses, self.accuracies, strict=True)):
            last = n == len(self.losses) - 1
            row = {
                "epoch": self.first_epoch + n,
                "loss": float(loss),
                "accuracy": None if np.isnan(acc) else float(acc),
                "test_loss": self.test_loss if last else None,
                "test_accuracy": self.test_accuracy if last else None,
            }
            if self.val_loss is not None:
                row["val_loss"] = self.val_loss if last else None
                row["val_accuracy"] = self.val_accuracy if last else None
            out.append(row)
        return out


@dataclass(frozen=True)
class Diverged:
    epoch: int
    step: int
    node: str
    message: str


@dataclass(frozen=True)
class Finished:
    epochs: int
    steps: int
    train_s: float
    final_loss: float
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    val_loss: float | None = None
    val_accuracy: float | None = None


# What run_steps gets when nothing is recorded: no rows, keep no step (per dtype, so that the
# loop's compiled signature stays the same).
_NO_RECORD = {
    dtype: (np.zeros((0, 1), dtype), np.zeros((0, loop.META_COLS)), np.zeros(4, np.int64))
    for dtype in (np.float32, np.float64)
}


class ThreadChoice:
    """One thread or two for the next chunk: two unless one has lately been faster.

    Two threads are not always faster than one: when the second core is busy with other work
    (another program, a sibling hyperthread, another guest of the host), each step waits for
    it. Both choices give the same numbers bit for bit, so the trainer may switch between
    them freely: every `every_s` seconds of training it times the other choice on a short
    chunk (`probe_s`) and keeps whichever ran more steps a second.
    """

    MIN_STEPS = 8  # a chunk this short says little about a rate

    def __init__(self, allowed: bool, every_s: float = 1.0, probe_s: float = 0.03):
        self.allowed = allowed
        self.current = allowed  # two threads for the next ordinary chunk
        self.every_s = every_s
        self.probe_s = probe_s
        self.rate: dict[bool, float | None] = {True: None, False: None}
        self.since_probe = every_s  # the first probe comes as soon as there is a rate to beat
        self.paired_s = 0.0  # training seconds spent on two threads
        self.min_steps = self.MIN_STEPS  # a test may time shorter chunks

    def plan(self, budget: int) -> tuple[bool, int, bool]:
        """(paired, steps, probing) for the next chunk of at most `budget` steps."""
        rate_now = self.rate[self.current]
        if self.allowed and rate_now and self.since_probe >= self.every_s:
            return not self.current, max(self.min_steps, int(rate_now * self.probe_s)), True
        return self.current, budget, False

    def record(self, paired: bool, steps: int, seconds: float, probing: bool) -> None:
        if paired:
            self.paired_s += seconds
        if steps >= self.min_steps and seconds > 0:
            self.rate[paired] = steps / seconds
        self.since_probe = 0.0 if probing else self.since_probe + seconds
        mine, other = self.rate[self.current], self.rate[not self.current]
        if self.allowed and mine and other and other > mine * 1.05:
            self.current = not self.current


class Trainer:
    """Trains a Model with an Optimizer on (X, Y); `run()` yields the events above."""

    def __init__(
        self,
        model: Model,
        optimizer: Optimizer,
        X,
        Y,
        *,
        x_test=None,
        y_test=None,
        x_val=None,
        y_val=None,
        epochs: int = 1,
        batch_size: int = 0,
        seed: int = 0,
        shuffle: bool = True,
        schedule: str = "constant",
        schedule_step: int = 1,
        gamma: float = 1.0,
        chunk_seconds: float = 0.05,
        threads: int | None = None,
    ):
        """threads: 1 trains on the calling thread alone; 2 shares each step's big GEMMs,
        update and batch copy with a helper thread (helper.py); None picks 2 when the network
        is big enough to gain and the machine can (an interface that draws while it trains
        passes 1 to keep a core). The numbers are the same, bit for bit, either way."""
        if epochs < 1:
            raise GraphError(f"epochs must be at least 1, got {epochs}")
        bound(epochs, MAX_EPOCHS, "epochs", GraphError)
        bound(seed, MAX_SEED, "seed", GraphError)
        if batch_size < 0:
            raise GraphError(f"batch size must be 0 (full batch) or more, got {batch_size}")
        optimizer.set_schedule(schedule, schedule_step, gamma)  # the optimizer owns the rate
        self.model = model
        self.optimizer = optimizer
        self.X = model._check_x(X)
        self.Y = model._check_y(Y, self.X.shape[0])
        if self.X.shape[0] == 0:
            raise GraphError("no training rows")
        self.has_test = x_test is not None and y_test is not None and len(x_test) > 0
        if self.has_test:
            self.x_test = model._check_x(x_test)
            self.y_test = model._check_y(y_test, self.x_test.shape[0])
        # held-out validation rows, evaluated after every epoch like the test set
        self.has_val = x_val is not None and y_val is not None and len(x_val) > 0
        if self.has_val:
            self.x_val = model._check_x(x_val)
            self.y_val = model._check_y(y_val, self.x_val.shape[0])
        n = self.X.shape[0]
        self.batch_size = min(batch_size or n, n)
        if self.batch_size > model.program.capacity:
            raise GraphError(
                f"batch size {self.batch_size} exceeds the model's capacity "
                f"{model.program.capacity}"
            )
        self.epochs = int(epochs)
        self.seed = int(seed)
        # One batch holding every row in order: its order cannot matter, so skip shuffling.
        self.shuffle = bool(shuffle) and self.batch_size < n
        self.chunk_seconds = chunk_seconds
        self.batches_per_epoch = (n + self.batch_size - 1) // self.batch_size
        self.epoch = 0  # 0-based epoch in progress
        self.batch_index = 0
        # (epoch, loss sum, correct, rows) of the batches an earlier chunk trained in an epoch
        # that is not over yet: its EpochsDone averages over every batch, not the last chunk's
        self._carried = (-1, 0.0, 0, 0)
        self.steps = 0
        self.train_s = 0.0
        self.diverged: Diverged | None = None
        # Evaluate the test set after every epoch (a benchmark turns this off to time training
        # alone, as the reference runs do; the final result still has it).
        self.test_every_epoch = True
        # Stop at every epoch's end, so that each EpochsDone holds one epoch and its elapsed_s
        # times it (a benchmark's per-epoch figure; a stop costs a return to Python).
        self.stop_every_epoch = False
        if threads not in (None, 1, 2):
            raise GraphError(f"threads must be 1 or 2, got {threads}")
        if threads is None:
            threads = 2 if helper.worth_pairing(model.program, self.batch_size) else 1
        self.threads = ThreadChoice(threads == 2 and helper.pairing_possible())
        self.order = np.arange(n, dtype=np.int64)  # each epoch's sample order, filled in place
        self._last_chunk = (False, 0, 0.0)  # (paired, steps, seconds) of the last chunk
        self._fed_rows: int | None = None  # rows of a step by hand fed, not yet run through
        # nnviz.history.Timeline when the steps are kept (it hands run_steps its rows)
        self.recorder = None
        # the test and validation sets evaluated in a thread beside the next epoch's training
        # when this trainer trains alone and they are big (nnviz.beside); False: always in line
        self.evaluate_beside = True
        self._beside: beside.Beside | None = None
        # (the epoch's event without its evaluations, their future) and the events after it,
        # held until the evaluations are known: events leave in the order they happened
        self._pending: tuple[EpochsDone, object] | None = None
        self._held: list = []

    @property
    def paired(self) -> bool:
        """Whether this trainer may share its steps with a helper thread (threads = 2)."""
        return self.threads.allowed

    # ------------------------------------------------------------ one chunk
    def _run_steps(self, max_steps: int, stop_epoch: int, sums, correct, seen, paired: bool):
        p = self.model.program
        opt = self.optimizer
        s1, s2 = opt._arrays()
        io = self.model.io
        rec = None
        if self.recorder is not None and max_steps:
            left = (stop_epoch - self.epoch) * self.batches_per_epoch - self.batch_index
            rec = self.recorder.rows_for_loop(min(max_steps, max(left, 0)))
        if rec is None:
            rec = _NO_RECORD[p.dtype.type]
        with helper.helper_for(
            paired, p.values, p.grads, s1, s2, opt.hyper, self.X, self.Y, self.order, io
        ) as ctl:
            return loop.run_steps(
                p.meta, p.consts, p.values, p.grads, self.X, self.Y, io,
                self.model.threshold, opt.code, opt.hyper, s1, s2, opt.t, p.n_param, opt.wiring,
                opt.spans, self.batch_size, self.shuffle, self.seed, opt.schedule, self.epoch,
                self.batch_index, stop_epoch, max_steps, sums, correct, seen, self.order, ctl,
                *rec,
            )  # fmt: skip

    def _chunk(self, max_steps: int, stop_epoch: int, paired: bool):
        # Per-epoch sums for the epochs this chunk can reach, not for every epoch to come:
        # the records grow as training goes (epochs = 10**15 takes no memory up front).
        reach = (self.batch_index + max(max_steps, 1) - 1) // self.batches_per_epoch + 1
        span = min(stop_epoch - self.epoch, reach) + 1
        sums = np.zeros(span, np.float64)
        correct = np.zeros(span, np.int64)
        seen = np.zeros(span, np.int64)
        first = self.epoch
        if self._carried[0] == first:
            _, sums[0], correct[0], seen[0] = self._carried
        t0 = time.perf_counter()
        epoch, batch_index, steps, status = self._run_steps(
            max_steps, stop_epoch, sums, correct, seen, paired
        )
        elapsed = time.perf_counter() - t0
        self._fed_rows = None
        self._last_chunk = (paired, steps, elapsed)
        self.train_s += elapsed
        self.optimizer.t += steps
        self.steps += steps
        self.epoch, self.batch_index = epoch, batch_index
        e = epoch - first
        if batch_index and e < span:
            self._carried = (epoch, float(sums[e]), int(correct[e]), int(seen[e]))
        return first, sums, correct, seen, status, elapsed, steps

    def warm_up(self) -> float:
        """Compile (or load from the cache) every kernel a run uses; returns seconds taken."""
        t0 = time.perf_counter()
        # zero steps: compiles or loads run_steps; it only clears the gradients
        for paired in {False, self.paired}:  # each kind of chunk the run may take
            self._run_steps(0, self.epoch + 1, np.zeros(2), np.zeros(2, np.int64),
                            np.zeros(2, np.int64), paired)  # fmt: skip
        self.model.evaluate(self.X[:1], self.Y[:1], paired=self.paired)
        return time.perf_counter() - t0

    def step(self) -> EpochsDone | Diverged | None:
        """One training step; returns the epoch's event when the step ends an epoch."""
        events = list(self._advance(1, self.epoch + 1, self.threads.current))
        events += self._flush()
        return events[-1] if events else None

    def run_epoch(self) -> list:
        """Train to the end of the current epoch."""
        events = list(self._advance(10**12, self.epoch + 1, self.threads.current))
        return events + self._flush()

    # ------------------------------------------------------------ the generator
    def run(self) -> Iterator:
        """Train to the last epoch, yielding Started, Progress, EpochsDone, then Finished or
        Diverged."""
        compile_s = self.warm_up()
        yield Started(self.epochs, self.batches_per_epoch, self.X.shape[0], compile_s)
        yield from self._train_until(self.epochs)
        if self.diverged is None:
            yield self.finish()

    def epoch_events(self) -> Iterator:
        """Train to the end of the current epoch in chunks, yielding Progress, then EpochsDone
        or Diverged; a caller that stops iterating stops the epoch partway."""
        yield from self._train_until(self.epoch + 1)

    def train_until(self, last_epoch: int) -> Iterator:
        """Train to the end of epoch `last_epoch` (1-based) in chunks, yielding Progress,
        EpochsDone or Diverged (a caller that samples the run every few epochs)."""
        yield from self._train_until(last_epoch)

    def train_steps(self, max_steps: int) -> list:
        """Train `max_steps` steps (fewer when training ends) and return their events in order:
        Progress, EpochsDone, Diverged. One jitted chunk, or one per epoch when every epoch
        is evaluated; a paced player calls this once a frame with the steps it owes."""
        events: list = []
        left = int(max_steps)
        while left > 0 and self.epoch < self.epochs and self.diverged is None:
            evaluates = (self.has_test or self.has_val) and self.test_every_epoch
            per_epoch = evaluates or self.stop_every_epoch
            stop = self.epoch + 1 if per_epoch else self.epochs
            before = self.steps
            events.extend(self._advance(left, stop, self.threads.current))
            done = self.steps - before
            if not done:
                break
            left -= done
        return events + self._flush()

    def _train_until(self, last_epoch: int) -> Iterator:
        """Chunks of about chunk_seconds each, until epoch `last_epoch` (1-based) is done."""
        last_epoch = min(last_epoch, self.epochs)
        budget = 1
        while self.epoch < last_epoch and self.diverged is None:
            evaluates = (self.has_test or self.has_val) and self.test_every_epoch
            per_epoch = evaluates or self.stop_every_epoch
            stop = self.epoch + 1 if per_epoch else last_epoch
            paired, size, probing = self.threads.plan(budget)
            before = self.steps
            t0 = time.perf_counter()
            yield from self._advance(size, stop, paired)
            took = time.perf_counter() - t0
            done = self.steps - before
            if done:
                self.threads.record(*self._last_chunk, probing)
            if done and took > 0 and not probing:
                budget = int(min(max(done * self.chunk_seconds / took, 1), budget * 8 + 8))
        yield from self._flush()

    def _advance(self, max_steps: int, stop_epoch: int, paired: bool) -> Iterator:
        """One chunk's events, after those still held (an evaluation beside may hold them)."""
        for event in self._chunk_events(max_steps, stop_epoch, paired):
            if self._pending is not None:
                self._held.append(event)
            else:
                yield event
        if self._pending is not None and self._pending[1].done():
            yield from self._flush()

    def _flush(self) -> list:
        """The held events, once the evaluations they wait for are known (waits for them)."""
        if self._pending is None:
            return []
        event, future = self._pending
        (test_loss, test_acc), (val_loss, val_acc) = future.result()
        done = dataclasses.replace(event, test_loss=test_loss, test_accuracy=test_acc,
                                   val_loss=val_loss, val_accuracy=val_acc)  # fmt: skip
        out = [done, *self._held]
        self._pending, self._held = None, []
        return out

    def _evaluate_beside(self, paired: bool) -> bool:
        """Whether this epoch's evaluations go to a thread beside the training."""
        if not self.evaluate_beside or paired or not self.test_every_epoch:
            return False
        return (self.has_test or self.has_val) and beside.worth_it(
            self.model, self._evaluation_sets()
        )

    def _chunk_events(self, max_steps: int, stop_epoch: int, paired: bool) -> Iterator:
        if self.diverged is not None or self.epoch >= self.epochs:
            return
        stop_epoch = min(stop_epoch, self.epochs)
        first, sums, correct, seen, status, elapsed, steps = self._chunk(
            max_steps, stop_epoch, paired
        )
        if status == 1:
            self.diverged = self._diagnose()
            yield self.diverged
            return
        complete = self.epoch - first  # epochs finished in this chunk
        if steps and self.batch_index:
            rate = steps * self.batch_size / elapsed if elapsed > 0 else 0.0
            yield Progress(
                self.epoch + 1, self.batch_index, self.batches_per_epoch, self.steps, rate
            )
        if complete:
            losses = sums[:complete] / np.maximum(seen[:complete], 1)
            if self.model.task == "regression":
                accs = np.full(complete, np.nan)
            else:
                accs = correct[:complete] / np.maximum(seen[:complete], 1)
            event = EpochsDone(
                first + 1, losses, accs, None, None, self.steps, self.optimizer.lr_now(),
                self.train_s,
            )  # fmt: skip
            if self._evaluate_beside(paired):
                if self._pending is not None:
                    yield from self._flush()  # one evaluation at a time
                if self._beside is None or self._beside.model is not self.model:
                    self._beside = beside.Beside(self.model)
                future = self._beside.submit(self._evaluation_sets())
                self._pending = (event, future)
                return
            if self.test_every_epoch and (self.has_test or self.has_val):
                (test_loss, test_acc), (val_loss, val_acc) = self._evaluate_in_line()
                event = dataclasses.replace(event, test_loss=test_loss, test_accuracy=test_acc,
                                            val_loss=val_loss, val_accuracy=val_acc)  # fmt: skip
            yield event

    def _evaluation_sets(self) -> list:
        """(X, Y) of the test set and of the validation set; (None, None) for one missing."""
        test = (self.x_test, self.y_test) if self.has_test else (None, None)
        val = (self.x_val, self.y_val) if self.has_val else (None, None)
        return [test, val]

    def _evaluate_in_line(self) -> list:
        return [
            (None, None) if x is None else self.model.evaluate(x, y, paired=self.paired)
            for x, y in self._evaluation_sets()
        ]

    def _diagnose(self) -> Diverged:
        return self.diagnose()

    def diagnose(self) -> Diverged:
        """What went non-finite in the pass the buffers hold (step `steps + 1`), and why."""
        p = self.model.program
        i = p.first_nonfinite()
        name = p.name(i) if i is not None else p.name(self.model.loss)
        is_param = i is not None and p.graph.nodes[i].is_param
        step = self.steps + 1
        if step == 1:  # no update has run: the starting values or the data are the cause
            kind = "its starting value" if is_param else "computed in the first forward pass"
            hint = "check the starting weights, init_scale and the data's range"
        else:
            kind = ("a parameter, made non-finite by the previous update" if is_param
                    else "computed in this forward pass")  # fmt: skip
            hint = "try a smaller learning rate"
        msg = (
            f"training stopped at step {step} (epoch {self.epoch + 1}): the loss became NaN "
            f"or infinite; the first non-finite value is in node '{name}' ({kind}); {hint}"
        )
        return Diverged(self.epoch + 1, step, name, msg)

    def finish(self) -> Finished:
        loss, acc = self.model.evaluate(self.X, self.Y, paired=self.paired)
        test_loss = test_acc = None
        if self.has_test:
            test_loss, test_acc = self.model.evaluate(self.x_test, self.y_test, paired=self.paired)
        val_loss = val_acc = None
        if self.has_val:
            val_loss, val_acc = self.model.evaluate(self.x_val, self.y_val, paired=self.paired)
        return Finished(
            self.epoch, self.steps, self.train_s, loss, acc, test_loss, test_acc, val_loss, val_acc
        )

    # ------------------------------------------------------------ the position, for nnviz.stepper
    # nnviz.stepper.Stepper takes steps by hand with these three; it equals run() bit for bit.
    def next_batch_rows(self) -> np.ndarray:
        """The row indices of the batch the next step will train on."""
        order = loop.epoch_order(self.X.shape[0], self.shuffle, self.seed, self.epoch)
        start = self.batch_index * self.batch_size
        return order[start : start + self.batch_size].copy()

    def feed_next_batch(self) -> np.ndarray:
        """Copy the next step's batch into x and y; returns its row indices."""
        rows = self.next_batch_rows()
        program = self.model.program
        program.feed(self.model.x, self.X[rows])
        program.feed(self.model.y, self.Y[rows])
        # the dropout masks run_steps would draw for this step
        arm_dropout(program.meta, program.consts, dropout_key(self.seed, self.optimizer.t + 1))
        self._fed_rows = len(rows)
        return rows

    def dropout_masks(self) -> dict[str, np.ndarray]:
        """Each dropout node's mask (1 kept, 0 dropped) in the step fed by hand (drawn when
        its forward pass reaches the dropout node), else in the last step trained: one row
        per sample of that step's batch."""
        rows = self._fed_rows
        if rows is None:
            last = self.batch_index - 1 if self.batch_index else self.batches_per_epoch - 1
            rows = min(self.batch_size, self.X.shape[0] - last * self.batch_size)
        return self.model.dropout_masks(rows)

    def count_manual_step(self) -> None:
        """Move the position on by one step taken by hand."""
        self.steps += 1
        self.batch_index += 1
        if self.batch_index == self.batches_per_epoch:
            self.batch_index = 0
            self.epoch += 1


def fit(
    model: Model,
    X,
    Y,
    *,
    epochs=1,
    batch_size=0,
    optimizer="sgd",
    seed=0,
    shuffle=True,
    x_test=None,
    y_test=None,
    freeze=(),
    **settings,
) -> list[dict]:
    """Train `model` on (X, Y) and return the per-epoch history as a list of dicts.

    freeze: 1-based layers whose parameters the optimizer leaves as they are, besides those
    frozen in the model already (Layer(..., trainable=False), Model.set_trainable)."""
    opt = Optimizer(model.program, optimizer, **settings)
    for layer in freeze:
        opt.freeze(model.layer_params(int(layer)))
    trainer = Trainer(
        model,
        opt,
        X,
        Y,
        x_test=x_test,
        y_test=y_test,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        shuffle=shuffle,
    )
    history = []
    for event in trainer.run():
        if isinstance(event, EpochsDone):
            history.extend(event.rows())
    return history
