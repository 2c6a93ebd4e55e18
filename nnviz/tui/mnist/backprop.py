"""Tab 2, Backprop: one batch stepped by hand with nnviz.stepper.Stepper (the view owns it),
the node list with what is computed, a node's value and gradient with their statistics, a
matrix browser down to single elements, and ∂L/∂logits = (p − y)/rows checked row by row."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Static, TabPane
from textual.widgets.option_list import Option

from nnviz.stepper import BACKWARD, FORWARD, IDLE
from nnviz.tui.draw import glyphs
from nnviz.tui.mnist import live as lv
from nnviz.tui.mnist.widgets import FixedStatics, MatrixView


def batch_words(trainer) -> str:
    """Which batch the trainer feeds next, e.g. '3/10 of epoch 1'."""
    return f"{trainer.batch_index + 1}/{trainer.batches_per_epoch} of epoch {trainer.epoch + 1}"


def step_status(stepper, optimizer_kind: str, trainer) -> str:
    """One line: where the step is and what the next micro-step (n) does."""
    g, n = stepper.graph, stepper.n
    if stepper.phase == IDLE:
        return f"no batch in flight · n feeds batch {batch_words(trainer)}"
    if stepper.phase == FORWARD:
        nxt = next(
            (i for i in range(stepper.forward_upto, n) if not stepper.quiet_forward(i)),
            stepper.forward_upto,
        )
        return f"forward {stepper.forward_upto}/{n} · next: {g.formula(nxt)}"
    if stepper.phase == BACKWARD:
        below = range(stepper.backward_from - 1, -1, -1)
        nxt = next((i for i in below if not stepper.quiet_backward(i)), stepper.backward_from - 1)
        seed = "" if stepper.seeded else "seed ∂L/∂L = 1, then "
        name = stepper.program.name(nxt)
        return f"backward {n - stepper.backward_from}/{n} · next: {seed}the rule of {name}"
    return f"gradients complete · next (n): {optimizer_kind} update"


class BackpropPane(FixedStatics, TabPane):
    def __init__(self, view):
        super().__init__("2 Backprop", id="mnist-tab-backprop")
        self.view = view
        self._prompts: dict[int, tuple] = {}  # the node list's current prompts

    def compose(self) -> ComposeResult:
        yield Static(id="mnist-step-status")
        with Horizontal(id="mnist-backprop-body"):
            with Vertical(id="mnist-backprop-left"):
                yield OptionList(id="mnist-node-list")
                yield Static(id="mnist-softmax-check")
            with Vertical(id="mnist-inspector"):
                yield Static(id="mnist-node-summary")
                yield MatrixView(id="mnist-node-matrix")
                yield Static(id="mnist-element-info")

    def on_mount(self) -> None:
        view = self.view
        n = len(view.session.model.program)
        options = [Option(self.node_prompt(i), id=f"node-{i}") for i in range(n)]
        node_list = self.query_one("#mnist-node-list", OptionList)
        node_list.add_options(options)
        node_list.highlighted = view.node

    def highlight(self, node: int) -> None:
        self.query_one("#mnist-node-list", OptionList).highlighted = node

    def node_prompt(self, i: int) -> Text:
        p = self.view.session.model.program
        st = self.view.stepper
        f = "●" if st.forward_done(i) else "·"
        b = "∇" if st.grad_ready(i) and p.needs_grad(i) else " "
        shape = "×".join(str(s) for s in p.shape(i))
        text = Text(f"{f}{b} ")
        text.append(f"{p.name(i):<5}", style="bold")
        text.append(f" {shape:>7}  ", style="dim")
        formula = p.graph.expression(i, expand=False)
        text.append(formula[:18])
        return text

    def draw(self) -> None:
        """The whole tab, from the engine: only while no worker runs and the tab is shown."""
        view = self.view
        if view.busy.is_set() or view.tab != self.id:
            return
        p = view.session.model.program
        st = view.stepper
        status = step_status(st, view.session.optimizer.kind, view.session.trainer)
        self.put("#mnist-step-status", Text.assemble(("step by hand: ", "bold"), status))
        node_list = self.query_one("#mnist-node-list", OptionList)
        for i in range(len(p)):
            prompt = self.node_prompt(i)
            if self._prompts.get(i) != (prompt.plain, tuple(prompt.spans)):
                self._prompts[i] = (prompt.plain, tuple(prompt.spans))
                node_list.replace_option_prompt_at_index(i, prompt)
        i = view.node
        name = p.name(i)
        value = p.value(i)
        grad = p.grad(i) if p.needs_grad(i) else None
        text = Text.assemble((p.graph.formula(i), "bold"), f"   shape {value.shape}\n")
        for label, arr, ok in (
            ("value", value, st.forward_done(i) or st.quiet_forward(i)),
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
            text.append(f"{'':<8} {glyphs.histogram_text(arr, 32)}\n", style="dim")
        text.rstrip()
        self.put("#mnist-node-summary", text)
        matrix = self.query_one("#mnist-node-matrix", MatrixView)
        shown = grad if (view.show_grad and grad is not None) else value
        which = f"∂L/∂{name}" if shown is grad and grad is not None else name
        matrix.set_matrix(which, shown.copy())
        self.draw_element()
        self.draw_softmax_check()

    def draw_element(self) -> None:
        view = self.view
        if view.busy.is_set():
            return
        p = view.session.model.program
        i = view.node
        name = p.name(i)
        matrix = self.query_one("#mnist-node-matrix", MatrixView)
        r, c = matrix.row, matrix.col
        value = p.value(i)
        if r >= value.shape[0] or c >= value.shape[1]:
            return
        text = Text.assemble(
            ("showing " + ("∂L/∂" + name if view.show_grad else name) + " (v switches) · ", "dim"),
            (f"{name}[{r}, {c}]", "bold"),
            f" = {value[r, c]:+.6g}",
        )
        if p.needs_grad(i):
            text.append(f" · ∂L/∂{name}[{r}, {c}] = {p.grad(i)[r, c]:+.6g}")
        node = p.graph.nodes[i]
        rows = view.stepper.rows
        if node.rows is None and rows is not None and r < len(rows):
            row = int(rows[r])
            label = int(view.ds.labels_train[row])
            text.append(
                f"\nbatch row {r} is training {view.item} #{row} (label {view.names[label]})"
            )
        if name == view.roles.first_weights:
            h, w = view.ds.image_shape
            text.append(f"\npixel ({r // w}, {r % w}) → hidden unit {c}")
        self.put("#mnist-element-info", text)

    def draw_softmax_check(self) -> None:
        view = self.view
        p = view.session.model.program
        out = "#mnist-softmax-check"
        roles = view.roles
        z, probs, y = roles.logits, roles.output, roles.target
        fused = z is not None and any(
            p.graph.nodes[c].op_name == "softmax_ce" for c in p.graph.consumers(p.find(z))
        )
        if not fused or probs is None or y is None:
            self.put(out, "")
            return
        head = Text("softmax + cross-entropy\n", style="bold")
        head.append(f"∂L/∂{z} = ({probs} − {y}) / rows\n", style="dim")
        if not view.stepper.grad_ready(p.find(z)):
            head.append("step backward through L (n)\nto see it for one batch row")
            self.put(out, head)
            return
        rows = p.batch
        r = min(view.batch_row, rows - 1)
        g = p.grad(z)[r] * rows
        diff = p.value(probs)[r] - p.value(y)[r]
        head.append(f"batch row {r} of {rows}\n")
        head.append(f" k  rows·∂L/∂{z}     {probs} − {y}\n", style="bold")
        for k in range(len(g)):
            style = "bold" if p.value(y)[r, k] > 0.5 else ""
            head.append(f"{view.names[k]:>2} {g[k]:+12.6f} {diff[k]:+9.6f}\n", style=style)
        err = float(np.max(np.abs(g - diff)))
        head.append(f"max |difference| = {err:.1e}")
        self.put(out, head)

    # ------------------------------------------------------------ events
    @on(OptionList.OptionHighlighted, "#mnist-node-list")
    def _node_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        view = self.view
        if event.option_index == view.node:
            return
        view.node = event.option_index
        self.query_one("#mnist-node-matrix", MatrixView).set_matrix("", None, keep_cursor=False)
        self.draw()

    @on(MatrixView.CursorMoved, "#mnist-node-matrix")
    def _cursor_moved(self, event: MatrixView.CursorMoved) -> None:
        view = self.view
        node = view.session.model.program.graph.nodes[view.node]
        if node.rows is None:
            view.batch_row = event.row
            self.draw_softmax_check()
        self.draw_element()
