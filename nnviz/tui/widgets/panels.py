"""The explorer's text panels: the graph, the node inspector, training, the truth table and
forward vs reverse mode. Each is a function from a Snapshot (copies of the engine's numbers)
to rich Text, shown by a TextPanel that re-renders itself at its new width when resized.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from nnviz import regions
from nnviz.engine import ops
from nnviz.explain import ModesReport
from nnviz.explorer import BACKWARD, FORWARD, Controller, Snapshot, TruthRow
from nnviz.tui import fmt
from nnviz.tui.draw import plot as chart
from nnviz.tui.widgets.validation import validation_text

BLOCKS = " ▁▂▃▄▅▆▇█"


class TextPanel(Static):
    """A Static whose text is made for its current width by a source function.

    A panel out of sight (a side panel not shown) makes its text when it comes into view or
    when `plain` is read, not at every frame: while training plays, only what shows costs.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("", *args, **kwargs)
        self._source: Callable[[int], Text] | None = None
        self._plain = ""
        self._rows = 0  # rows shown, after wrapping
        # called once laid out after the number of rows changed (Textual sets a scrolling
        # parent's virtual size without telling its watchers when no layout is asked for)
        self.after_layout: Callable[[], None] | None = None
        self._stale = False
        self._shown: Text | None = None
        self._width = 0  # the width the shown text was fitted to
        self._starts: list[int] = [0]  # the row each line of the text starts on, then the end

    @property
    def plain(self) -> str:
        """The text shown, as plain characters (made now if it is out of date)."""
        if self._stale:
            self._draw()
        return self._plain

    def show(self, source: Callable[[int], Text]) -> None:
        self._source = source
        self._stale = True
        if self._in_sight():
            self._draw()

    def _in_sight(self) -> bool:
        node = self
        while node is not None and node is not self.screen:
            if not node.display:
                return False
            node = node.parent
        return True

    def _draw(self) -> None:
        if self._source is None:
            return
        self._stale = False
        width = self.size.width or self.app.size.width // 2 or 40
        text = self._source(width)
        if text == self._shown and width == self._width and self.size.height > 0:
            return  # unchanged (a key that moved something else): nothing to render again
        self._shown = text
        self._plain = text.plain
        shown = self._fitted(text, width)
        # the same number of rows at the same width: repaint only, no layout pass (the costly
        # part of a frame)
        rows = self._starts[-1]
        same = rows == self._rows and width == self._width and self.size.height > 0
        self._rows = rows
        self._width = width
        self.update(shown, layout=not same)
        if not same and self.after_layout is not None:
            self.call_after_refresh(self.after_layout)

    def row_of(self, line: int) -> int:
        """The row, as shown after wrapping, on which this line of the text starts."""
        if self._stale:
            self._draw()
        return self._starts[min(max(line, 0), len(self._starts) - 1)]

    def _fitted(self, text: Text, width: int) -> Text:
        """The text with its long lines wrapped here, by rich (Textual's own wrapping differs
        between versions); where each line starts is kept for scrolling to it."""
        plain = text.plain.split("\n")
        if all(cell_len(line) <= width for line in plain):
            self._starts = list(range(len(plain) + 1))
            return text
        rows: list[Text] = []
        starts = []
        for line in text.split("\n", allow_blank=True):
            starts.append(len(rows))
            rows.extend(line.wrap(self.app.console, width) or [Text()])
        self._starts = [*starts, len(rows)]
        return Text("\n").join(rows)

    def on_show(self) -> None:
        if self._stale:
            self._draw()

    def on_resize(self) -> None:
        self._draw()


# ====================================================================== helpers
def grad_ready(ctl: Controller, snap: Snapshot, i: int) -> bool:
    """Is ∂L/∂node i complete in this snapshot (every consumer's rule has run)?"""
    if not ctl.program.needs_grad(i):
        return False
    consumers = [c for c in ctl.graph.consumers(i) if ctl.program.needs_grad(c)]
    if not consumers:
        return snap.backward_from < ctl.n and snap.backward_from <= i
    return min(consumers) >= snap.backward_from


