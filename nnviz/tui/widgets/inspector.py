"""The explorer's node inspector: the selected node's value and gradient, the chain rule with
its numbers, the update with the optimizer's state, and the numerical gradient check. A function
from a Snapshot (copies of the engine's numbers) to rich Text.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from nnviz import arithmetic
from nnviz.engine import ops
from nnviz.explain import CheckReport
from nnviz.explorer import DONE, Controller, Snapshot
from nnviz.tui import fmt
from nnviz.tui.widgets.marks import dropout_text
from nnviz.tui.widgets.panels import (
    grad_ready,
    loss_name,
    node_title,
    pick_rows,
    sample_rows,
    value_ready,
    wrap,
)

UPDATE_RULES = {
    "sgd": "{p} ← {p} − lr·(g + wd·{p})",
    "momentum": "v ← μ·v + g;  {p} ← {p} − lr·v",
    "nesterov": "v ← μ·v + g;  {p} ← {p} − lr·(g + μ·v)",
    "rmsprop": "s ← α·s + (1 − α)·g²;  {p} ← {p} − lr·g/(√s + ε)",
    "adam": "m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  {p} ← {p} − lr·m̂/(√v̂ + ε)",
    "adagrad": "s ← s + g²;  {p} ← {p} − lr·g/(√s + ε)",
    "perceptron": "θ ← θ + η(y − a)x  (for each row of the batch)",
}


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
    title = node_title(ctl, i)
    out.append(title, style="bold")
    rows, cols = ctl.shape(i, snap.batch)
    kind = "parameter" if node.is_param else ops.BY_CODE[node.op].name
    facts = f"   {kind} · {rows}×{cols}"
    batched = node.rows is None
    if batched and snap.batch:
        r = min(sample, snap.batch - 1)
        facts += (
            f" · whole batch of {snap.batch}" if whole else f" · sample {r + 1} of {snap.batch}"
        )
        if not whole and snap.rows is not None and r < len(snap.rows) and ctl.trainer is not None:
            row = int(snap.rows[r])
            x = fmt.vector(ctl.trainer.X[row], 3, 30)
            y = fmt.vector(ctl.trainer.Y[row], 3, 20)
            where = f"sample {r + 1} is data row {row}: x = {x}, y = {y}"
            if len(title) + len(facts) + len(where) + 3 < _WIDTH[0] - 2:
                facts += f" ({where})"
            else:  # a line of its own rather than one that wraps
                facts += f"\n  {where}"
    out.append(facts + "\n", style="dim")
    # value
    if value_ready(ctl, snap, i):
        val = sample_rows(ctl, snap, i, sample, whole).copy()
        shown["value"] = val
        _block(out, "value", val)
        _forward(out, ctl, snap, i, sample, whole, shown)
    else:
        out.append("value      not computed yet in this pass\n", style="dim")
    mask = dropout_text(ctl, snap, i, sample, whole, width)  # at a dropout node: its mask
    if mask is not None:
        out.append_text(mask)
    # gradient
    if not ctl.program.needs_grad(i) and ctl.perceptron:
        out.append(f"{dl}{name}   none: the step has no gradient", style="dim")
        out.append(" (the perceptron rule trains θ)\n", style="dim")
    elif not ctl.program.needs_grad(i):
        out.append(f"{dl}{name}   not needed (no parameter depends on it)\n", style="dim")
    elif grad_ready(ctl, snap, i):
        grad = pick_rows(ctl, i, ctl.view(snap.grads, i, snap.batch), sample, whole).copy()
        shown["grad"] = grad
        _block(out, f"{dl}{name}", grad, style="magenta")
    else:
        out.append(f"{dl}{name}   the backward pass has not reached it\n", style="dim")
    # chain rule
    report = snap.chain.get(i)
    if report is not None:
        _chain(out, ctl, snap, report, sample, whole, shown)
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


def _num(x: float) -> str:
    return fmt.num(x, 3)


MAX_WRAPPED = 3  # physical lines a line of arithmetic may take before terms are summed up


def _fitted(make):
    """make(max_terms) with as many terms as fit the inspector in MAX_WRAPPED lines each
    (at least 2 terms; the others summed up as "k more")."""
    arith = None
    most = max(2, _WIDTH[0] * MAX_WRAPPED // 18)  # a product takes about 18 columns
    for max_terms in [m for m in (8, 6, 5, 4, 3) if m <= most] + [2]:
        arith = make(max_terms)
        if arith is None:
            return None
        if all(len(_wrapped(line, "    ")) <= MAX_WRAPPED for line in arith.lines):
            return arith
    return arith


def _line_text(line) -> str:
    return fmt.sub(line.target) + " = " + line.expression(_num) + " = " + _num(line.result)


def _wrapped(line, indent: str) -> list[str]:
    """`target = a + b + … = result` folded at its plus signs to the inspector's width, the
    continuations under the expression (reading the lines joined gives the line)."""
    width = _WIDTH[0] - 3  # the scroll bar and a margin
    head = f"{indent}{fmt.sub(line.target)} = "
    pad = " " * (len(head) if len(head) < width // 2 else len(indent) + 4)
    parts = line.expression(_num).split(" + ")
    rows, current = [], head + parts[0]
    for part in parts[1:]:
        if len(current) + 3 + len(part) > width:
            rows.append(current)
            current = f"{pad}+ {part}"
        else:
            current += f" + {part}"
    tail = _num(line.result)
    if len(current) + 3 + len(tail) > width:
        rows.append(current)
        current = f"{pad}= {tail}"
    else:
        current += f" = {tail}"
    rows.append(current)
    return rows


def _arith(out: Text, arith, shown, style: str | None = None, indent: str = "  ") -> None:
    """An Arithmetic's lines, each `target = expression = result` with the numbers."""
    if arith is None or not arith.lines:
        return
    out.append(f"{indent}{fmt.sub(arith.title)}:\n", style="dim")
    for line in arith.lines:
        shown.setdefault("lines", []).append(_line_text(line))
        for row in _wrapped(line, indent + "  "):
            out.append(row + "\n", style=style)
    if arith.elements > len(arith.lines):
        left = arith.elements - len(arith.lines)
        out.append(f"{indent}  ({left} more element{'s' if left > 1 else ''}: "
                   "the matrix above holds them all)\n", style="dim")  # fmt: skip
    if arith.note:
        out.append(f"{indent}  ({fmt.sub(arith.note)})\n", style="dim")


