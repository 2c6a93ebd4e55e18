"""The explorer's state, headless: stepping by hand, snapshots, the loss history and the reports.

Plain Python over a Session (no textual here), so the explorer's logic can be tested on its own
and run from a thread worker. Steps by hand go through nnviz.stepper.Stepper (the one
implementation, bit-equal to the Trainer) and the teaching reports come from nnviz.explain;
every number it hands out was computed by the engine, and the widgets only format them.

The explorer's micro-step skips what computes nothing: leaves forward, and the rules of nodes
that send no gradient back. Its phases: START (nothing stepped yet), FORWARD, BACKWARD (up to
the update), DONE (the last step's numbers are on show).

Threads: the Program's buffers belong to whoever is running it. While a worker trains, only
the worker touches the Session; the interface reads the Snapshots the worker posts (copies).
The probe, a second compiled copy of the graph, serves drawings (regions, truth table, forward
mode) from copies of the parameters, so it never disturbs the Program being stepped.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from nnviz import explain, regions
from nnviz.engine import ops
from nnviz.engine.records import add_to_slots, write_epoch_rows
from nnviz.explain import ChainReport, CheckReport, ModesReport, UpdateRecord
from nnviz.history import DEFAULT_BUDGET, Timeline, twin
from nnviz.model import Model
from nnviz.perceptron import Convergence, convergence
from nnviz.session import Session, build
from nnviz.stepper import BACKWARD as STEPPER_BACKWARD
from nnviz.stepper import FORWARD as STEPPER_FORWARD
from nnviz.stepper import IDLE, UPDATE, Stepper
from nnviz.train import Diverged, EpochsDone, Finished

START, FORWARD, BACKWARD, DONE = "start", "forward", "backward", "done"
PROBE_CAPACITY = 1024
LR_FACTOR = 2.0


# ====================================================================== records
@dataclass(frozen=True)
class TruthRow:
    x: np.ndarray
    y: np.ndarray
    h: np.ndarray
    p: np.ndarray
    yhat: int
    right: bool | None = None  # yhat is the target's class (None for regression)


@dataclass(frozen=True)
class Snapshot:
    """Copies of everything a frame shows, taken by the thread that owns the Program."""

    values: np.ndarray
    grads: np.ndarray
    params: np.ndarray
    batch: int
    rows: np.ndarray | None
    phase: str
    cursor: int | None
    forward_upto: int  # nodes [0, forward_upto) hold this pass's values
    backward_from: int  # nodes [backward_from, n) have run their VJP in this pass
    step: int
    epoch: int  # epochs completed
    batch_index: int
    lr: float  # the rate in use: the step's in progress or shown, else the next step's
    epochs_done: np.ndarray  # the history for the curves (several epochs a point when long)
    losses: np.ndarray
    accuracies: np.ndarray
    last: tuple[int, float, float] | None  # the last finished epoch: (epoch, loss, accuracy)
    update: UpdateRecord | None
    chain: dict[int, ChainReport]
    message: str
    samples_per_s: float = 0.0
    finished: bool = False
    lr_formula: str = ""  # how a schedule makes `lr` from the base rate, e.g. '0.05·0.5²'

    stamp: float = field(default_factory=time.perf_counter)
    test_losses: np.ndarray | None = None  # in the slots of `losses`; None: no test set
    test_accuracies: np.ndarray | None = None
    diverged_epoch: int | None = None  # the epoch in which the loss stopped being finite
    # with training.validation: the held-out rows' loss and accuracy, at the epochs evaluated
    val_epochs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    val_losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    val_accuracies: np.ndarray = field(default_factory=lambda: np.zeros(0))
    past: bool = False  # a step from the history, not the present (Controller.view_step)
    present: int = 0  # the present step (the last one trained)
    mark_epoch: int | None = None  # the epoch the shown step belongs to, for the curve's cursor
    viewed: int | None = None  # the past step on show (one more than `step` for the diverged)


# ====================================================================== history
def _warm_records() -> None:
    """The per-epoch records' kernels (EpochLog, History), on scratch rows."""
    one = np.zeros(1)
    write_epoch_rows(np.zeros((1, 7)), 0, 1, one, one, 0, 1)
    add_to_slots(np.zeros((8, 1)), 0, 2, 1, 1, one, one)


