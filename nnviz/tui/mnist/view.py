"""The MNIST view: one digit and what the network makes of it, the network's insides, a stepped
backward pass, decision regions on a PCA plane, training with a confusion matrix, and mistakes.

MnistView(session) works in any screen; MnistScreen(session) adds a header and footer.
Training runs in a thread worker over Trainer.run(); the worker posts copies (Live several
times a second, EpochData at most once per epoch) and the widgets draw only those. While the
worker runs, nothing on the UI side touches the engine; `_busy` says when that is.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Footer,
    Header,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from nnviz import pca
from nnviz.engine import ops
from nnviz.engine.blas import blas_threads, spare_one_core
from nnviz.train import Diverged, EpochsDone, Finished, Progress, Started
from nnviz.tui.mnist import live as lv
from nnviz.tui.mnist import render
from nnviz.tui.mnist.stepper import BatchStepper, StepError
from nnviz.tui.mnist.widgets import (
    MatrixView,
    Picture,
    RegionMap,
    confusion_text,
    prob_text,
    signed_bars,
)

CSS_FILE = Path(__file__).with_name("mnist.tcss")
TABS = (
    "mnist-tab-network",
    "mnist-tab-backprop",
    "mnist-tab-regions",
    "mnist-tab-training",
    "mnist-tab-mistakes",
)
REDRAW_S = 0.15  # Live snapshots at most every 0.15 s (6–7 redraws a second while training)
EPOCH_EVAL_S = 0.25  # confusion matrix and regions at most once per epoch and 4× a second
PLANE_SAMPLES = 300  # test samples drawn on the PCA plane
MISTAKE_TILES = 6
W_OUT_WINDOW = 40  # hidden units shown at once in the output-weights heatmap


# ---------------------------------------------------------------- messages from the worker
class TrainingStarted(Message):
    def __init__(self, compile_s: float, epochs: int, batches: int):
        super().__init__()
        self.compile_s = compile_s
        self.epochs = epochs
        self.batches = batches


class LiveUpdate(Message):
    def __init__(self, live: lv.Live, rate: float):
        super().__init__()
        self.live = live
        self.rate = rate


class EpochUpdate(Message):
    def __init__(self, rows: list[dict], data: lv.EpochData | None, live: lv.Live, rate: float):
        super().__init__()
        self.rows = rows
        self.data = data
        self.live = live
        self.rate = rate


class TrainingStopped(Message):
    def __init__(self, reason, text="", samples=0, seconds=0.0, rows: list | None = None):
        super().__init__()
        self.rows = rows or []  # epochs finished since the last EpochUpdate
        self.reason = reason  # "finished", "epoch", "paused", "diverged", "error"
        self.text = text
        self.samples = samples  # trained in this run, after warming up …
        self.seconds = seconds  # … in this many seconds (to the last progress or epoch)


def _samples_seen(trainer) -> int:
    """Training samples consumed since the start: whole epochs plus the batches of this one."""
    n = trainer.X.shape[0]
    return trainer.epoch * n + min(trainer.batch_index * trainer.batch_size, n)


def grid_shape(h: int) -> tuple[int, int]:
    """(rows, cols) of the picture of h hidden units."""
    cols = int(np.ceil(np.sqrt(h))) or 1
    return int(np.ceil(h / cols)), cols


class MnistView(Widget, can_focus=True):
    """Everything about an image data set's MLP, for a Session whose dataset has image_shape."""

    DEFAULT_CSS = CSS_FILE.read_text(encoding="utf-8")

    BINDINGS = [
        Binding("n", "sample(1)", "Next sample"),
        Binding("N", "sample(-1)", "Prev sample", show=False),
        Binding("u", "unit(1)", "Next unit"),
        Binding("U", "unit(-1)", "Prev unit", show=False),
        Binding("f", "forward", "Fwd node"),
        Binding("b", "backward", "Back node"),
        Binding("s", "whole_step", "Step batch"),
        Binding("e", "train_epoch", "Train epoch"),
        Binding("space", "play", "Play/Pause"),
        Binding("m", "mistake(1)", "Next mistake"),
        Binding("M", "mistake(-1)", "Prev mistake", show=False),
        Binding("a", "toggle_ascii", "ASCII"),
        Binding("v", "toggle_grad", "Value/grad", show=False),
        Binding("1", "tab(0)", "Network", show=False),
        Binding("2", "tab(1)", "Backprop", show=False),
        Binding("3", "tab(2)", "Regions", show=False),
        Binding("4", "tab(3)", "Training", show=False),
        Binding("5", "tab(4)", "Mistakes", show=False),
    ]

    def __init__(
        self,
        session,
        *,
        sample: int = 0,
        ascii_mode: bool = False,
        plane_samples: int = PLANE_SAMPLES,
        redraw_s: float = REDRAW_S,
        epoch_eval_s: float = EPOCH_EVAL_S,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ):
        super().__init__(name=name, id=id, classes=classes)
        ds = session.dataset
        if ds is None or ds.image_shape is None or ds.x_test is None:
            raise ValueError("the MNIST view needs an image data set with a test split")
        self.session = session
        self.ds = ds
        self.names = ds.class_names or tuple(str(k) for k in range(ds.n_outputs))
        self.labels_test = ds.labels_test
        self.sample = int(sample) % ds.n_test
        self.ascii_mode = ascii_mode
        self.redraw_s = redraw_s
        self.epoch_eval_s = epoch_eval_s
        self.hidden_name, self.w1_name, self.w_out_name = lv.layer_names(session.model)
        self.n_hidden = session.model.value(self.w1_name).shape[1]
        self.unit = 0
        self.stepper = BatchStepper(session)
        self.show_grad = False
        self.node = session.model.program.find("z2") if "z2" in session.model.program.names else 0
        self.batch_row = 0
        self.history: list[dict] = []
        self.live: lv.Live | None = None
        self.epoch_data: lv.EpochData | None = None
        self.mistake_pos = -1
        self.rate = 0.0
        self.compile_s: float | None = None
        self.training = False  # a worker is running or about to run
        self._busy = threading.Event()  # set while a worker may touch the engine
        self._sample_request = self.sample
        self._grid = (64, 28)
        self._regions_shown = False  # the worker classifies the plane only when it is seen
        self.region_epoch = 0
        self.region_epoch_steps: tuple | None = None
        self._stop_requested = False
        self._drawn_sample: tuple | None = None
        self._statics: dict[str, Static] = {}
        self._shown: dict[str, object] = {}  # what each of them shows
        self._prompts: dict[int, tuple] = {}  # the node list's current prompts
        self.redraws = 0  # Live updates drawn (for measuring the redraw rate)
        self.last_stop = ""
        self.runs: list[tuple[str, int, float, int]] = []  # (reason, samples, seconds, redraws)
        # The PCA plane depends on the inputs only: fit once.
        self.plane = pca.fit_plane(ds.x_train, seed=0)
        coords = self.plane.project(ds.x_test)
        self.extent = pca.extent_of(coords)
        pick = np.linspace(0, ds.n_test - 1, min(plane_samples, ds.n_test)).astype(np.int64)
        self.plane_coords = coords[pick]
        self.plane_labels = self.labels_test[pick]

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Horizontal(id="mnist-body"):
            with Vertical(id="mnist-side"):
                yield Static(id="mnist-sample-title")
                yield Picture(id="mnist-sample-picture")
                yield Static(id="mnist-sample-caption")
                yield Static(id="mnist-sample-probs")
            with TabbedContent(initial="mnist-tab-network", id="mnist-tabs"):
                with TabPane("1 Network", id="mnist-tab-network"):
                    with Horizontal(id="mnist-network-top"):
                        with Vertical(id="mnist-unit-box"):
                            yield Static(id="mnist-unit-title")
                            yield Picture(id="mnist-unit-picture")
                            yield Static(id="mnist-unit-caption")
                        with Vertical(id="mnist-hidden-box"):
                            yield Static(id="mnist-hidden-title")
                            yield Picture(id="mnist-hidden-picture")
                            yield Static(id="mnist-hidden-caption")
                        yield Static(id="mnist-unit-votes")
                    yield Static(id="mnist-w-out-title")
                    with Horizontal(id="mnist-w-out-row"):
                        yield Static("\n".join(self.names), id="mnist-w-out-labels")
                        yield Picture(id="mnist-w-out-picture")
                with TabPane("2 Backprop", id="mnist-tab-backprop"):
                    yield Static(id="mnist-step-status")
                    with Horizontal(id="mnist-backprop-body"):
                        with Vertical(id="mnist-backprop-left"):
                            yield OptionList(id="mnist-node-list")
                            yield Static(id="mnist-softmax-check")
                        with Vertical(id="mnist-inspector"):
                            yield Static(id="mnist-node-summary")
                            yield MatrixView(id="mnist-node-matrix")
                            yield Static(id="mnist-element-info")
                with TabPane("3 Regions", id="mnist-tab-regions"):
                    yield Static(id="mnist-regions-caption")
                    yield RegionMap(id="mnist-regions")
                with TabPane("4 Training", id="mnist-tab-training"):
                    yield Static(id="mnist-progress-bars")
                    yield Static(id="mnist-train-rate")
                    yield Static(id="mnist-epoch-table")
                    yield Static(id="mnist-confusion")
                with TabPane("5 Mistakes", id="mnist-tab-mistakes"):
                    yield Static(id="mnist-mistakes-caption")
                    with Grid(id="mnist-mistake-grid"):
                        for i in range(MISTAKE_TILES):
                            with Vertical(classes="mnist-tile"):
                                yield Picture(id=f"mnist-mistake-picture-{i}")
                                yield Static(id=f"mnist-mistake-caption-{i}")
        yield Static(id="mnist-status")

    def on_mount(self) -> None:
        regions = self.query_one("#mnist-regions", RegionMap)
        regions.set_points(self.plane_coords, self.plane_labels)
        regions.set_ascii(self.ascii_mode)
        options = [Option(self._node_prompt(i), id=f"node-{i}") for i in range(self._n_nodes)]
        node_list = self.query_one("#mnist-node-list", OptionList)
        node_list.add_options(options)
        node_list.highlighted = self.node
        self._refresh_from_engine(epoch=True)
        self.focus()

    @property
    def _n_nodes(self) -> int:
        return len(self.session.model.program)

    # ------------------------------------------------------------ reading the engine (idle)
    def _refresh_from_engine(self, epoch: bool = False) -> None:
        """Take fresh copies from the engine and redraw; only while no worker runs."""
        if self._busy.is_set():
            return
        self.live = lv.take_live(self.session, self.sample)
        if epoch or self.epoch_data is None:
            grid = self._grid if self._regions_shown else None
            self._take_epoch(lv.evaluate_epoch(self.session, self.plane, self.extent, grid))
        self._draw_live()
        self._draw_backprop()
        self._draw_status()

    # ------------------------------------------------------------ drawing
    def _put(self, selector: str, content) -> None:
        """Update a Static of fixed size (see mnist.tcss) without a layout pass: during
        training a full layout on every redraw would cost more than the drawing."""
        widget = self._statics.get(selector)
        if widget is None:
            widget = self._statics[selector] = self.query_one(selector, Static)
        key = (
            (content.plain, tuple(content.spans), content.style)
            if isinstance(content, Text)
            else content
        )
        if self._shown.get(selector) == key:
            return  # unchanged: no refresh
        self._shown[selector] = key
        widget.update(content, layout=False)

    def _active(self) -> str:
        return self.query_one("#mnist-tabs", TabbedContent).active

    def _draw_live(self) -> None:
        """Redraw what depends on the parameters: the sample panel and the visible tab."""
        live = self.live
        if live is None:
            return
        self._draw_sample(live if live.sample == self.sample else None)
        tab = self._active()
        if tab == "mnist-tab-network":
            self._draw_network(live)
        elif tab == "mnist-tab-training":
            self._draw_progress(live)

    def _draw_sample(self, live: lv.Live | None) -> None:
        ds = self.ds
        i = self.sample
        h, w = ds.image_shape
        true = int(self.labels_test[i])
        if self._drawn_sample != (i, self.ascii_mode):  # the picture changes with the sample only
            self._drawn_sample = (i, self.ascii_mode)
            self._put(
                "#mnist-sample-title",
                Text.assemble(("test digit ", ""), (f"#{i}", "bold"), f" of {ds.n_test:,}"),
            )
            self.query_one("#mnist-sample-picture", Picture).show(
                ds.x_test[i].reshape(h, w), 0.0, 1.0, cmap="grey", ascii_mode=self.ascii_mode
            )
        if live is None:
            self._put("#mnist-sample-caption", f"label {self.names[true]} · …")
            return
        pred = int(np.argmax(live.probs))
        mark = "✓" if pred == true else "✗"
        caption = Text.assemble(
            "label ",
            (self.names[true], "bold"),
            " · predicted ",
            (self.names[pred], "bold"),
            f" {mark}",
        )
        if self.mistake_pos >= 0 and self.epoch_data is not None:
            wrong = self._mistakes()
            if len(wrong) and i in wrong:
                caption.append(f"\nmistake {self.mistake_pos + 1} of {len(wrong)}")
        self._put("#mnist-sample-caption", caption)
        self._put(
            "#mnist-sample-probs",
            prob_text(
                live.probs,
                self.names,
                true=true,
                width=12,
                ascii_mode=self.ascii_mode,
                title="p (softmax output)",
            ),
        )

    def _draw_network(self, live: lv.Live) -> None:
        h, w = self.ds.image_shape
        u = self.unit
        col = live.W1[:, u]
        m = float(np.max(np.abs(col))) or 1.0
        self._put(
            "#mnist-unit-title",
            Text.assemble(("hidden unit ", "bold"), (f"{u}", "bold"), f" of {self.n_hidden}"),
        )
        self.query_one("#mnist-unit-picture", Picture).show(
            col.reshape(h, w), -m, m, cmap="diverging", ascii_mode=self.ascii_mode
        )
        act = ""
        if live.hidden.size and live.sample == self.sample:
            act = f"\n{self.hidden_name}[{u}] = {live.hidden[u]:.3f} for this digit"
        self._put(
            "#mnist-unit-caption",
            f"weights into it: {self.w1_name}[:, {u}]\nblue − · red + · ±{m:.3g}{act}",
        )
        if live.hidden.size:
            rows, cols = grid_shape(self.n_hidden)
            grid = np.zeros(rows * cols)
            grid[: self.n_hidden] = live.hidden
            hi = max(1.0, float(live.hidden.max()))
            self._put("#mnist-hidden-title", Text(f"activations {self.hidden_name}", style="bold"))
            self.query_one("#mnist-hidden-picture", Picture).show(
                grid.reshape(rows, cols), 0.0, hi, cmap="heat", ascii_mode=self.ascii_mode, sx=2
            )
            r, c = divmod(u, cols)
            self._put(
                "#mnist-hidden-caption",
                f"{self.n_hidden} units, {cols} a row\nscale 0 … {hi:.3g}\n"
                f"unit {u}: row {r}, col {c}\nmean {live.hidden.mean():.3f}",
            )
        votes = live.W_out[u] if live.W_out.shape[0] == self.n_hidden else None
        if votes is not None:
            text = Text(f"{self.w_out_name}[{u}, :] — how unit {u}\nvotes for each class\n")
            text.append_text(signed_bars(votes, self.names, width=8))
            self._put("#mnist-unit-votes", text)
        w_out = live.W_out.T  # classes × hidden
        start = (u // W_OUT_WINDOW) * W_OUT_WINDOW
        window = w_out[:, start : start + W_OUT_WINDOW]
        m = float(np.max(np.abs(window))) or 1.0
        title = Text(
            f"output weights {self.w_out_name}ᵀ (class × hidden units {start} … "
            f"{start + window.shape[1] - 1}) · blue − red + · ±{m:.3g}\n",
            style="bold",
        )
        title.append(" " * (2 * (u - start)) + ("▼" if not self.ascii_mode else "v") + f" {u}")
        self._put("#mnist-w-out-title", title)
        self.query_one("#mnist-w-out-picture", Picture).show(
            window, -m, m, cmap="diverging", ascii_mode=self.ascii_mode, sx=2, half=False
        )

    def _draw_progress(self, live: lv.Live) -> None:
        t = self.session.trainer
        bars = Text()
        for label, done, total in (
            ("epochs ", live.epoch, t.epochs),
            ("batches", live.batch, live.batches),
        ):
            frac = done / total if total else 0.0
            bar = render.bar(frac, 32)
            if self.ascii_mode:
                bar = bar.replace("█", "#").translate(str.maketrans("▏▎▍▌▋▊▉", "|||||||"))
            bars.append(f"{label} ", style="bold")
            bars.append(bar.replace(" ", "·" if self.ascii_mode else "─"), style="green")
            bars.append(f" {done}/{total} ({frac:.0%})\n")
        bars.rstrip()
        self._put("#mnist-progress-bars", bars)
        rate = f"{self.rate:,.0f} samples/s" if self.rate else "— samples/s"
        compile_s = f" · compiled in {self.compile_s:.2f} s" if self.compile_s is not None else ""
        self._put(
            "#mnist-train-rate", f"step {live.steps:,} · {rate} (this run, with drawing){compile_s}"
        )

    def _take_epoch(self, data: lv.EpochData) -> None:
        self.epoch_data = data
        if data.classes is not None:
            self.region_epoch = data.epoch
            self.region_epoch_steps = (data.steps, (data.classes.shape[1], data.classes.shape[0]))
            self.query_one("#mnist-regions", RegionMap).set_grid(data.classes, data.extent)
        self._draw_epoch()

    def _update_regions(self) -> None:
        """Classify the plane now if it is shown, out of date and the engine is free."""
        if not self._regions_shown or self._busy.is_set():
            return
        regions = self.query_one("#mnist-regions", RegionMap)
        current = self.session.trainer.steps
        if regions.grid is not None and self.region_epoch_steps == (current, self._grid):
            return
        classes = lv.classify_plane(self.session, self.plane, self.extent, self._grid)
        self.region_epoch_steps = (current, self._grid)
        self.region_epoch = self.session.trainer.epoch
        regions.set_grid(classes, self.extent)
        self._draw_regions_caption()

    def _draw_regions_caption(self) -> None:
        ev = self.plane.explained
        self._put(
            "#mnist-regions-caption",
            f"PCA plane of the training images: → PC1 ({ev[0]:.1%} of the variance), "
            f"↑ PC2 ({ev[1]:.1%}). A cell shows the class predicted for mean + a·PC1 + b·PC2 "
            f"(after epoch {self.region_epoch}); bold digits are test digits (true class) "
            f"at their projection.",
        )

    def _draw_epoch(self) -> None:
        """Redraw what depends on the test predictions (on the visible tab)."""
        data = self.epoch_data
        if data is None:
            return
        tab = self._active()
        if tab == "mnist-tab-regions":
            self._draw_regions_caption()
        if tab == "mnist-tab-training":
            self._put(
                "#mnist-confusion",
                Text.assemble(
                    (f"confusion on the test set after epoch {data.epoch}\n", "bold"),
                    confusion_text(data.confusion, self.names, self.ascii_mode),
                ),
            )
        elif tab == "mnist-tab-mistakes":
            self._draw_mistakes()

    def _draw_history(self) -> None:
        text = Text("epoch    loss   train    test\n", style="bold")
        for row in self.history[-8:]:
            acc = row["accuracy"]
            test = row["test_accuracy"]
            text.append(
                f"{row['epoch']:>5} {row['loss']:7.4f} "
                f"{'' if acc is None else f'{acc:7.2%}':>7} "
                f"{'' if test is None else f'{test:7.2%}':>7}\n"
            )
        text.rstrip()
        self._put("#mnist-epoch-table", text)

    def _mistakes(self) -> np.ndarray:
        if self.epoch_data is None:
            return np.zeros(0, np.int64)
        return np.flatnonzero(self.epoch_data.preds != self.labels_test)

    def _draw_mistakes(self) -> None:
        data = self.epoch_data
        wrong = self._mistakes()
        h, w = self.ds.image_shape
        n = len(wrong)
        start = max(self.mistake_pos, 0)
        self._put(
            "#mnist-mistakes-caption",
            f"{n:,} of {self.ds.n_test:,} test digits misclassified after epoch "
            f"{data.epoch if data else 0}; m / M steps through them"
            + (f" (showing {start + 1} …)" if n else ""),
        )
        for t in range(MISTAKE_TILES):
            pic = self.query_one(f"#mnist-mistake-picture-{t}", Picture)
            cap = f"#mnist-mistake-caption-{t}"
            if t >= n:
                pic.clear()
                self._put(cap, "")
                continue
            i = int(wrong[(start + t) % n])
            pic.show(self.ds.x_test[i].reshape(h, w), 0, 1, ascii_mode=self.ascii_mode)
            pred = int(data.preds[i])
            true = int(self.labels_test[i])
            self._put(
                cap,
                f"#{i} true {self.names[true]} → {self.names[pred]} ({data.probs[i, pred]:.0%})",
            )

    def _draw_status(self, extra: str = "") -> None:
        t = self.session.trainer
        state = "training…" if self.training else "paused"
        acc = ""
        if self.epoch_data is not None:
            acc = f" · test accuracy {self.epoch_data.accuracy:.2%}"
        msg = f" · {extra}" if extra else ""
        self._put(
            "#mnist-status",
            f"{self.session.scenario.name} · {self.ds.source} · epoch {t.epoch}/{t.epochs} · "
            f"step {t.steps:,}{acc} · {state}{msg}",
        )

    # ------------------------------------------------------------ backprop tab
    def _node_prompt(self, i: int) -> Text:
        p = self.session.model.program
        st = self.stepper
        f = "●" if st.forward_done(i) else "·"
        b = "∇" if st.grad_ready(i) and p.needs_grad(i) else " "
        shape = "×".join(str(s) for s in p.shape(i))
        text = Text(f"{f}{b} ")
        text.append(f"{p.name(i):<5}", style="bold")
        text.append(f" {shape:>7}  ", style="dim")
        formula = p.graph.expression(i, expand=False)
        text.append(formula[:18])
        return text

    def _draw_backprop(self) -> None:
        if self._busy.is_set() or self._active() != "mnist-tab-backprop":
            return
        p = self.session.model.program
        st = self.stepper
        self._put("#mnist-step-status", Text.assemble(("step by hand: ", "bold"), st.status()))
        node_list = self.query_one("#mnist-node-list", OptionList)
        for i in range(self._n_nodes):
            prompt = self._node_prompt(i)
            if self._prompts.get(i) != (prompt.plain, tuple(prompt.spans)):
                self._prompts[i] = (prompt.plain, tuple(prompt.spans))
                node_list.replace_option_prompt_at_index(i, prompt)
        i = self.node
        name = p.name(i)
        value = p.value(i)
        grad = p.grad(i) if p.needs_grad(i) else None
        text = Text.assemble((p.graph.formula(i), "bold"), f"   shape {value.shape}\n")
        for label, arr, ok in (
            ("value", value, st.forward_done(i) or p.graph.nodes[i].op in ops.LEAF_CODES),
            (f"∂L/∂{name}", grad, grad is not None and st.grad_ready(i)),
        ):
            if arr is None:
                text.append(f"{label}: not needed (no parameter behind it)\n", style="dim")
                continue
            s = lv.summary(arr)
            stale = "" if ok else " (not yet)"
            text.append(f"{label:<8}", style="bold")
            text.append(f" mean {s['mean']:+.4g}  std {s['std']:.4g}{stale}\n")
            text.append(f"{'':<8} min {s['min']:+.4g}  max {s['max']:+.4g}\n")
            text.append(f"{'':<8} {render.histogram_text(arr, 32)}\n", style="dim")
        text.rstrip()
        self._put("#mnist-node-summary", text)
        matrix = self.query_one("#mnist-node-matrix", MatrixView)
        shown = grad if (self.show_grad and grad is not None) else value
        which = f"∂L/∂{name}" if shown is grad and grad is not None else name
        matrix.set_matrix(which, shown.copy())
        self._draw_element()
        self._draw_softmax_check()

    def _draw_element(self) -> None:
        if self._busy.is_set():
            return
        p = self.session.model.program
        i = self.node
        name = p.name(i)
        matrix = self.query_one("#mnist-node-matrix", MatrixView)
        r, c = matrix.row, matrix.col
        value = p.value(i)
        if r >= value.shape[0] or c >= value.shape[1]:
            return
        text = Text.assemble(
            ("showing " + ("∂L/∂" + name if self.show_grad else name) + " (v switches) · ", "dim"),
            (f"{name}[{r}, {c}]", "bold"),
            f" = {value[r, c]:+.6g}",
        )
        if p.needs_grad(i):
            text.append(f" · ∂L/∂{name}[{r}, {c}] = {p.grad(i)[r, c]:+.6g}")
        node = p.graph.nodes[i]
        if node.rows is None and self.stepper.rows is not None and r < len(self.stepper.rows):
            row = int(self.stepper.rows[r])
            label = int(self.ds.labels_train[row])
            text.append(f"\nbatch row {r} is training digit #{row} (label {self.names[label]})")
        if name == self.w1_name:
            h, w = self.ds.image_shape
            text.append(f"\npixel ({r // w}, {r % w}) → hidden unit {c}")
        self._put("#mnist-element-info", text)

    def _draw_softmax_check(self) -> None:
        p = self.session.model.program
        out = "#mnist-softmax-check"
        names = p.names
        if "z2" not in names or "p" not in names or "y" not in names:
            self._put(out, "")
            return
        z = "z2"
        r = self.batch_row
        head = Text("softmax + cross-entropy\n", style="bold")
        head.append(f"∂L/∂{z} = (p − y) / rows\n", style="dim")
        if not self.stepper.grad_ready(p.find(z)):
            head.append("step backward through L (b)\nto see it for one batch row")
            self._put(out, head)
            return
        rows = p.batch
        r = min(r, rows - 1)
        g = p.grad(z)[r] * rows
        diff = p.value("p")[r] - p.value("y")[r]
        head.append(f"batch row {r} of {rows}\n")
        head.append(" k  rows·∂L/∂z2     p − y\n", style="bold")
        for k in range(len(g)):
            style = "bold" if p.value("y")[r, k] > 0.5 else ""
            head.append(f"{self.names[k]:>2} {g[k]:+12.6f} {diff[k]:+9.6f}\n", style=style)
        err = float(np.max(np.abs(g - diff)))
        head.append(f"max |difference| = {err:.1e}")
        self._put(out, head)

    # ------------------------------------------------------------ events
    @on(OptionList.OptionHighlighted, "#mnist-node-list")
    def _node_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index == self.node:
            return
        self.node = event.option_index
        self.query_one("#mnist-node-matrix", MatrixView).set_matrix("", None, keep_cursor=False)
        self._draw_backprop()

    @on(MatrixView.CursorMoved, "#mnist-node-matrix")
    def _cursor_moved(self, event: MatrixView.CursorMoved) -> None:
        node = self.session.model.program.graph.nodes[self.node]
        if node.rows is None:
            self.batch_row = event.row
            self._draw_softmax_check()
        self._draw_element()

    @on(RegionMap.Resized)
    def _regions_resized_event(self) -> None:
        self.call_after_refresh(self._regions_resized)

    def _regions_resized(self) -> None:
        size = self.query_one("#mnist-regions", RegionMap).size
        if size.width >= 4 and size.height >= 4:
            self._grid = (size.width, size.height)
        self._update_regions()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self._regions_shown = self._active() == "mnist-tab-regions"
        self._draw_live()
        self._draw_epoch()
        self._draw_history()
        if not self._busy.is_set():
            self._draw_backprop()
        self.call_after_refresh(self._regions_resized)

    # ------------------------------------------------------------ actions
    def action_tab(self, n: int) -> None:
        self.query_one("#mnist-tabs", TabbedContent).active = TABS[n]

    def action_sample(self, step: int) -> None:
        self.set_sample(self.sample + step)

    def set_sample(self, i: int) -> None:
        self.sample = int(i) % self.ds.n_test
        self._sample_request = self.sample
        if self._busy.is_set():
            self._draw_sample(None)  # the worker's next snapshot brings its probabilities
        else:
            self._refresh_from_engine()

    def action_unit(self, step: int) -> None:
        self.set_unit(self.unit + step)

    def set_unit(self, u: int) -> None:
        self.unit = int(u) % self.n_hidden
        if self.live is not None:
            self._draw_network(self.live)

    def action_toggle_ascii(self) -> None:
        self.ascii_mode = not self.ascii_mode
        self.query_one("#mnist-regions", RegionMap).set_ascii(self.ascii_mode)
        self._draw_live()
        self._draw_epoch()
        self._draw_history()

    def action_toggle_grad(self) -> None:
        self.show_grad = not self.show_grad
        self._draw_backprop()

    def action_mistake(self, step: int) -> None:
        wrong = self._mistakes()
        if not len(wrong):
            self.notify("no misclassified test digits")
            return
        self.mistake_pos = (self.mistake_pos + step) % len(wrong)
        self.set_sample(int(wrong[self.mistake_pos]))
        self._draw_mistakes()

    def _refuse_while_training(self) -> bool:
        """Stepping by hand: refused while training; otherwise shown on the Backprop tab."""
        if self._busy.is_set():
            self.notify("training is running: pause it first (space)", severity="warning")
            return True
        self.query_one("#mnist-tabs", TabbedContent).active = "mnist-tab-backprop"
        return False

    def action_forward(self) -> None:
        if self._refuse_while_training():
            return
        try:
            done = self.stepper.forward()
        except StepError as exc:
            self.notify(str(exc), severity="warning")
            return
        self._after_step(done)

    def action_backward(self) -> None:
        if self._refuse_while_training():
            return
        try:
            done, updated = self.stepper.backward()
        except StepError as exc:
            self.notify(str(exc), severity="warning")
            return
        self._after_step(done, updated)

    def action_whole_step(self) -> None:
        if self._refuse_while_training():
            return
        self._after_step(self.stepper.finish(), True)

    def _after_step(self, done: str, updated: bool = False) -> None:
        nxt = self.stepper.next_node()
        if nxt is not None and not updated:
            self.node = nxt if self.stepper.phase != "backward" else min(nxt + 1, self._n_nodes - 1)
            self.query_one("#mnist-node-list", OptionList).highlighted = self.node
        if updated:
            self._refresh_from_engine(epoch=True)
        else:
            self._draw_backprop()
            self._draw_status(done)
            return
        self._draw_status(done)

    def action_train_epoch(self) -> None:
        if self._busy.is_set():
            self.notify("training is running")
            return
        t = self.session.trainer
        target = t.epoch + 1  # to the end of the epoch in progress
        if target > t.epochs:
            t.epochs = target  # one more epoch past the scenario's count
        self._start(target)

    def stop_training(self) -> None:
        """Ask the worker to stop after its current chunk (at most ~0.05 s of training)."""
        self._stop_requested = True
        for worker in self._train_workers():
            worker.cancel()

    def on_unmount(self) -> None:
        self.stop_training()

    def action_play(self) -> None:
        if self._busy.is_set():
            self.stop_training()
            return
        t = self.session.trainer
        if t.epoch >= t.epochs:
            more = self.session.scenario.training.epochs
            t.epochs = t.epoch + more
            self.notify(f"all epochs done: training {more} more")
        self._start(None)

    def _start(self, target: int | None) -> None:
        if self.stepper.active:
            self.stepper.abandon()
            self.notify("dropped the step in progress (no parameter had changed)")
        self.training = True
        self._stop_requested = False
        self._busy.set()
        self._draw_status()
        self._train(target)

    def _train_workers(self) -> list:
        return [w for w in self.workers if w.node is self and w.group == "mnist-train"]

    # ------------------------------------------------------------ the worker
    @work(thread=True, exclusive=True, group="mnist-train", exit_on_error=False)
    def _train(self, target_epoch: int | None) -> None:
        worker = get_current_worker()
        session = self.session
        trainer = session.trainer
        events = trainer.run()
        reason, text = "paused", ""
        last_live = last_eval = 0.0
        t0 = time.perf_counter()
        seen0 = _samples_seen(trainer)
        t_end, seen_end = t0, seen0
        rows: list[dict] = []  # epochs not yet posted
        try:
            with blas_threads(spare_one_core()):
                for ev in events:
                    now = time.perf_counter()
                    if isinstance(ev, Started):
                        t0, t_end = now, now  # after compiling / warming up
                        self.post_message(
                            TrainingStarted(ev.compile_s, ev.epochs, ev.batches_per_epoch)
                        )
                    elif isinstance(ev, Progress):
                        t_end, seen_end = now, _samples_seen(trainer)
                        if now - last_live >= self.redraw_s:
                            last_live = now
                            rate = (seen_end - seen0) / (now - t0) if now > t0 else 0.0
                            snap = lv.take_live(session, self._sample_request, keep_values=False)
                            self.post_message(LiveUpdate(snap, rate))
                    elif isinstance(ev, EpochsDone):
                        rows.extend(ev.rows())
                        last_one = ev.last_epoch >= (target_epoch or trainer.epochs)
                        data = None
                        if last_one or now - last_eval >= self.epoch_eval_s:
                            last_eval = now
                            grid = self._grid if self._regions_shown else None
                            data = lv.evaluate_epoch(
                                session, self.plane, self.extent, grid, keep_values=False
                            )
                        t_end, seen_end = time.perf_counter(), _samples_seen(trainer)
                        # Epochs of a small set end many times a second: one message per redraw.
                        if data is not None or t_end - last_live >= self.redraw_s:
                            snap = lv.take_live(session, self._sample_request, keep_values=False)
                            rate = (seen_end - seen0) / (t_end - t0) if t_end > t0 else 0.0
                            self.post_message(EpochUpdate(rows, data, snap, rate))
                            rows = []
                            last_live = t_end
                        if target_epoch is not None and ev.last_epoch >= target_epoch:
                            reason = "epoch"
                            break
                    elif isinstance(ev, Diverged):
                        reason, text = "diverged", ev.message
                    elif isinstance(ev, Finished):
                        reason = "finished"
                        if ev.test_accuracy is not None:
                            text = (
                                f"finished: train accuracy {ev.train_accuracy:.2%}, "
                                f"test accuracy {ev.test_accuracy:.2%}"
                            )
                    if worker.is_cancelled or self._stop_requested:
                        break
        except Exception as exc:  # shown to the user; the app keeps running
            reason, text = "error", f"training failed: {exc}"
        finally:
            events.close()
            self._busy.clear()
            self.post_message(TrainingStopped(reason, text, seen_end - seen0, t_end - t0, rows))

    # ------------------------------------------------------------ worker messages
    def on_training_started(self, message: TrainingStarted) -> None:
        if self.compile_s is None:
            self.compile_s = message.compile_s

    def on_live_update(self, message: LiveUpdate) -> None:
        self.live = message.live
        self.rate = message.rate
        self.redraws += 1
        self._draw_live()
        self._draw_status()

    def on_epoch_update(self, message: EpochUpdate) -> None:
        self.redraws += 1
        self.history.extend(message.rows)
        self._draw_history()
        if message.data is not None:
            self._take_epoch(message.data)
        self.live = message.live
        self.rate = message.rate
        self._draw_live()
        self._draw_status()

    def on_training_stopped(self, message: TrainingStopped) -> None:
        self.training = False
        self.last_stop = message.reason
        self.runs.append((message.reason, message.samples, message.seconds, self.redraws))
        if message.rows:
            self.history.extend(message.rows)
            self._draw_history()
        if message.reason in ("diverged", "error"):
            self.notify(message.text, severity="error", timeout=8)
        self._refresh_from_engine(epoch=True)
        self._draw_status(message.text or message.reason)


class MnistScreen(Screen):
    """The MNIST view with a header and the key footer."""

    def __init__(self, session, **view_options):
        super().__init__()
        self.session = session
        self.view_options = view_options

    def compose(self) -> ComposeResult:
        yield Header()
        yield MnistView(self.session, id="mnist-view", **self.view_options)
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"nnviz · {self.session.scenario.name}"
        self.sub_title = self.session.scenario.description

    def cancel(self) -> None:
        """Stop training (the explorer calls this before quitting or switching scenario)."""
        self.query_one(MnistView).stop_training()
