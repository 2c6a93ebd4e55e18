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
from nnviz.explain import CheckReport, ModesReport
from nnviz.explorer import BACKWARD, DONE, FORWARD, Controller, Snapshot, TruthRow
from nnviz.tui import fmt

BLOCKS = " ▁▂▃▄▅▆▇█"

UPDATE_RULES = {
    "sgd": "{p} ← {p} − lr·(g + wd·{p})",
    "momentum": "v ← μ·v + g;  {p} ← {p} − lr·v",
    "nesterov": "v ← μ·v + g;  {p} ← {p} − lr·(g + μ·v)",
    "rmsprop": "s ← α·s + (1 − α)·g²;  {p} ← {p} − lr·g/(√s + ε)",
    "adam": "m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  {p} ← {p} − lr·m̂/(√v̂ + ε)",
    "adagrad": "s ← s + g²;  {p} ← {p} − lr·g/(√s + ε)",
    "perceptron": "θ ← θ + η(y − a)x  (for each row of the batch)",
}


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
    return _pick(ctl, i, arr, sample, whole)


def _pick(ctl, i, arr, sample, whole):
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
                _pick(ctl, i, ctl.view(snap.values, i, snap.batch), sample, False), vw
            )
        else:
            value = "·"
        if grad_ready(ctl, snap, i):
            grad = ctl.view(snap.grads, i, snap.batch)
            grad = fmt.compact(_pick(ctl, i, grad, sample, False), gw)
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


# ====================================================================== inspector
def inspector_text(
    ctl: Controller,
    snap: Snapshot,
    selected: int,
    sample: int,
    whole: bool,
    check: CheckReport | None,
    playing: str,
    width: int = 80,
) -> tuple[Text, dict[str, np.ndarray]]:
    """The selected node in full; also returns the arrays shown, by role."""
    _WIDTH[0] = width
    shown: dict[str, np.ndarray] = {}
    i = selected
    node = ctl.graph.nodes[i]
    name = wrap(fmt.sub(node.name))
    dl = f"∂{loss_name(ctl)}/∂"
    out = Text()
    out.append(node_title(ctl, i), style="bold")
    rows, cols = ctl.shape(i, snap.batch)
    kind = "parameter" if node.is_param else ops.BY_CODE[node.op].name
    out.append(f"   {kind} · {rows}×{cols}", style="dim")
    batched = node.rows is None
    if batched and snap.batch:
        r = min(sample, snap.batch - 1)
        out.append(f" · sample {r + 1} of {snap.batch}", style="dim")
        if snap.rows is not None and r < len(snap.rows) and ctl.trainer is not None:
            row = int(snap.rows[r])
            x = fmt.vector(ctl.trainer.X[row], 3, 30)
            y = fmt.vector(ctl.trainer.Y[row], 3, 20)
            out.append(f" (row {row}: x = {x}, y = {y})", style="dim")
        if whole:
            out.append(" · whole batch", style="dim")
    out.append("\n")
    # value
    if value_ready(ctl, snap, i):
        val = sample_rows(ctl, snap, i, sample, whole).copy()
        shown["value"] = val
        _block(out, "value", val)
    else:
        out.append("value      not computed yet in this pass\n", style="dim")
    # gradient
    if not ctl.program.needs_grad(i) and ctl.perceptron:
        out.append(f"{dl}{name}   none: the step has no gradient", style="dim")
        out.append(" (the perceptron rule trains θ)\n", style="dim")
    elif not ctl.program.needs_grad(i):
        out.append(f"{dl}{name}   not needed (no parameter depends on it)\n", style="dim")
    elif grad_ready(ctl, snap, i):
        grad = _pick(ctl, i, ctl.view(snap.grads, i, snap.batch), sample, whole).copy()
        shown["grad"] = grad
        _block(out, f"{dl}{name}", grad, style="magenta")
    else:
        out.append(f"{dl}{name}   the backward pass has not reached it\n", style="dim")
    # chain rule
    report = snap.chain.get(i)
    if report is not None:
        _chain(out, ctl, report, sample, whole, shown)
    elif playing == "fast" and ctl.program.needs_grad(i):
        out.append("chain rule: pause and step by hand to see it\n", style="dim")
    # update
    if snap.update is not None and snap.phase == DONE:
        _update(out, ctl, snap, node.name, shown)
    if check is not None and check.name == node.name:
        _check(out, check)
    return out, shown


_WIDTH = [80]  # the inspector's width while its text is made


def _block(out: Text, label: str, arr: np.ndarray, style: str | None = None) -> None:
    pad = max(len(label), 10)
    lines = fmt.matrix(arr, width=max(_WIDTH[0] - pad - 1, 12))
    for n, line in enumerate(lines):
        out.append(f"{label if n == 0 else '':<{pad}} ", style="bold" if n == 0 else None)
        out.append(line + "\n", style=style)