class History:
    """Per-epoch loss and accuracy for the curves, in a fixed number of slots.

    A long run has millions of epochs: each slot sums the epochs it covers, and when the slots
    run out, neighbours merge (twice the epochs per slot). Memory and the cost of a frame stay
    bounded; the last epoch's own numbers are kept apart. The test set's loss and accuracy
    (measured after an epoch, where the data set has one) sit in slots of their own beside.
    """

    SLOTS = 1 << 14

    def __init__(self) -> None:
        self.per_slot = 1
        # loss sum, count, acc sum, count; then the same for the test set
        self.sums = np.zeros((8, self.SLOTS), np.float64)
        self.top = 0  # slots in use
        self.last: tuple[int, float, float] | None = None  # (epoch, loss, accuracy)

    def add(
        self,
        first_epoch: int,
        losses: np.ndarray,
        accuracies: np.ndarray,
        test_loss: float | None = None,
        test_accuracy: float | None = None,
    ) -> None:
        """Epochs first_epoch … (one loss and accuracy each); the test set's numbers, if
        given, were measured after the last of them."""
        k = len(losses)
        if not k:
            return
        losses = np.asarray(losses, np.float64)
        accuracies = np.asarray(accuracies, np.float64)
        last_epoch = first_epoch + k - 1
        while (last_epoch - 1) // self.per_slot >= self.SLOTS:
            self._merge()
        hi = int(add_to_slots(self.sums, 0, 2, self.per_slot, first_epoch, losses, accuracies))
        for row, value in ((4, test_loss), (6, test_accuracy)):
            if value is not None and np.isfinite(value):
                self.sums[row, hi - 1] += value
                self.sums[row + 1, hi - 1] += 1
        self.top = max(self.top, hi)
        self.last = (last_epoch, float(losses[-1]), float(accuracies[-1]))

    def _merge(self) -> None:
        half = self.SLOTS // 2
        self.sums[:, :half] = self.sums[:, 0::2] + self.sums[:, 1::2]
        self.sums[:, half:] = 0
        self.per_slot *= 2
        self.top = (self.top + 1) // 2

    def view(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(last epoch of each slot, mean loss, mean accuracy); NaN where a slot is empty."""
        n = self.top
        s = self.sums[:, :n]
        with np.errstate(invalid="ignore", divide="ignore"):
            losses = np.where(s[1] > 0, s[0] / s[1], np.nan)
            accs = np.where(s[3] > 0, s[2] / s[3], np.nan)
        epochs = (np.arange(n, dtype=np.int64) + 1) * self.per_slot
        if self.last is not None and n:
            epochs[-1] = self.last[0]
        return epochs, losses, accs

    def test_view(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean test loss, mean test accuracy) in the slots of view(); NaN where none."""
        s = self.sums[4:, : self.top]
        with np.errstate(invalid="ignore", divide="ignore"):
            losses = np.where(s[1] > 0, s[0] / s[1], np.nan)
            accs = np.where(s[3] > 0, s[2] / s[3], np.nan)
        return losses, accs


class ValidationLog:
    """(epoch, loss, accuracy) on the validation rows, one entry per evaluation. Training at
    full speed evaluates once per chunk of epochs; when the entries run out, every other one
    is dropped, so memory stays bounded on a long run."""

    LIMIT = 1 << 12

    def __init__(self) -> None:
        self.rows: list[tuple[int, float, float]] = []

    def add(self, epoch: int, loss: float, accuracy: float | None) -> None:
        if self.rows and self.rows[-1][0] >= epoch:
            return  # evaluated already at this epoch
        if len(self.rows) >= self.LIMIT:
            self.rows = self.rows[1::2]
        self.rows.append((int(epoch), float(loss), np.nan if accuracy is None else accuracy))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.rows:
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        epochs, losses, accs = zip(*self.rows, strict=True)
        return np.array(epochs, np.int64), np.array(losses), np.array(accs, np.float64)


# ====================================================================== controller
class Controller:
    """Steps a Session by hand, keeps the loss history, and answers the explorer's questions."""

    def __init__(self, session: Session, *, data_dir=None, which: int = 0, weights=None,
                 history_budget: int | None = DEFAULT_BUDGET):  # fmt: skip
        """history_budget: bytes for the steps' history (nnviz.history), None for none."""
        self.session = session
        self.weights = weights  # the saved weights it started from (--load), kept on reset
        self.history_budget = history_budget  # kept by a reset and a rebuilt network
        self.data_dir = data_dir
        self.which = which
        self.model: Model = session.model
        self.program = session.model.program
        self.graph = session.model.graph
        self.optimizer = session.optimizer
        self.trainer = session.trainer
        self.dataset = session.dataset
        self.stepper = Stepper.of(session)
        self.n = len(self.graph.nodes)
        self.loss = self.graph.loss
        self.perceptron = self.optimizer.kind == "perceptron"
        self.probe = _probe(self.model)
        self.shown = False  # a step's numbers are on show (DONE) rather than the start's
        self.update: UpdateRecord | None = None
        self.chain: dict[int, ChainReport] = {}
        self.message = ""
        self.samples_per_s = 0.0
        self.finished = False
        self.diverged: str | None = None
        self.diverged_step: int | None = None  # the step whose loss went non-finite
        self.stopped_before_backward = False  # the buffers hold a forward pass only
        self.diverged_epoch: int | None = None
        self.history_log = History()
        self.validation_log = ValidationLog()
        self.converged: Convergence | None = None  # the perceptron rule's, once seen
        self._manual_sum = 0.0
        self._manual_correct = 0
        self._manual_seen = 0
        self._batch_loss = np.nan
        # the history: every step (or keyframes), to go back to; the twin re-runs past steps
        self.timeline: Timeline | None = None
        self.viewing: int | None = None  # the past step on show (None: the present)
        self._twin: Controller | None = None
        self._twin_at: int | None = None  # the step the twin's state is after
        self._view_cache: tuple | None = None  # ((step, present, curve slots), Snapshot)
        self._replayed = False  # opened from a record (nnviz.record)
        if self.trainer is not None and isinstance(self.trainer.recorder, Timeline):
            self._adopt(self.trainer.recorder)  # a replayed run (nnviz.record.open_record)
        elif self.trainer is not None and history_budget:
            self.timeline = Timeline(self.trainer, budget=history_budget)
            self.trainer.recorder = self.timeline

    def _adopt(self, timeline: Timeline) -> None:
        """Open a replayed run at its end, as the live run showed it: its last step is
        re-taken by hand from the history (the same numbers), its curves from its epochs."""
        self.timeline = timeline
        self._replayed = True
        self._retake_last_step()
        self.finished = self.trainer.epoch >= self.trainer.epochs
        if timeline.diverged_step is not None:
            self.diverged = self.message = (
                f"the recorded run stopped at step {timeline.diverged_step}: the loss became NaN "
                "or infinite (! shows where and why)"
            )

    def _retake_last_step(self) -> None:
        """The buffers as the run's last step left them: that step again, by hand."""
        end = self.trainer.steps
        if end > 0:
            sums = self.timeline.restore(self.trainer, end - 1)
            self._manual_sum, self._manual_correct, self._manual_seen = sums
            self.stepper.abandon()
            self.step()
        self._curves_from_timeline()

    def _curves_from_timeline(self) -> None:
        self.history_log = History()
        log = self.timeline.epochs.dense()
        if len(log):
            self.history_log.add(int(log[0, 0]), log[:, 1], log[:, 2])

    # ------------------------------------------------------------ facts
    @property
    def is_graph(self) -> bool:
        return self.session.is_graph

    @property
    def scenario(self):
        return self.session.scenario

    @property
    def task(self) -> str:
        return self.model.task

    @property
    def phase(self) -> str:
        """START, FORWARD, BACKWARD (every gradient done: the update is next) or DONE."""
        s = self.stepper
        if s.phase == STEPPER_FORWARD:
            return FORWARD
        if s.phase == STEPPER_BACKWARD:  # not seeded yet: the forward pass is on show
            return BACKWARD if s.seeded else FORWARD
        if s.phase == UPDATE:  # the perceptron rule's update follows its forward pass
            return BACKWARD if s.has_backward else FORWARD
        return DONE if self.shown else START

    @property
    def cursor(self) -> int | None:
        """The node the last micro-step landed on."""
        return self.stepper.last_node

    @property
    def rows(self) -> np.ndarray | None:
        """The data rows of the batch being stepped."""
        return self.stepper.rows

    @property
    def in_step(self) -> bool:
        return self.phase in (FORWARD, BACKWARD)

    @property
    def seed(self) -> int:
        return int(self.scenario.training.seed)

    def node_name(self, i: int) -> str:
        return self.graph.nodes[i].name

    def is_leaf(self, i: int) -> bool:
        return self.graph.nodes[i].op in ops.LEAF_CODES

    def shape(self, i: int, batch: int) -> tuple[int, int]:
        return self.graph.nodes[i].shape(batch)

    def view(self, buffer: np.ndarray, i: int, batch: int) -> np.ndarray:
        return self.program.view(buffer, i, batch)

    def epochs_total(self) -> int:
        return self.trainer.epochs if self.trainer is not None else 0

    def batches_per_epoch(self) -> int:
        return self.trainer.batches_per_epoch if self.trainer is not None else 0

    def wrt_names(self) -> list[str]:
        if self.is_graph:
            return [self.node_name(i) for i in self.graph.wrt]
        return [self.node_name(i) for i in self.program.param_indices]

    # ------------------------------------------------------------ stepping by hand
    def micro(self) -> str:
        """One micro-step: the next node forward, or the next node backward, or the update."""
        s = self.stepper
        if s.phase == UPDATE:
            return self._update()
        if s.phase == IDLE:
            self.update = None
            self.chain = {}
            if self.timeline is not None:
                self.timeline.note_settings(self.trainer)  # a parameter frozen since
        what, node = s.micro(skip_quiet=True)
        if what == "forward":
            if s.forward_upto == self.n:
                self._record_loss()
            return f"forward: {self.node_name(node)}"
        if s.backward_from == 0:  # the pass is complete (a graph's step ends here)
            self.chain = explain.chain_rules(self.program)
            if what == "done":
                self.shown = True
        return f"backward: {self.node_name(node)}"

    def step(self) -> str:
        """Finish the step in progress, or take a whole step."""
        said = self.micro()
        while self.phase != DONE:
            said = self.micro()
        return said

    def finish_step(self) -> None:
        """Complete a step taken part-way by hand (before training at full speed)."""
        if self.in_step:
            self.step()

    def _update(self) -> str:
        epoch_before = self.trainer.epoch
        self.update = explain.take_update(self.stepper)
        self.shown = True
        if self.timeline is not None:
            sums = (self._manual_sum, self._manual_correct, self._manual_seen)
            if self.trainer.batch_index == 0:
                sums = (0.0, 0, 0)  # the epoch is over: the next starts from nothing
            self.timeline.record_now(self.trainer, sums=sums, loss=self._batch_loss)
        if self.trainer.epoch > epoch_before:
            self._close_manual_epoch(epoch_before + 1)
        return "update: every parameter"

    def _record_loss(self) -> None:
        """Keep the batch's loss and correct count, as the training loop does."""
        if self.trainer is None or self.loss is None:
            return
        rows = self.program.batch
        loss = float(self.program.value(self.loss)[0, 0])
        self._batch_loss = loss
        if not np.isfinite(loss) and self.diverged is None:
            if self.timeline is not None:
                self.timeline.diverged_step = self.trainer.steps + 1
            event = self.trainer.diagnose()  # the training loop's own words
            self.diverged_step = event.step
            # stepping by hand goes on (the update shows what the non-finite gradient does)
            self.diverged = event.message.replace("training stopped at", "at", 1) + " (r resets)"
            self.diverged_epoch = self.trainer.epoch + 1
            self.message = self.diverged
        self._manual_sum += loss * rows
        self._manual_seen += rows
        self._manual_correct += _correct(
            self.program.value(self.model.prediction),
            self.program.value(self.model.y),
            self.task,
            self.model.threshold,
        )

    def _close_manual_epoch(self, epoch: int) -> None:
        seen = max(self._manual_seen, 1)
        acc = np.nan if self.task == "regression" else self._manual_correct / seen
        test_loss = test_acc = None
        if self.trainer.has_test:  # as the training loop does after every epoch
            probe = self.load_probe(self.program.values[: self.program.n_param].copy())
            test_loss, test_acc = probe.evaluate(self.trainer.x_test, self.trainer.y_test)
        self.history_log.add(
            epoch, np.array([self._manual_sum / seen]), np.array([acc]), test_loss, test_acc
        )
        if self.timeline is not None:
            self.timeline.epochs.add(epoch, self._manual_sum / seen, acc, test_loss, test_acc)
        self._watch_convergence(epoch, [acc])
        self._manual_sum, self._manual_correct, self._manual_seen = 0.0, 0, 0
        self._validate_by_hand(epoch)
        if self.trainer.epoch >= self.trainer.epochs:
            self.finished = True

    def parameters_edited(self) -> None:
        """A parameter was set by hand: the pass in flight runs forward again on the same
        batch (a backward pass begun starts over), its loss recorded anew; the last update's
        and chain rule's numbers, now out of date, are dropped."""
        s = self.stepper
        self.update = None
        self.chain = {}
        if self.timeline is not None and self.trainer is not None:
            self.timeline.edited(self.trainer)  # the history holds the edited parameters
            self._twin_at, self._view_cache = None, None  # a twin past this row is out of date
        if s.phase == IDLE:
            return
        upto = s.forward_upto
        recorded = upto == self.n and self.trainer is not None and self.loss is not None
        if recorded:  # take back what _record_loss added for this batch
            rows = self.program.batch
            self._manual_sum -= float(self.program.value(self.loss)[0, 0]) * rows
            self._manual_seen -= rows
            self._manual_correct -= _correct(
                self.program.value(self.model.prediction),
                self.program.value(self.model.y),
                self.task,
                self.model.threshold,
            )
        s.abandon()
        s.begin()
        while s.forward_upto < upto:
            s.forward_node()
        if recorded:
            self._record_loss()

    def _validate_by_hand(self, epoch: int) -> None:
        """Evaluate the validation rows after an epoch stepped by hand, as the training loop
        does after each epoch; the step's values on show are put back afterwards."""
        t = self.trainer
        if not t.has_val:
            return
        p = self.program
        saved, batch = p.values.copy(), p.batch
        try:
            loss, acc = self.model.evaluate(t.x_val, t.y_val)
        finally:
            p.values[:] = saved
            p.set_batch(batch)
        self.validation_log.add(epoch, loss, acc)

    # ------------------------------------------------------------ the chain rule
    def chain_report(self, j: int) -> ChainReport | None:
        """The chain rule at node j with the engine's numbers, if its gradient is known."""
        if j in self.chain:
            return self.chain[j]
        if not self._mid_backward() or not self.program.needs_grad(j):
            return None
        return explain.chain_rule(self.program, j, self.stepper.backward_from)

    def _mid_backward(self) -> bool:
        return self.stepper.phase == STEPPER_BACKWARD and self.stepper.seeded

    def _chains_now(self) -> dict[int, ChainReport]:
        """The chain rule wherever the backward pass has been (the whole step once done)."""
        if not self._mid_backward():
            return dict(self.chain)
        return explain.chain_rules(self.program, self.stepper.backward_from)

    # ------------------------------------------------------------ training events
    def record_epochs(self, event: EpochsDone) -> None:
        self.history_log.add(
            event.first_epoch,
            event.losses,
            event.accuracies,
            event.test_loss,
            event.test_accuracy,
        )
        if self.timeline is not None:
            self.timeline.epochs.add_event(event)
        if event.val_loss is not None:
            self.validation_log.add(event.last_epoch, event.val_loss, event.val_accuracy)
        self._watch_convergence(event.first_epoch, event.accuracies)
        self._manual_sum, self._manual_correct, self._manual_seen = 0.0, 0, 0

    def after_training(self, event) -> None:
        """Bookkeeping after a chunk trained at full speed (called by the worker)."""
        if isinstance(event, EpochsDone):
            self.record_epochs(event)
        elif isinstance(event, Diverged):
            self.diverged_step = event.step
            self.stopped_before_backward = True  # the loop stops at the non-finite loss
            self.diverged = f"{event.message} (r resets)"
            self.message = self.diverged
            self.diverged_epoch = event.epoch
            if self.timeline is not None:
                self.timeline.diverged_step = event.step
        elif isinstance(event, Finished):
            self.finished = True
        # the buffers hold the last batch's forward and backward pass, then its update
        self.stepper.abandon()
        self.shown = True
        self.update = None
        self.chain = {}

    def _watch_convergence(self, first_epoch: int, accuracies) -> None:
        if self.perceptron and self.converged is None:
            self.converged = convergence(first_epoch, accuracies)

    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(epoch numbers, mean losses, accuracies) for the curves."""
        return self.history_log.view()

    @property
    def training_over(self) -> bool:
        t = self.trainer
        return t is None or t.epoch >= t.epochs or self.diverged is not None

    # ------------------------------------------------------------ learning rate
    def set_lr(self, value: float) -> float:
        value = float(min(max(value, 1e-8), 1e4))
        self.optimizer.lr = value  # a schedule scales from it (the optimizer owns both)
        return value

    def lr_in_use(self) -> tuple[float, str]:
        """The rate of the step in progress (or on show), else of the next step, with how the
        schedule makes it from the base rate; the optimizer owns both."""
        opt, t = self.optimizer, self.trainer
        if t is None:
            return opt.lr, ""
        if self.in_step or (self.phase == DONE and self.update is not None):
            return opt.lr_now(), opt.lr_formula(opt.epoch)
        return opt.lr_at(t.epoch), opt.lr_formula(t.epoch)

    def lr_up(self) -> float:
        return self.set_lr(self.optimizer.lr * LR_FACTOR)

    def lr_down(self) -> float:
        return self.set_lr(self.optimizer.lr / LR_FACTOR)

    # ------------------------------------------------------------ snapshots
    def snapshot(self) -> Snapshot:
        """Copies of the buffers and the counters (call from the thread that owns them); the
        past step on show, when one is (view_step)."""
        if self.viewing is not None:
            return self.view_step(self.viewing)
        return self._live_snapshot()

    def _live_snapshot(self) -> Snapshot:
        p = self.program
        epochs, losses, accs = self.history()
        lr, lr_formula = self.lr_in_use()
        test_losses = test_accs = None
        if self.trainer is not None and self.trainer.has_test:
            test_losses, test_accs = self.history_log.test_view()
        t = self.trainer
        val_epochs, val_losses, val_accs = self.validation_log.arrays()
        if self.in_step:
            fwd, bwd = self.stepper.forward_upto, self.stepper.backward_from
        elif self.phase == DONE:
            fwd, bwd = self.n, (self.n if self.perceptron or self.stopped_before_backward else 0)
        else:
            fwd, bwd = (self.n, self.n) if self.is_graph else (0, self.n)
        return Snapshot(
            values=p.values.copy(),
            grads=p.grads.copy(),
            params=p.values[: p.n_param].copy(),
            batch=p.batch,
            rows=None if self.rows is None else self.rows.copy(),
            phase=self.phase,
            cursor=self.cursor,
            forward_upto=fwd,
            backward_from=bwd,
            step=max(t.steps, self.diverged_step or 0) if t is not None else 0,
            epoch=t.epoch if t is not None else 0,
            batch_index=t.batch_index if t is not None else 0,
            lr=lr,
            lr_formula=lr_formula,
            epochs_done=epochs,
            losses=losses,
            accuracies=accs,
            last=self.history_log.last,
            update=self.update,
            chain=self._chains_now(),
            message=self.message,
            samples_per_s=self.samples_per_s,
            finished=self.finished,
            present=t.steps if t is not None else 0,
            test_losses=test_losses,
            test_accuracies=test_accs,
            diverged_epoch=self.diverged_epoch,
            val_epochs=val_epochs,
            val_losses=val_losses,
            val_accuracies=val_accs,
        )

    # ------------------------------------------------------------ the history
    @property
    def present_step(self) -> int:
        return self.trainer.steps if self.trainer is not None else 0

    @property
    def shown_step(self) -> int:
        """The step on show: a past one from the history, or the present."""
        return self.present_step if self.viewing is None else self.viewing

    def history_range(self) -> tuple[int, int]:
        """(first, last) step one may go to."""
        if self.timeline is None:
            return self.present_step, self.present_step
        return self.timeline.first_step, self.present_step

    def epoch_bounds(self, step: int, direction: int) -> int:
        """The step an epoch back (direction −1) or on (+1) from `step`: the end of the
        epoch before, or of this one."""
        bpe = max(self.batches_per_epoch(), 1)
        if direction < 0:
            return ((step - 1) // bpe) * bpe if step > 0 else 0
        return (step // bpe + 1) * bpe

    def view_step(self, step: int) -> Snapshot:
        """The Snapshot of `step` as it was when that step had just been taken (its batch's
        forward and backward pass, its update; the start for step 0); the present's own
        Snapshot for the present step. Every number is re-computed by the engine from the
        history (tests compare them with the live run's, bit for bit)."""
        first, last = self.history_range()
        if self._shows_diverged_step():
            last += 1  # the step whose loss was NaN: its passes, never its update
        step = int(min(max(step, first), last))
        if step == self.present_step:
            self.viewing = None
            return self._live_snapshot()
        key = (step, self.present_step, self.history_log.top)
        if self.viewing == step and self._view_cache is not None and self._view_cache[0] == key:
            return self._view_cache[1]
        ctl = self._twin_to(step)
        self.viewing = step
        snap = ctl._live_snapshot()
        epochs, losses, accs = self.history()
        snap = dataclasses.replace(
            snap, epochs_done=epochs, losses=losses, accuracies=accs, last=self.history_log.last,
            message=ctl.message if step > self.present_step else "", past=True,
            present=self.present_step, finished=False, mark_epoch=self._epoch_of(step),
            viewed=step,
        )  # fmt: skip
        self._view_cache = (key, snap)
        return snap

    def _shows_diverged_step(self) -> bool:
        """Whether the step after the present is the one that diverged (a replayed run: the
        live one shows it already)."""
        t = self.timeline
        return (
            t is not None
            and t.diverged_step == self.present_step + 1
            and self.program.first_nonfinite() is None
        )

    def first_nonfinite(self):
        """nnviz.nonfinite's report on this run's first NaN or infinity (None: there is
        none), re-run on the twin."""
        from nnviz.nonfinite import first_nonfinite

        if self.timeline is None:
            return None
        self._twin_to(None)
        self._twin_at = None  # the analysis moves the twin
        self._view_cache = None
        return first_nonfinite(self.timeline, self._twin.session)

    def _epoch_of(self, step: int) -> int:
        """The 1-based epoch that step `step` trained in (0 for the start)."""
        bpe = max(self.batches_per_epoch(), 1)
        return (step - 1) // bpe + 1 if step > 0 else 0

    def _twin_to(self, step: int | None) -> Controller:
        """The twin, its state after `step - 1` and step `step` itself taken by hand (None:
        the twin alone). The step that diverged is taken up to its update, not beyond."""
        if self._twin is None:
            self._twin = Controller(twin(self.session), data_dir=self.data_dir,
                                    which=self.which, history_budget=None)  # fmt: skip
        ctl = self._twin
        if step is None or self._twin_at == step:
            return ctl
        if step == 0 or self._twin_at != step - 1 or self.timeline.edited_at(step - 1):
            sums = self.timeline.restore(ctl.trainer, max(step - 1, 0))
            ctl.stepper.abandon()
            ctl.shown, ctl.update, ctl.chain = False, None, {}
            ctl._manual_sum, ctl._manual_correct, ctl._manual_seen = sums
            ctl.diverged, ctl.message = None, ""
        if step > self.present_step:  # the diverged step: its passes, not its NaN update
            while ctl.stepper.phase != UPDATE and not (ctl.phase == DONE and ctl.shown):
                ctl.micro()
            self._twin_at = None
            return ctl
        if step > 0:
            ctl.step()
        self._twin_at = step
        return ctl

    def continue_from_view(self) -> int | None:
        """Make the past step on show the present: the steps after it are dropped and the
        run goes on from it. Returns the steps dropped (None when the present is on show)."""
        if self.viewing is None or self.timeline is None:
            return None
        step = min(self.viewing, self.present_step)
        self._view_cache = None
        dropped = self.present_step - step
        ctl = self._twin_to(step)
        timeline = self.timeline
        timeline.truncate(step)
        sums = timeline.restore(self.trainer, step)
        # what the view showed becomes the present's: the step's passes, update and rules
        self.program.values[:] = ctl.program.values
        self.program.grads[:] = ctl.program.grads
        self.program.batch = ctl.program.batch
        self.stepper.abandon()
        self.stepper.rows = None if ctl.rows is None else ctl.rows.copy()
        self.shown = step > 0
        self.update, self.chain = ctl.update, dict(ctl.chain)
        self._manual_sum, self._manual_correct, self._manual_seen = sums
        self.diverged, self.finished, self.message = None, False, ""
        self._curves_from_timeline()
        timeline.record_now(self.trainer, sums=sums)
        self.viewing = None
        return dropped

    # ------------------------------------------------------------ the probe
    def load_probe(self, params: np.ndarray) -> Model:
        """The probe with these parameters (a copy from a Snapshot)."""
        q = self.probe.program
        q.values[: q.n_param] = params
        return self.probe

    def truth_table(self, params: np.ndarray) -> list[TruthRow]:
        ds = self.dataset
        if ds is None or self.model.prediction is None:
            return []
        probe = self.load_probe(params)
        X, Y = ds.x_train, ds.y_train
        p = probe.output(X)
        pre = regions.pre_activation(probe)
        h = probe.output(X, node=pre) if pre else p
        cls = regions.classes(p, self.task, self.model.threshold)
        right = regions.rows_right(probe, X, Y)
        return [
            TruthRow(X[r], Y[r], h[r], p[r], int(cls[r]), None if right is None else bool(right[r]))
            for r in range(X.shape[0])
        ]

    def errors(self, params: np.ndarray) -> int | None:
        """Misclassified training rows at these parameters (None for regression)."""
        ds = self.dataset
        if ds is None or self.task == "regression":
            return None
        probe = self.load_probe(params)
        p = probe.output(ds.x_train)
        cls = regions.classes(p, self.task, self.model.threshold)
        return int(np.sum(cls != ds.labels_train))

    def verdict(self, params: np.ndarray, epoch: int) -> str:
        """The perceptron rule's outcome, once its epochs are over or it has converged."""
        if not self.perceptron or self.trainer is None:
            return ""
        if self.converged is not None:
            return f"converged: {self.converged.text()}"
        errors = self.errors(params)
        if epoch < self.trainer.epochs or not errors:
            return ""
        name = getattr(self.dataset, "name", "")
        if name == "xor":
            return "XOR is not linearly separable: the perceptron rule never converges"
        return (
            f"{errors} rows still wrong after {epoch} epochs: the perceptron rule converges "
            "only on linearly separable data"
        )

    def modes(self) -> ModesReport | None:
        """Derivatives of an expression graph by forward mode and by reverse mode, on the
        probe (the Program being stepped is left alone)."""
        if not self.is_graph:
            return None
        return explain.modes(self.probe)

    # ------------------------------------------------------------ numerical check
    def check(self, name: str, max_elements: int = 8) -> CheckReport:
        """∂L/∂name from the session's backward pass beside central differences of the
        engine's loss (in float64) on the same batch and parameters; the Program's buffers
        are put back as they were."""
        rows, feeds = None, None
        if self.trainer is not None and not self.perceptron and self.loss is not None:
            rows = self.rows if self.in_step else self.trainer.next_batch_rows()
            feeds = {
                self.node_name(self.model.x): self.trainer.X[rows],
                self.node_name(self.model.y): self.trainer.Y[rows],
            }
        return explain.gradient_check(
            self.program, name, feeds, rows, perceptron=self.perceptron, max_elements=max_elements
        )

    # ------------------------------------------------------------ rebuilding
    def rebuilt(self, *, seed: int | None = None, which: int | None = None) -> Controller:
        """A fresh Controller: the same scenario from the start (a new seed if given)."""
        scenario = self.scenario
        if seed is not None and seed != self.seed:
            scenario = scenario.with_overrides(seed=seed)
        which = self.which if which is None else which
        weights = self.weights if which == self.which else None  # another set, its own shapes
        session = build(scenario, data_dir=self.data_dir, which=which, threads=1, weights=weights)
        return Controller(session, data_dir=self.data_dir, which=which, weights=weights,
                          history_budget=self.history_budget)  # fmt: skip

    def warm_up(self) -> float:
        """Compile (or load) every kernel the explorer calls, on the probe; returns seconds."""
        t0 = time.perf_counter()
        if self.trainer is not None:
            self.trainer.warm_up()
            self.trainer.next_batch_rows()
            _warm_records()
        q = self.probe.program
        saved = q.values.copy()
        try:
            self._warm_probe(q)
        finally:  # also when a kernel is missing from the cache (nnviz.warmup)
            q.values[:] = saved
            q.grads[:] = 0
        if self._replayed:  # warming up ran the live buffers: the last step's numbers again
            self._retake_last_step()
        return time.perf_counter() - t0

    def _warm_probe(self, q) -> None:
        n = len(q)
        for i in range(n):
            q.forward(i, i + 1)
        if self.loss is not None and not self.perceptron:
            q.seed()
            for i in range(n - 1, -1, -1):
                q.backward(i, i + 1)
            for c in range(n):
                if q.needs_grad(c) and self.graph.nodes[c].inputs:
                    q.contribution(c, self.graph.nodes[c].inputs[0])
                    break
        if self.is_graph and self.graph.wrt:
            q.jvp({self.node_name(self.graph.wrt[0]): 1.0})
        elif self.model.x is not None:
            self.probe.output(np.zeros((2, self.graph.nodes[self.model.x].cols)))
        if not self.is_graph:
            from nnviz.engine.optim import Optimizer

            opt = Optimizer(q, self.optimizer.kind, **self.optimizer.settings)
            opt.zero_grad()
            opt.step()


# ====================================================================== helpers
def _probe(model: Model) -> Model:
    """A second compiled copy of the model's graph, for drawings."""
    capacity = PROBE_CAPACITY if model.x is not None else 1
    probe = Model(model.graph, task=model.task, dtype=model.dtype, capacity=capacity)
    probe.threshold = model.threshold
    return probe


def _correct(pred: np.ndarray, y: np.ndarray, task: str, threshold: float) -> int:
    if task == "binary":
        return int(np.sum((pred[:, 0] > threshold) == (y[:, 0] > 0.5)))
    if task == "multiclass":
        return int(np.sum(np.argmax(pred, axis=1) == np.argmax(y, axis=1)))
    return 0