def _one(line):
    return arithmetic.Arithmetic("", (line,), 1)


def _values_used(ctl: Controller, snap: Snapshot):
    """Node values as this pass used them: after an update, the parameters before it (None
    when the buffers hold a pass whose parameters have since changed unrecorded)."""
    old = {}
    if snap.phase == DONE and not ctl.is_graph:
        if snap.update is None:
            return None
        old = {pu.name: pu.old for pu in snap.update.params}

    def value_of(k: int) -> np.ndarray:
        name = ctl.node_name(k)
        if name in old:
            return old[name]
        return ctl.view(snap.values, k, snap.batch)

    return value_of


def _forward(out: Text, ctl: Controller, snap: Snapshot, i: int, sample, whole, shown) -> None:
    """How the node's value comes from its inputs' values, with the numbers."""

    value_of = _values_used(ctl, snap)
    if value_of is None:
        return
    which = None if whole else sample
    arith = _fitted(lambda m: arithmetic.forward_lines(ctl.graph, value_of, i, which, max_terms=m))
    if arith is None:
        return
    node = ctl.graph.nodes[i]
    if node.op == ops.SOFTMAX_CE:
        r = 0 if whole else min(sample, snap.batch - 1)
        logits = value_of(node.inputs[0])
        lse = _fitted(lambda m: _one(arithmetic.lse_line(logits, r, m))).lines[0]
        arith = arithmetic.Arithmetic(arith.title, (lse, *arith.lines), arith.elements)
    _arith(out, arith, shown, indent="")


def _chain(out, ctl: Controller, snap: Snapshot, report, sample, whole, shown) -> None:
    i = report.node
    name = wrap(fmt.sub(ctl.node_name(i)))
    lname = loss_name(ctl)
    if report.seed:
        out.append(
            f"chain rule: ∂{lname}/∂{name} = 1 (reverse mode starts here)\n", style="bold green"
        )
        return
    label = "chain rule" if report.complete else "chain rule (so far)"
    out.append(f"{label}: ∂{lname}/∂{name} = Σ upstream × local\n", style="bold")
    which = None if whole else sample
    dl = f"∂{lname}/∂"

    value_of = _values_used(ctl, snap) or (lambda k: ctl.view(snap.values, k, snap.batch))
    for term in report.terms:
        c = term.consumer
        cname = wrap(fmt.sub(ctl.node_name(c)))
        via = f" via {fmt.sub(ctl.graph.formula(c))}"
        local = f"local ∂{cname}/∂{name} = {fmt.sub(term.local_text)}"
        out.append(via, style="cyan")
        apart = len(via) + 3 + len(local) > _WIDTH[0]  # a long rule on a line of its own
        out.append(("\n    " if apart else "   ") + local + "\n", style="dim")
        arith = _fitted(
            lambda m, term=term: arithmetic.term_lines(
                ctl.graph, value_of, term, i, which, max_terms=m, grad_name=dl
            )
        )
        if arith is not None:
            _arith(out, arith, shown, style="magenta")
            continue
        # an image op's rule sums over windows: its numbers, without a product to show
        upstream = term.upstream
        if ctl.graph.nodes[c].rows is None and which is not None and upstream.shape[0] > 1:
            upstream = upstream[min(sample, upstream.shape[0] - 1)]
        _block(out, "  upstream", upstream)
        contribution = term.contribution
        if ctl.graph.nodes[i].rows is None and which is not None and contribution.shape[0] > 1:
            contribution = contribution[min(sample, contribution.shape[0] - 1)]
        _block(out, "  → rule", contribution, style="magenta")
    if report.total is not None and len(report.terms) > 1:
        fan = arithmetic.fanout_lines(report, which, dl, ctl.node_name(i))
        _arith(out, fan, shown, style="magenta", indent=" ")
    if report.complete and report.total is not None:
        total, grad = report.total, report.grad
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
        lr = fmt.num(rec.lr) + (f" = {rec.lr_formula}" if rec.lr_formula else "")
        out.append(f"update {rec.step} ({rec.kind}, lr {lr}): {rule}\n", style="bold")
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