def _chain(out, ctl: Controller, report, sample, whole, shown) -> None:
    i = report.node
    name = wrap(fmt.sub(ctl.node_name(i)))
    lname = loss_name(ctl)
    if report.seed:
        out.append(
            f"chain rule: ∂{lname}/∂{name} = 1 (reverse mode starts here)\n", style="bold green"
        )
        return
    label = "chain rule" if report.complete else "chain rule (so far)"
    out.append(f"{label}: ∂{lname}/∂{name} = Σ over consumers of upstream × local\n", style="bold")
    batched = ctl.graph.nodes[i].rows is None

    def pick(arr):
        if batched and not whole and arr.shape[0] > 1:
            return arr[min(sample, arr.shape[0] - 1)]
        return arr

    for term in report.terms:
        c = term.consumer
        cname = wrap(fmt.sub(ctl.node_name(c)))
        out.append(f" via {fmt.sub(ctl.graph.formula(c))}", style="cyan")
        out.append(f"   local ∂{cname}/∂{name} = {fmt.sub(term.local_text)}\n", style="dim")
        up_batched = ctl.graph.nodes[c].rows is None
        upstream = term.upstream
        if up_batched and not whole and upstream.shape[0] > 1:
            upstream = upstream[min(sample, upstream.shape[0] - 1)]
        _block(out, "  upstream", upstream)
        if term.local is not None:
            _block(out, "  × local", pick(term.local))
        elif ctl.graph.nodes[c].op == ops.MATMUL:
            other = [j for j in ctl.graph.nodes[c].inputs if j != i]
            if other:
                side = "·" + fmt.sub(ctl.node_name(other[0])) + "ᵀ"
                if ctl.graph.nodes[c].inputs[1] == i:
                    side = fmt.sub(ctl.node_name(ctl.graph.nodes[c].inputs[0])) + "ᵀ·"
                out.append(f"  × local   {side}\n", style="dim")
        contribution = pick(term.contribution)
        _block(out, "  =", contribution, style="magenta")
    if report.total is not None and len(report.terms) > 1:
        _block(out, " sum", pick(report.total), style="magenta")
    if report.complete and report.total is not None:
        total, grad = pick(report.total), pick(report.grad)
        shown["chain_total"] = total.copy()
        same = np.array_equal(total, grad)
        close = same or np.allclose(total, grad, rtol=1e-5, atol=1e-7)
        verdict = "✓ equals the engine's" if close else "✗ differs from the engine's"
        out.append(f" {verdict} ∂{lname}/∂{name}" + (" (bit for bit)" if same else "") + "\n")


def _update(out, ctl: Controller, snap: Snapshot, name: str, shown) -> None:
    rec = snap.update
    if rec.kind == "perceptron":
        rows = rec.perceptron
        out.append(f"perceptron rule (η = {fmt.num(rec.lr)}): θ ← θ + η(y − a)x\n", style="bold")
        for pr in rows:
            err = pr.y - pr.a
            out.append(
                f"  row {pr.row}: x = {fmt.vector(pr.x)}  y = {fmt.vector(pr.y)}  "
                f"a = {fmt.vector(pr.a)}  y − a = {fmt.vector(err)}"
                + ("  (no change)" if not np.any(err) else "")
                + "\n"
            )
    for pu in rec.params:
        if pu.name != name:
            continue
        rule = UPDATE_RULES.get(rec.kind, "").format(p=fmt.sub(name))
        out.append(f"update {rec.step} ({rec.kind}, lr {fmt.num(rec.lr)}): {rule}\n", style="bold")
        _block(out, "  old", pu.old)
        if rec.kind != "perceptron":
            _block(out, "  gradient", pu.grad, style="magenta")
        for key, arr in pu.state.items():
            _block(out, f"  {key}", arr)
        if rec.kind == "perceptron":
            _block(out, "  Δ", pu.new - pu.old)
        _block(out, "  new", pu.new, style="green")
        shown["old"], shown["new"] = pu.old, pu.new


def _check(out, check: CheckReport) -> None:
    if not check.results:
        out.append(f"numerical check: {check.note}\n", style="yellow")
        return
    name = fmt.sub(check.name)
    where = "" if check.rows is None else f" on batch rows {fmt.vector(check.rows, 3, 24)}"
    out.append(f"numerical check of ∂L/∂{wrap(name)}{where}\n", style="bold")
    out.append(f"  {check.source}, h = {fmt.num(check.eps)}\n", style="dim")
    out.append("  element  analytic       numeric        rel. error\n", style="dim")
    for r in check.results:
        idx = f"[{r.index[0]},{r.index[1]}]"
        out.append(
            f"  {idx:<8} {fmt.num(r.analytic, 7):<14} {fmt.num(r.numeric, 7):<14} "
            f"{fmt.num(r.rel_error, 2):<8} "
        )
        out.append("✓\n" if r.ok else "✗\n", style="green" if r.ok else "red")
    out.append(
        f"  float64 reverse mode vs differences: max rel. error "
        f"{fmt.num(check.f64_max_rel_error, 2)}\n",
        style="dim",
    )


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
