"""The explorer's text panels: the graph, the node inspector, training, the truth table and
forward vs reverse mode. Each is a function from a Snapshot (copies of the engine's numbers)
to rich Text, shown by a TextPanel that re-renders itself at its new width when resized.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.text import Text
from textual.widgets import Static

from nnviz.engine import ops
from nnviz.explain import ModesReport
from nnviz.explorer import BACKWARD, FORWARD, Controller, Snapshot, TruthRow
from nnviz.tui import fmt
from nnviz.tui.widgets.cursor import cursor_line

BLOCKS = " ▁▂▃▄▅▆▇█"


class TextPanel(Static):
    """A Static whose text is made for its current width by a source function."""

    def __init__(self, *args, **kwargs):
        super().__init__("", *args, **kwargs)
        self._source: Callable[[int], Text] | None = None
        self.plain = ""

    def show(self, source: Callable[[int], Text]) -> None:
        self._source = source
        self._draw()

    def _draw(self) -> None:
        if self._source is None:
            return
        width = self.size.width or self.app.size.width // 2 or 40
        text = self._source(width)
        plain = text.plain
        # the same number of lines: repaint only, no layout pass (the costly part of a frame)
        same = plain.count("\n") == self.plain.count("\n") and self.size.height > 0
        self.plain = plain
        self.update(text, layout=not same)

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
            value = fmt.compact(
                pick_rows(ctl, i, ctl.view(snap.values, i, snap.batch), sample, False), vw
            )
        else:
            value = "·"
        if grad_ready(ctl, snap, i):
            grad = ctl.view(snap.grads, i, snap.batch)
            grad = fmt.compact(pick_rows(ctl, i, grad, sample, False), gw)
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
    return out


# ====================================================================== training
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


def training_text(ctl: Controller, snap: Snapshot, width: int, ascii_mode: bool) -> Text:
    out = Text(no_wrap=True)
    if ctl.trainer is None:
        out.append("an expression graph: nothing to train", style="dim")
        return out
    t = ctl.trainer
    out.append(f"epoch {snap.epoch}/{t.epochs}", style="bold")
    out.append(f" · step {snap.step}\n")
    out.append(f"batch {snap.batch_index}/{t.batches_per_epoch} · lr {fmt.num(snap.lr)}")
    if snap.samples_per_s:
        out.append(f" · {fmt.num(snap.samples_per_s, 3)} samples/s", style="dim")
    out.append("\n")
    if snap.last is not None:
        epoch, last, acc = snap.last
        out.append(f"loss {fmt.num(last, 5)}", style="bold")
        if np.isfinite(acc):
            out.append(f" · accuracy {fmt.num(acc, 4)}", style="bold")
        out.append(f" (epoch {epoch})\n", style="dim")
        label_w = 7
        plot_w = max(width - label_w - 1, 4)
        finite = snap.losses[np.isfinite(snap.losses)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (np.nan, np.nan)
        lines = plot_lines(snap.losses, plot_w, 3, ascii_mode)
        for n, line in enumerate(lines):
            label = fmt.num(hi, 2) if n == 0 else fmt.num(lo, 2) if n == len(lines) - 1 else "loss"
            out.append(f"{label[:label_w]:>{label_w}} ", style="dim")
            out.append(line + "\n", style="yellow")
        out.append_text(cursor_line(snap, plot_w, label_w, ascii_mode))  # the step on show
        if np.any(np.isfinite(snap.accuracies)):
            for n, line in enumerate(plot_lines(snap.accuracies, plot_w, 2, ascii_mode)):
                label = "acc" if n == 0 else ""
                out.append(f"{label:>{label_w}} ", style="dim")
                out.append(line + "\n", style="green")
    else:
        out.append("no epoch finished yet\n", style="dim")
    return out


# ====================================================================== truth table
def truth_text(ctl: Controller, rows: list[TruthRow], highlight: set[int]) -> Text:
    out = Text(no_wrap=True)
    if not rows:
        return out
    d = rows[0].x.size
    head = " ".join(fmt.sub(f"x{j + 1}") for j in range(d))
    out.append(f" {head} │  y │      h │      p │ ŷ\n", style="bold underline")
    for n, r in enumerate(rows):
        xs = " ".join(f"{fmt.num(v, 3):>2}" for v in r.x)
        h = fmt.num(r.h[0], 3)
        p = fmt.num(r.p[0], 3)
        wrong = int(r.y[0] > 0.5) != r.yhat if r.y.size == 1 else False
        style = "reverse" if n in highlight else None
        out.append(f" {xs} │ {fmt.num(r.y[0], 2):>2} │ {h:>6} │ {p:>6} │ {r.yhat}", style=style)
        if wrong:
            out.append(" ✗", style="red")
        out.append("\n")
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