def value_ready(ctl: Controller, snap: Snapshot, i: int) -> bool:
    node = ctl.graph.nodes[i]
    if node.op in (ops.PARAM, ops.CONST):
        return True
    if ctl.is_graph and node.op == ops.INPUT:
        return True
    return i < snap.forward_upto


def sample_rows(ctl: Controller, snap: Snapshot, i: int, sample: int, whole: bool):
    """The rows of node i to show: one sample of a batched node, or all of it."""
    arr = ctl.view(snap.values, i, snap.batch)
    return pick_rows(ctl, i, arr, sample, whole)


def pick_rows(ctl, i, arr, sample, whole):
    if ctl.graph.nodes[i].rows is None and not whole:
        return arr[min(sample, arr.shape[0] - 1)]
    return arr


def loss_name(ctl: Controller) -> str:
    return fmt.sub(ctl.node_name(ctl.loss)) if ctl.loss is not None else "L"


def wrap(name: str) -> str:
    """A compound node name in parentheses, so '∂f/∂(2*x)' reads right."""
    return name if name.replace("_", "").isalnum() else f"({name})"


def node_title(ctl: Controller, i: int) -> str:
    return fmt.sub(ctl.graph.formula(i))


# ====================================================================== graph panel
def graph_text(
    ctl: Controller, snap: Snapshot, selected: int, sample: int, width: int, playing: str
) -> Text:
    n = ctl.n
    formulas = [fmt.sub(ctl.graph.formula(i)) for i in range(n)]
    shapes = []
    for i in range(n):
        rows, cols = ctl.shape(i, snap.batch)
        shapes.append(f"{rows}×{cols}")
    fw = min(max(len(f) for f in formulas), max(width // 2 - 4, 12))
    sw = max(len(s) for s in shapes)
    rest = max(width - 3 - fw - 1 - sw - 2, 8)
    vw = rest // 2
    gw = rest - vw - 1
    out = Text(no_wrap=True, overflow="ellipsis")
    lname = fmt.sub(ctl.node_name(ctl.loss)) if ctl.loss is not None else "L"
    head = f"   {'node':<{fw}} {'shape':>{sw}}  {'value':<{vw}} {'∂' + lname + '/∂·':<{gw}}"
    out.append(head[:width] + "\n", style="bold underline")
    ranged = False
    for i in range(n):
        node = ctl.graph.nodes[i]
        mark = "  "
        style = ""
        if i == snap.cursor and snap.phase == FORWARD:
            mark, style = "→ ", "bold black on green"
        elif i == snap.cursor and snap.phase == BACKWARD:
            mark, style = "← ", "bold black on magenta"
        pointer = "›" if i == selected else " "
        formula = formulas[i]
        if len(formula) > fw:
            formula = formula[: fw - 1] + "…"
        if value_ready(ctl, snap, i):
            value = pick_rows(ctl, i, ctl.view(snap.values, i, snap.batch), sample, False)
            value = cell_text(value, vw)
            ranged |= "…" in value and "[" not in value
        else:
            value = "·"
        if grad_ready(ctl, snap, i):
            grad = pick_rows(ctl, i, ctl.view(snap.grads, i, snap.batch), sample, False)
            grad = cell_text(grad, gw)
            ranged |= "…" in grad and "[" not in grad
        elif ctl.program.needs_grad(i):
            grad = "·"
        else:
            grad = ""
        line = Text(no_wrap=True)
        line.append(mark, style=style)
        line.append(pointer, style="bold")
        name_style = "bold yellow" if node.is_param else ("cyan" if node.op == ops.INPUT else "")
        if i == selected:
            name_style += " reverse"
        line.append(f"{formula:<{fw}}", style=name_style.strip() or None)
        line.append(f" {shapes[i]:>{sw}}  ", style="dim")
        line.append(f"{value:<{vw}} ")
        line.append(f"{grad:<{gw}}", style="magenta")
        line.truncate(width)
        out.append_text(line)
        if i < n - 1:
            out.append("\n")
    if ranged:
        out.append("\n")
        out.append(RANGE_NOTE[:width], style="dim")
    return out


RANGE_NOTE = "   lo…hi: the range of a node's entries (the inspector shows all)"


def _is_matrix(arr: np.ndarray) -> bool:
    return arr.ndim == 2 and arr.shape[0] > 1 and arr.shape[1] > 1


def cell_text(values: np.ndarray, width: int) -> str:
    """A node's value in the graph's narrow column: a number, a vector, or for a matrix the
    range of its entries ('-.68….58'), which the note under the graph explains."""
    arr = np.asarray(values, np.float64)
    if not _is_matrix(arr):
        text = fmt.compact(arr, width)
        if "[…]" not in text:
            return text
    if arr.size > 1:
        finite = arr[np.isfinite(arr)]
        if finite.size < arr.size:
            return f"{finite.size}/{arr.size} finite"[:width]
        for digits in (2, 1):
            text = f"{fmt.short(finite.min(), digits)}…{fmt.short(finite.max(), digits)}"
            if len(text) <= width:
                return text
        return f"±{fmt.short(np.abs(finite).max(), 1)}"[:width]
    return fmt.compact(arr, width)


# ====================================================================== training
TRAIN_STYLE, TEST_STYLE = "yellow", "cyan"


def plot_lines(series: np.ndarray, width: int, height: int, ascii_mode: bool) -> list[str]:
    """A small plot of a series, one column per bucket, block characters in eighths."""
    series = np.asarray(series, np.float64)
    if series.size > width > 0:
        # one column per bucket of epochs: the bucket's mean (NaN where all are NaN)
        edges = np.linspace(0, series.size, width + 1).astype(np.int64)
        finite = np.isfinite(series)
        sums = np.add.reduceat(np.where(finite, series, 0.0), edges[:-1])
        counts = np.add.reduceat(finite.astype(np.int64), edges[:-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            series = sums / counts
    series = series[np.isfinite(series)]
    if series.size == 0 or width < 1 or height < 1:
        return [" " * width for _ in range(height)]
    lo, hi = float(series.min()), float(series.max())
    span = hi - lo if hi > lo else 1.0
    levels = ((series - lo) / span * (height * 8 - 1)).astype(np.int64) + 1
    lines = []
    for row in range(height - 1, -1, -1):
        chars = []
        for lv in levels:
            fill = lv - row * 8
            if fill >= 8:
                chars.append("#" if ascii_mode else "█")
            elif fill <= 0:
                chars.append(" ")
            else:
                chars.append(("." if fill < 4 else "#") if ascii_mode else BLOCKS[fill])
        lines.append("".join(chars).ljust(width))
    return lines


def training_head(ctl: Controller, snap: Snapshot) -> Text:
    """Where training is and its last numbers (training, then test), in four lines."""
    out = Text(no_wrap=True, overflow="ellipsis")
    t = ctl.trainer
    out.append(f"epoch {snap.epoch}/{t.epochs}", style="bold")
    out.append(f" · step {snap.step} · batch {snap.batch_index}/{t.batches_per_epoch}\n")
    out.append(f"lr {fmt.num(snap.lr)}")
    if snap.samples_per_s:
        out.append(f" · {fmt.num(snap.samples_per_s, 3)} samples/s", style="dim")
    out.append("\n")
    if snap.last is None:
        out.append("no epoch finished yet\n", style="dim")
        return out
    epoch, last, acc = snap.last
    out.append(f"loss {fmt.num(last, 5)}", style=f"bold {TRAIN_STYLE}")
    if np.isfinite(acc):
        out.append(f" · accuracy {fmt.num(acc, 4)}", style=f"bold {TRAIN_STYLE}")
    out.append(f" (epoch {epoch})\n", style="dim")
    test = _last_finite(snap.test_losses)
    if test is not None:
        out.append(f"test loss {fmt.num(test, 5)}", style=f"bold {TEST_STYLE}")
        test_acc = _last_finite(snap.test_accuracies)
        if test_acc is not None:
            out.append(f" · accuracy {fmt.num(test_acc, 4)}", style=f"bold {TEST_STYLE}")
        out.append("\n")
    return out


def _last_finite(values: np.ndarray | None) -> float | None:
    if values is None:
        return None
    ok = np.flatnonzero(np.isfinite(values))
    return float(values[ok[-1]]) if ok.size else None


def training_text(
    ctl: Controller,
    snap: Snapshot,
    width: int,
    ascii_mode: bool,
    *,
    height: int = 20,
    log: bool = False,
    mark_epoch: int | None = None,
) -> Text:
    """The training panel in `height` rows: where training is, then the loss curves (training
    and, where the data set has one, test) with epoch and value axes on a linear or log
    scale, then the accuracies on a 0 … 1 scale. `mark_epoch` draws a cursor at that epoch."""
    out = Text(no_wrap=True)
    if ctl.trainer is None:
        out.append("an expression graph: nothing to train", style="dim")
        return out
    out.append_text(training_head(ctl, snap))
    if snap.last is None:
        return out
    xs = snap.epochs_done
    has_test = snap.test_losses is not None and np.any(np.isfinite(snap.test_losses))
    has_acc = bool(np.any(np.isfinite(snap.accuracies)))
    x_range = (1, max(int(xs[-1]) if len(xs) else 1, snap.epoch, 1))
    if snap.diverged_epoch is not None:
        x_range = (1, max(x_range[1], snap.diverged_epoch))
    # rows: the head, then per chart 1 title + 2 axis rows
    room = max(height - out.plain.count("\n") - 1, 8)
    charts = 2 if has_acc else 1
    plot_rows = room - 3 * charts
    loss_rows = max(plot_rows * 3 // 5 if has_acc else plot_rows, 3)
    acc_rows = max(plot_rows - loss_rows, 3)
    loss = [chart.Series("train", xs, snap.losses, TRAIN_STYLE, "*")]
    if has_test:
        loss.append(chart.Series("test", xs, snap.test_losses, TEST_STYLE, "o"))
    _chart_title(out, "loss" + (" (log scale)" if log else "") + "  ", loss, ascii_mode, "l")
    out.append_text(
        chart.line_chart(
            loss,
            width,
            loss_rows,
            ascii_mode=ascii_mode,
            log=log,
            x_range=x_range,
            mark_x=mark_epoch,
            blowup_x=snap.diverged_epoch,
        )
    )
    out.append("\n")
    if snap.diverged_epoch is not None:
        out.append(f"✗ not finite from epoch {snap.diverged_epoch}\n", style="bold red")
    if has_acc:
        acc = [chart.Series("train", xs, snap.accuracies, TRAIN_STYLE, "*")]
        if has_test and snap.test_accuracies is not None:
            acc.append(chart.Series("test", xs, snap.test_accuracies, TEST_STYLE, "o"))
        _chart_title(out, "accuracy (0 … 1)  ", acc, ascii_mode, "")
        out.append_text(
            chart.line_chart(
                acc,
                width,
                acc_rows,
                ascii_mode=ascii_mode,
                y_range=(0.0, 1.0),
                x_range=x_range,
                mark_x=mark_epoch,
            )
        )
        out.append("\n")
    out.append_text(validation_text(ctl, snap, width, ascii_mode))  # empty without validation
    return out


def _chart_title(out: Text, title: str, series, ascii_mode: bool, key: str) -> None:
    out.append(title, style="bold")
    for s in series:
        mark = s.char if ascii_mode else "━"
        out.append(f"{mark} {s.label}  ", style=s.style)
    if key:
        out.append(f"({key}: log/linear)", style="dim")
    out.append("\n")


# ====================================================================== truth table
def truth_columns(ctl: Controller) -> tuple[str, str]:
    """The truth table's two value columns, named as their nodes: the output's
    pre-activation (z₂) and the prediction (p, a logit, or a step's a)."""
    pred = ctl.node_name(ctl.model.prediction)
    pre = regions.pre_activation(ctl.model) or pred
    return fmt.sub(pre), fmt.sub(pred)


def truth_text(ctl: Controller, rows: list[TruthRow], highlight: set[int]) -> Text:
    out = Text(no_wrap=True)
    if not rows:
        return out
    d = rows[0].x.size
    head = " ".join(fmt.sub(f"x{j + 1}") for j in range(d))
    pre, pred = truth_columns(ctl)
    out.append(f"{head} │ y │{pre:>6} │{pred:>6} │ŷ\n", style="bold underline")
    for n, r in enumerate(rows):
        xs = " ".join(f"{fmt.num(v, 3):>2}" for v in r.x)
        h = fmt.num(r.h[0], 3)
        p = fmt.num(r.p[0], 3)
        style = "reverse" if n in highlight else None
        out.append(f"{xs} │{fmt.num(r.y[0], 2):>2} │{h:>6} │{p:>6} │{r.yhat}", style=style)
        if r.right is not None:  # each row against its target: a gate built by hand is done
            out.append(" ✓" if r.right else " ✗", style="green" if r.right else "red")
        out.append("\n")
    marked = [r.right for r in rows if r.right is not None]
    if marked:
        right = sum(marked)
        done = right == len(marked)
        said = f"every row matches its target ({right}/{len(marked)})" if done else \
            f"{right} of {len(marked)} rows match their target"  # fmt: skip
        out.append(said + "\n", style="bold green" if done else "yellow")
    return out


# ====================================================================== forward vs reverse
def modes_text(report: ModesReport, ctl: Controller) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    f = fmt.sub(report.output)
    names = [fmt.sub(n) for n in report.inputs]
    out.append("forward mode: one pass per input\n", style="bold")
    for n, name in enumerate(names):
        seeds = " ".join(f"d{other}={1 if other == name else 0}" for other in names)
        out.append(f" pass {n + 1} ({seeds}): ", style="dim")
        out.append(f"∂{f}/∂{name} = {fmt.num(report.forward[n], 6)}\n")
    out.append("reverse mode: one pass for all\n", style="bold")
    out.append(f" seed ∂{f}/∂{f} = 1: ", style="dim")
    out.append(
        ", ".join(f"∂{f}/∂{name} = {fmt.num(report.reverse[n], 6)}" for n, name in enumerate(names))
        + "\n"
    )
    equal = all(a == b for a, b in zip(report.forward, report.reverse, strict=True))
    out.append(
        " ✓ the two modes agree\n" if equal else " ✗ the two modes differ\n",
        style="green" if equal else "red",
    )
    out.append("\n")
    w = 7
    head = f"{'node':<8}{'value':>{w}}"
    head += "".join(f"{'d' + n:>{w}}" for n in names) + f"{'∂' + f + '/∂·':>{w + 1}}"
    out.append(head + "\n", style="bold underline")
    for i in report.nodes:
        name = fmt.sub(ctl.node_name(i))
        line = f"{name[:7]:<8}{fmt.num(report.values[i], 3):>{w}}"
        for tangents in report.tangents:
            line += f"{fmt.num(tangents[i], 3):>{w}}"
        grad = report.grads.get(i)
        line += f"{fmt.num(grad, 3) if grad is not None else '':>{w + 1}}"
        out.append(line + "\n")
    out.append(f"d· columns: tangents of forward mode; ∂{f}/∂·: reverse mode\n", style="dim")
    return out


# ====================================================================== model summary
def summary_text(ctl: Controller, width: int) -> Text:
    """The Keras-style summary `nnviz info` prints (its rows from Model.summary_rows: layer,
    output shape, parameters; the total is the engine's own count), then the loss, the
    optimizer and the training settings. An expression graph lists its nodes."""
    out = Text(no_wrap=True, overflow="ellipsis")
    sc = ctl.scenario
    out.append(f"{sc.name}", style="bold")
    out.append(f": {sc.description}\n" if sc.description else "\n", style="dim")
    if ctl.is_graph:
        inputs = [ctl.node_name(i) for i in ctl.graph.wrt]
        out.append("inputs: " + ", ".join(fmt.sub(n) for n in inputs) + "\n")
        for i in range(ctl.n):
            out.append(f"  {fmt.sub(ctl.graph.formula(i))}\n")
        return out
    model = ctl.model
    rows = list(model.summary_rows())
    if model.spec is not None:  # a dropout row after its layer, as Keras lists it
        layers = iter(model.spec[1])
        with_dropout = []
        for n, row in enumerate(rows, start=1):
            with_dropout.append(row)
            if row[0] == "flatten":
                continue
            layer = next(layers, None)
            if layer is not None and layer.dropout:
                with_dropout.append((f"dropout_{n} ({layer.dropout:g})", row[1], 0))
        rows = with_dropout
    heads = ["Layer (type)", "Output Shape", "Param #"]
    gap = "  "
    if max(len(r[0]) + len(r[1]) + len(f"{r[2]:,}") for r in rows) + 14 > width:
        # narrow: shapes without the batch dimension, shorter heads, one space between
        rows = [(a, b.replace("None, ", ""), c) for a, b, c in rows]
        heads, gap = ["Layer (type)", "Shape", "Params"], " "
    name_w = max([len(heads[0])] + [len(r[0]) for r in rows])
    shape_w = max([len(heads[1])] + [len(r[1]) for r in rows])
    count_w = max([len(heads[2])] + [len(f"{r[2]:,}") for r in rows])
    inputs = model.graph.nodes[model.x].cols if model.x is not None else 0
    out.append(f"{inputs} inputs → {model.task}\n", style="dim")
    head = f"{heads[0]:<{name_w}}{gap}{heads[1]:<{shape_w}}{gap}{heads[2]:>{count_w}}"
    out.append(head + "\n", style="bold underline")
    for name, shape, count in rows:
        out.append(f"{name:<{name_w}}{gap}{shape:<{shape_w}}{gap}{count:>{count_w},}\n")
    total = sum(r[2] for r in rows)
    out.append(f"Total params: {total:,}\n", style="bold")
    if total != model.n_params:  # cannot happen unless the layer plan and the graph disagree
        out.append(f"(the engine holds {model.n_params:,})\n", style="bold red")
    opt = ctl.optimizer
    settings = ", ".join(f"{k}={v:g}" for k, v in opt.settings.items() if k != "lr")
    out.append(f"loss: {fmt.sub(ctl.node_name(ctl.loss)) if ctl.loss is not None else '-'}")
    out.append(f" ({sc.model.loss})\n" if getattr(sc, "model", None) else "\n")
    out.append(
        f"optimizer: {opt.kind} (lr={fmt.num(opt.lr)}" + (f", {settings})\n" if settings else ")\n")
    )
    t = ctl.trainer
    if t is not None:
        batch = t.batch_size if t.batch_size < t.X.shape[0] else "full"
        out.append(f"training: {t.epochs} epochs, batch {batch}, seed {ctl.seed}, ")
        out.append(f"{np.dtype(model.dtype).name}\n")
    ds = ctl.dataset
    if ds is not None:
        test = f", {ds.n_test} test" if ds.n_test else ""
        out.append(f"data: {ds.name}, {ds.n_train} training rows{test}\n")
    return out
