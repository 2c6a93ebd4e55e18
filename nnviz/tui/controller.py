"""The explorer's side of the engine: stepping by hand, snapshots, histories and reports.

Plain Python over a Session (no textual here), so the stepping can be tested on its own and run
from a thread worker. Every number it hands out was computed by the engine; the widgets only
format them.

A step by hand follows the Trainer's protocol, node by node, and so equals one training step
bit for bit: feed the next batch, zero the gradients, run every node forward, seed ∂L/∂L = 1,
run every node's VJP from the last down to the first, update the parameters, count the step.

Threads: the Program's buffers belong to whoever is running it. While a worker trains, only
the worker touches the Session; the interface reads the Snapshots the worker posts (copies).
The probe, a second compiled copy of the graph, serves drawings (regions, truth table, forward
mode) from copies of the parameters, so it never disturbs the Program being stepped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from nnviz import regions
from nnviz.engine import kernels as k
from nnviz.engine import ops
from nnviz.model import Model
from nnviz.session import Session, build
from nnviz.train import Diverged, EpochsDone, Finished

START, FORWARD, BACKWARD, DONE = "start", "forward", "backward", "done"
PROBE_CAPACITY = 1024
LR_FACTOR = 2.0


# ====================================================================== records
@dataclass(frozen=True)
class ChainTerm:
    """What one consumer's VJP rule added to a node's gradient: upstream × local."""

    consumer: int
    upstream: np.ndarray  # ∂L/∂consumer
    local: np.ndarray | None  # ∂consumer/∂node, element by element (elementwise ops only)
    local_text: str  # the rule as a student writes it, from the op table
    contribution: np.ndarray  # upstream × local, summed where broadcast


@dataclass(frozen=True)
class ChainReport:
    node: int
    terms: tuple[ChainTerm, ...]
    total: np.ndarray | None  # the sum of the contributions
    grad: np.ndarray  # ∂L/∂node as the engine holds it
    complete: bool  # every consumer's rule has run
    seed: bool = False  # the loss itself: ∂L/∂L = 1


@dataclass(frozen=True)
class ParamUpdate:
    name: str
    old: np.ndarray
    grad: np.ndarray
    state: dict[str, np.ndarray]
    new: np.ndarray


@dataclass(frozen=True)
class PerceptronRow:
    row: int  # the data set's row
    x: np.ndarray
    y: np.ndarray
    a: np.ndarray  # H(z), the unit's output


@dataclass(frozen=True)
class UpdateRecord:
    kind: str
    lr: float
    step: int  # the optimizer's step count after the update
    params: tuple[ParamUpdate, ...]
    perceptron: tuple[PerceptronRow, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    name: str
    index: tuple[int, int]
    analytic: float  # the session's own ∂L/∂θ (its dtype), as the inspector shows it
    numeric: float  # central difference of the engine's loss, in float64

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.analytic), abs(self.numeric), 1e-12)
        return abs(self.analytic - self.numeric) / scale

    @property
    def ok(self) -> bool:
        return self.rel_error < 1e-3 or abs(self.analytic - self.numeric) < 1e-7


@dataclass(frozen=True)
class CheckReport:
    name: str
    eps: float
    rows: np.ndarray | None  # the batch the loss was taken on
    results: tuple[CheckResult, ...]
    source: str
    note: str = ""
    f64_max_rel_error: float = 0.0  # float64 reverse mode against the same differences

    @property
    def max_rel_error(self) -> float:
        return max((r.rel_error for r in self.results), default=0.0)


@dataclass(frozen=True)
class ModesReport:
    """Forward mode (one pass per input) beside reverse mode (one pass for all)."""

    inputs: tuple[str, ...]
    output: str
    nodes: tuple[int, ...]
    values: dict[int, float]
    tangents: tuple[dict[int, float], ...]  # one forward pass per input
    forward: tuple[float, ...]  # ∂output/∂input from each forward pass
    grads: dict[int, float]  # reverse mode: ∂output/∂node
    reverse: tuple[float, ...]  # ∂output/∂input from the one reverse pass


@dataclass(frozen=True)
class TruthRow:
    x: np.ndarray
    y: np.ndarray
    h: np.ndarray
    p: np.ndarray
    yhat: int


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
    lr: float
    epochs_done: np.ndarray  # the history for the curves (several epochs a point when long)
    losses: np.ndarray
    accuracies: np.ndarray
    last: tuple[int, float, float] | None  # the last finished epoch: (epoch, loss, accuracy)
    update: UpdateRecord | None
    chain: dict[int, ChainReport]
    message: str
    samples_per_s: float = 0.0
    finished: bool = False
    stamp: float = field(default_factory=time.perf_counter)


# ====================================================================== history
class History:
    """Per-epoch loss and accuracy for the curves, in a fixed number of slots.

    A long run has millions of epochs: each slot sums the epochs it covers, and when the slots
    run out, neighbours merge (twice the epochs per slot). Memory and the cost of a frame stay
    bounded; the last epoch's own numbers are kept apart.
    """

    SLOTS = 1 << 14

    def __init__(self) -> None:
        self.per_slot = 1
        self.sums = np.zeros((4, self.SLOTS), np.float64)  # loss sum, count, acc sum, count
        self.top = 0  # slots in use
        self.last: tuple[int, float, float] | None = None  # (epoch, loss, accuracy)

    def add(self, first_epoch: int, losses: np.ndarray, accuracies: np.ndarray) -> None:
        k = len(losses)
        if not k:
            return
        losses = np.asarray(losses, np.float64)
        accuracies = np.asarray(accuracies, np.float64)
        last_epoch = first_epoch + k - 1
        while (last_epoch - 1) // self.per_slot >= self.SLOTS:
            self._merge()
        slots = (np.arange(first_epoch, last_epoch + 1) - 1) // self.per_slot
        lo, hi = int(slots[0]), int(slots[-1]) + 1
        rel = slots - lo
        for row, values in ((0, losses), (2, accuracies)):
            ok = np.isfinite(values)
            self.sums[row, lo:hi] += np.bincount(rel[ok], values[ok], minlength=hi - lo)
            self.sums[row + 1, lo:hi] += np.bincount(rel[ok], minlength=hi - lo)
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


# ====================================================================== controller
class Controller:
    """Steps a Session by hand, keeps the loss history, and answers the explorer's questions."""

    def __init__(self, session: Session, *, data_dir=None, which: int = 0):
        self.session = session
        self.data_dir = data_dir
        self.which = which
        self.model: Model = session.model
        self.program = session.model.program
        self.graph = session.model.graph
        self.optimizer = session.optimizer
        self.trainer = session.trainer
        self.dataset = session.dataset
        self.n = len(self.graph.nodes)
        self.loss = self.graph.loss
        self.perceptron = self.optimizer.kind == "perceptron"
        self.offsets = [int(self.program.meta[i, k.OFF]) for i in range(self.n)]
        self.probe = _probe(self.model)
        self.phase = START
        self.cursor: int | None = None
        self.pos = 0  # next node forward
        self.back = -1  # next node backward (down to 0)
        self.rows: np.ndarray | None = None
        self.update: UpdateRecord | None = None
        self.chain: dict[int, ChainReport] = {}
        self.message = ""
        self.samples_per_s = 0.0
        self.finished = False
        self.diverged: str | None = None
        self.history_log = History()
        self._manual_sum = 0.0
        self._manual_correct = 0
        self._manual_seen = 0
        if self.is_graph:
            # An expression graph is computed once at build: show it as a finished pass.
            self.phase = START

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
    def in_step(self) -> bool:
        return self.phase in (FORWARD, BACKWARD)

    @property
    def seed(self) -> int:
        return int(self.scenario.training.seed)

    def node_name(self, i: int) -> str:
        return self.graph.nodes[i].name

    def is_leaf(self, i: int) -> bool:
        return self.graph.nodes[i].op in ops.LEAF_CODES

    def meaningful_backward(self, i: int) -> bool:
        return not self.is_leaf(i) and self.program.needs_grad(i)

    def shape(self, i: int, batch: int) -> tuple[int, int]:
        return self.graph.nodes[i].shape(batch)

    def view(self, buffer: np.ndarray, i: int, batch: int) -> np.ndarray:
        rows, cols = self.shape(i, batch)
        off = self.offsets[i]
        return buffer[off : off + rows * cols].reshape(rows, cols)

    def epochs_total(self) -> int:
        return self.trainer.epochs if self.trainer is not None else 0

    def batches_per_epoch(self) -> int:
        return self.trainer.batches_per_epoch if self.trainer is not None else 0

    def wrt_names(self) -> list[str]:
        if self.is_graph:
            return [self.node_name(i) for i in self.graph.wrt]
        return [self.node_name(i) for i in self.program.param_indices]

    # ------------------------------------------------------------ stepping by hand
    def _begin(self) -> None:
        if self.trainer is not None:
            self.rows = self.trainer.feed_next_batch()
        self.optimizer.zero_grad()
        self.phase = FORWARD
        self.pos = 0
        self.back = self.n - 1
        self.update = None
        self.chain = {}
        self.cursor = None

    def micro(self) -> str:
        """One micro-step: the next node forward, or the next node backward, or the update."""
        if self.phase in (START, DONE):
            self._begin()
        if self.phase == FORWARD and self.pos < self.n:
            while self.pos < self.n:
                i = self.pos
                self.program.forward(i, i + 1)
                self.pos += 1
                if not self.is_leaf(i):
                    self.cursor = i
                    break
            if self.pos == self.n:
                self._record_loss()
            return f"forward: {self.node_name(self.cursor)}"
        if self.phase == FORWARD:
            if self.perceptron:
                return self._update()
            self.program.seed()
            self.phase = BACKWARD
            self.back = self.n - 1
        if self.phase == BACKWARD and self.back >= 0:
            while self.back >= 0:
                i = self.back
                self.program.backward(i, i + 1)
                self.back -= 1
                if self.meaningful_backward(i):
                    self.cursor = i
                    break
            # the leaves left below run their (empty) rules now, so the pass is complete
            while self.back >= 0 and not self.meaningful_backward(self.back):
                self.program.backward(self.back, self.back + 1)
                self.back -= 1
            if self.back < 0:
                self.chain = self._all_chains()
                if self.is_graph:
                    self.phase = DONE
            return f"backward: {self.node_name(self.cursor)}"
        return self._update()

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
        p = self.program
        before = {name: p.value(name).copy() for name in self.wrt_names()}
        grads = {name: p.grad(name).copy() for name in before}
        perceptron_rows: tuple[PerceptronRow, ...] = ()
        if self.perceptron and self.rows is not None:
            x = p.value(self.model.x).copy()
            y = p.value(self.model.y).copy()
            a = p.value(self.model.prediction).copy()
            perceptron_rows = tuple(
                PerceptronRow(int(r), x[n], y[n], a[n]) for n, r in enumerate(self.rows)
            )
        self.optimizer.step()
        params = tuple(
            ParamUpdate(
                name,
                before[name],
                grads[name],
                {key: arr.copy() for key, arr in self.optimizer.state_of(name).items()},
                p.value(name).copy(),
            )
            for name in before
        )
        self.update = UpdateRecord(
            self.optimizer.kind, self.optimizer.lr, self.optimizer.t, params, perceptron_rows
        )
        self.cursor = None
        self.phase = DONE
        if self.trainer is not None:
            epoch_before = self.trainer.epoch
            self.trainer.count_manual_step()
            if self.trainer.epoch > epoch_before:
                self._close_manual_epoch(epoch_before + 1)
        return "update: every parameter"

    def _record_loss(self) -> None:
        """Keep the batch's loss and correct count, as the training loop does."""
        if self.trainer is None or self.loss is None:
            return
        rows = self.program.batch
        loss = float(self.program.value(self.loss)[0, 0])
        if not np.isfinite(loss) and self.diverged is None:
            i = self.program.first_nonfinite()
            where = f" (first in node '{self.node_name(i)}')" if i is not None else ""
            self.diverged = (
                f"the loss became NaN or infinite at step {self.trainer.steps + 1}{where}: "
                "try a smaller learning rate (r resets)"
            )
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
        self.history_log.add(epoch, np.array([self._manual_sum / seen]), np.array([acc]))
        self._manual_sum, self._manual_correct, self._manual_seen = 0.0, 0, 0
        if self.trainer.epoch >= self.trainer.epochs:
            self.finished = True

    # ------------------------------------------------------------ the chain rule
    def chain_report(self, j: int) -> ChainReport | None:
        """The chain rule at node j with the engine's numbers, if its gradient is known."""
        if j in self.chain:
            return self.chain[j]
        if self.phase != BACKWARD or not self.program.needs_grad(j):
            return None
        return self._chain(j)

    def _chains_now(self) -> dict[int, ChainReport]:
        """The chain rule wherever the backward pass has been (the whole step once done)."""
        if self.phase != BACKWARD or self.back < 0:
            return dict(self.chain)
        return self._all_chains()

    def _all_chains(self) -> dict[int, ChainReport]:
        out = {}
        for j in range(self.n):
            if self.program.needs_grad(j):
                report = self._chain(j)
                if report is not None:
                    out[j] = report
        return out

    def _chain(self, j: int) -> ChainReport | None:
        p = self.program
        grad = p.grad(j).copy()
        if j == self.loss:
            return ChainReport(j, (), None, grad, self.back < j, seed=True)
        consumers = [c for c in self.graph.consumers(j) if p.needs_grad(c)]
        done = [c for c in consumers if c > self.back]
        if not done:
            return None
        terms = []
        for c in done:
            node = self.graph.nodes[c]
            spec = ops.BY_CODE[node.op]
            upstream = p.grad(c).copy()
            local = None
            if spec.kind in ("elementwise", "loss", "reduce"):
                local = p.contribution(c, j, upstream=np.ones(p.shape(c), p.dtype))
            text = _local_text(self.graph, c, j)
            terms.append(ChainTerm(c, upstream, local, text, p.contribution(c, j)))
        total = terms[0].contribution.copy()
        for term in terms[1:]:
            total = total + term.contribution
        return ChainReport(j, tuple(terms), total, grad, len(done) == len(consumers))

    # ------------------------------------------------------------ training events
    def record_epochs(self, event: EpochsDone) -> None:
        self.history_log.add(event.first_epoch, event.losses, event.accuracies)
        self._manual_sum, self._manual_correct, self._manual_seen = 0.0, 0, 0

    def after_training(self, event) -> None:
        """Bookkeeping after a chunk trained at full speed (called by the worker)."""
        if isinstance(event, EpochsDone):
            self.record_epochs(event)
        elif isinstance(event, Diverged):
            self.diverged = event.message
            self.message = event.message
        elif isinstance(event, Finished):
            self.finished = True
        # the buffers hold the last batch's forward and backward pass, then its update
        self.phase = DONE
        self.cursor = None
        self.update = None
        self.chain = {}
        self.rows = None

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
        self.optimizer.lr = value
        if self.trainer is not None and int(self.trainer.schedule[0]) != 0:
            self.trainer.schedule[3] = value  # a schedule scales from its base rate
        return value

    def lr_up(self) -> float:
        return self.set_lr(self.optimizer.lr * LR_FACTOR)

    def lr_down(self) -> float:
        return self.set_lr(self.optimizer.lr / LR_FACTOR)

    # ------------------------------------------------------------ snapshots
    def snapshot(self) -> Snapshot:
        """Copies of the buffers and the counters (call from the thread that owns them)."""
        p = self.program
        epochs, losses, accs = self.history()
        t = self.trainer
        if self.phase == FORWARD:
            fwd, bwd = self.pos, self.n
        elif self.phase == BACKWARD:
            fwd, bwd = self.n, self.back + 1
        elif self.phase == DONE:
            fwd, bwd = self.n, (self.n if self.perceptron else 0)
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
            step=t.steps if t is not None else 0,
            epoch=t.epoch if t is not None else 0,
            batch_index=t.batch_index if t is not None else 0,
            lr=self.optimizer.lr,
            epochs_done=epochs,
            losses=losses,
            accuracies=accs,
            last=self.history_log.last,
            update=self.update,
            chain=self._chains_now(),
            message=self.message,
            samples_per_s=self.samples_per_s,
            finished=self.finished,
        )

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
        return [TruthRow(X[r], Y[r], h[r], p[r], int(cls[r])) for r in range(X.shape[0])]

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
        errors = self.errors(params)
        if errors == 0 and epoch > 0:
            return f"converged: every row is classified right (after {epoch} epochs)"
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
        q = self.probe.program
        q.reset_values()
        q.forward()
        out = self.loss
        nodes = tuple(range(self.n))
        values = {i: float(q.value(i)[0, 0]) for i in nodes}
        q.grads[:] = 0
        q.seed()
        q.backward()
        grads = {i: float(q.grad(i)[0, 0]) for i in nodes if q.needs_grad(i)}
        tangents, forward = [], []
        for leaf in self.graph.wrt:
            q.jvp({self.node_name(leaf): 1.0})
            tangents.append({i: float(q.tangent(i)[0, 0]) for i in nodes})
            forward.append(float(q.tangent(out)[0, 0]))
        reverse = tuple(grads.get(i, 0.0) for i in self.graph.wrt)
        return ModesReport(
            tuple(self.node_name(i) for i in self.graph.wrt),
            self.node_name(out),
            nodes,
            values,
            tuple(tangents),
            tuple(forward),
            grads,
            reverse,
        )

    # ------------------------------------------------------------ numerical check
    def check(self, name: str, max_elements: int = 8) -> CheckReport:
        """∂L/∂name from the session's backward pass beside central differences of the
        engine's loss (nnviz.engine.gradcheck, in float64) on the same batch and parameters.
        The Program's buffers are put back as they were."""
        from nnviz.engine.gradcheck import gradcheck

        if self.perceptron:
            return CheckReport(name, 0.0, None, (), "", "the step unit has no gradient to check")
        if self.loss is None:
            return CheckReport(name, 0.0, None, (), "", "this graph has no loss")
        rows, feeds = None, None
        if self.trainer is not None:
            rows = self.rows if self.in_step else self.trainer.next_batch_rows()
            feeds = {
                self.node_name(self.model.x): self.trainer.X[rows],
                self.node_name(self.model.y): self.trainer.Y[rows],
            }
        h = 1e-6
        found = [r for r in gradcheck(self.program, feeds, h=h, max_elements=max_elements)]
        found = [r for r in found if r.name == name]
        if not found:
            return CheckReport(name, h, rows, (), "", f"{name} is not checked")
        f64 = found[0]
        session = self._session_grad(name, feeds)
        shape = self.program.shape(name)
        results = []
        for e, numeric in zip(f64.elements, f64.numerical, strict=True):
            idx = np.unravel_index(int(e), shape)
            r, c = int(idx[0]), int(idx[1])
            results.append(CheckResult(name, (r, c), float(session[r, c]), float(numeric)))
        return CheckReport(
            name,
            h,
            rows,
            tuple(results),
            "central differences in float64 (nnviz.engine.gradcheck)",
            f64_max_rel_error=f64.max_rel_error,
        )

    def _session_grad(self, name: str, feeds) -> np.ndarray:
        """∂L/∂name by the session's own Program at its current parameters on `feeds`."""
        p = self.program
        saved_v, saved_g, saved_batch = p.values.copy(), p.grads.copy(), p.batch
        try:
            for key, data in (feeds or {}).items():
                p.feed(key, data)
            self.optimizer.zero_grad()
            p.forward()
            p.seed()
            p.backward()
            return p.grad(name).copy()
        finally:
            p.values[:] = saved_v
            p.grads[:] = saved_g
            p.batch = saved_batch

    # ------------------------------------------------------------ rebuilding
    def rebuilt(self, *, seed: int | None = None, which: int | None = None) -> Controller:
        """A fresh Controller: the same scenario from the start (a new seed if given)."""
        scenario = self.scenario
        if seed is not None and seed != self.seed:
            scenario = scenario.with_overrides(seed=seed)
        which = self.which if which is None else which
        session = build(scenario, data_dir=self.data_dir, which=which, threads=1)
        return Controller(session, data_dir=self.data_dir, which=which)

    def warm_up(self) -> float:
        """Compile (or load) every kernel the explorer calls, on the probe; returns seconds."""
        t0 = time.perf_counter()
        if self.trainer is not None:
            self.trainer.warm_up()
            self.trainer.next_batch_rows()
        q = self.probe.program
        saved = q.values.copy()
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
        q.values[:] = saved
        q.grads[:] = 0
        return time.perf_counter() - t0


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


def _local_text(graph, c: int, j: int) -> str:
    """The op table's local derivative of consumer c, with the names filled in."""
    node = graph.nodes[c]
    spec = ops.BY_CODE[node.op]
    names = [graph.nodes[i].name for i in node.inputs]
    a = names[0] if names else ""
    b = names[1] if len(names) > 1 else ""
    try:
        text = spec.local.format(out=node.name, a=a, b=b, c=f"{node.const:g}")
    except (KeyError, IndexError):
        text = spec.local
    if spec.code in (ops.MATMUL, ops.SUB, ops.MUL) and a != b:
        # the rule names both sides ("∂/∂a = …, ∂/∂b = …"): keep this input's
        parts = [s.strip() for s in text.split(",")]
        if len(parts) == 2:
            text = parts[0] if graph.nodes[j].name == a else parts[1]
            text = text.split("=", 1)[-1].strip()
            text = text.removeprefix("+1 for ").removeprefix("−1 for ")
            if spec.code == ops.SUB:
                text = "+1" if graph.nodes[j].name == a else "−1"
    return text
