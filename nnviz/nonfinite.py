"""Where a run's first NaN or infinity came from, and why: the step, the node, and the chain of
factors that produced it.

`first_nonfinite(timeline, session)` re-runs, on `session` (a twin of the run, nnviz.history.twin),
the steps around the first non-finite number the history holds (a parameter made non-finite by
an update, or the loss of the step that stopped training) node by node, checking every value in
the forward pass, every gradient in the backward pass and every parameter after the update. The
first one that is NaN or infinite is reported with its factors:

    forward   the node's inputs, following the largest one back to a parameter or the data
              (L ← p ← z₂ ← W₂: the weight that was already huge);
    backward  the chain rule at the node: upstream ∂L/∂consumer and the local derivative;
    update    the parameter before, its gradient (with its chain rule), lr and lr·g;

and the growth of the parameters over the steps before it, from the history: when every
update multiplies the weights, the learning rate is too large for this loss surface.
Every number comes from the engine; the report only compares their sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz import explain
from nnviz.engine import ops
from nnviz.stepper import BACKWARD, FORWARD, UPDATE, Stepper

HUGE = 1e6  # a magnitude no value of a small, healthy network reaches
GROWTH_STEPS = 8  # steps before the first non-finite one shown in the growth


@dataclass(frozen=True)
class Factor:
    """One number of the chain that produced the non-finite value: its largest magnitude."""

    name: str  # e.g. "∂L/∂z2", "W2", "lr"
    role: str  # "upstream", "local", "input", "parameter", "gradient", "learning rate", "update"
    size: float  # max |value| (inf or nan when it is not finite)
    huge: bool  # non-finite, or at least HUGE

    def text(self) -> str:
        return f"{self.role} {self.name}: |·| up to {_num(self.size)}" + (
            " (huge)" if self.huge and np.isfinite(self.size) else ""
        )


@dataclass(frozen=True)
class NonFiniteReport:
    step: int  # the step (1-based) that first produced a NaN or infinity
    epoch: int  # its epoch (1-based)
    phase: str  # "forward", "backward" or "update"
    node: str  # the node whose value, gradient or (updated) parameter became non-finite
    node_index: int
    what: str  # "nan", "inf", "-inf" (its first non-finite element)
    factors: tuple[Factor, ...]
    chain: tuple[str, ...]  # the forward chain back from the node (names), for a forward case
    growth: tuple[tuple[int, float], ...]  # (step, largest |parameter|) before it
    lr: float  # the rate that step's update uses
    verdict: str

    def lines(self) -> list[str]:
        where = {"forward": "its value in the forward pass",
                 "backward": "its gradient in the backward pass",
                 "update": "its new value after the update"}[self.phase]  # fmt: skip
        out = [f"first non-finite number: step {self.step} (epoch {self.epoch}), node "
               f"{self.node}, {where}: {self.what}"]  # fmt: skip
        if self.chain:
            out.append("chain: " + " ← ".join(self.chain))
        out += ["  " + f.text() for f in self.factors]
        if self.growth:
            sizes = ", ".join(f"{s}: {_num(v)}" for s, v in self.growth)
            out.append(f"largest |parameter| by step: {sizes}")
        out.append(f"learning rate {_num(self.lr)}")
        out.append(self.verdict)
        return out


def first_nonfinite(timeline, session) -> NonFiniteReport | None:
    """The report for the first NaN or infinity of the run that `timeline` holds, re-run on
    `session` (a twin: nnviz.history.twin); None when the run has none."""
    bad = timeline.first_nonfinite_row()
    if bad is not None:
        hi = int(timeline.meta[bad, 0])
    elif timeline.diverged_step is not None:
        hi = int(timeline.diverged_step)
    else:
        return None
    start = max(hi - 1, 0)
    i = timeline.index(start)
    while i > 0 and not np.isfinite(timeline.values[i]).all():
        i -= 1
    start = int(timeline.meta[i, 0])
    trainer = session.trainer
    timeline.restore(trainer, start)
    recorder, trainer.recorder = trainer.recorder, None
    stepper = Stepper.of(session)
    try:
        for step in range(start + 1, hi + 1):
            found = _check_step(timeline, session, stepper, step)
            if found is not None:
                return found
    finally:
        trainer.recorder = recorder
    return None


def _check_step(timeline, session, stepper: Stepper, step: int) -> NonFiniteReport | None:
    p = session.model.program
    graph = p.graph
    epoch = session.trainer.epoch + 1
    stepper.begin()
    lr = session.optimizer.lr_now()
    while stepper.phase == FORWARD:
        i = stepper.forward_node()
        if not _finite(p.value(i)):
            return _forward(timeline, session, step, epoch, i, lr)
    while stepper.phase == BACKWARD:
        c = stepper.backward_node()
        for j in graph.nodes[c].inputs:
            if p.needs_grad(j) and not _finite(p.grad(j)):
                return _backward(timeline, session, step, epoch, c, j, stepper.backward_from, lr)
    if stepper.phase == UPDATE:
        grads = {i: p.grad(i).copy() for i in p.param_indices}
        before = {i: p.value(i).copy() for i in p.param_indices}
        chains = explain.chain_rules(p) if stepper.has_backward else {}
        stepper.update()
        for i in p.param_indices:
            if not _finite(p.value(i)):
                return _update(timeline, session, step, epoch, i, before[i], grads[i],
                               chains.get(i), lr)  # fmt: skip
    return None


def _forward(timeline, session, step, epoch, i, lr) -> NonFiniteReport:
    p = session.model.program
    graph = p.graph
    chain = [graph.nodes[i].name]
    factors = []
    node = i
    while graph.nodes[node].inputs:
        inputs = graph.nodes[node].inputs
        sizes = [_size(p.value(j)) for j in inputs]
        for j, size in zip(inputs, sizes, strict=True):
            if node == i:
                role = "parameter" if graph.nodes[j].is_param else "node"
                factors.append(_factor(graph.nodes[j].name, role, size))
        top = inputs[int(np.argmax([_order(s) for s in sizes]))]
        chain.append(graph.nodes[top].name)
        node = top
        if graph.nodes[top].is_param or graph.nodes[top].op in ops.LEAF_CODES:
            break
    root = graph.nodes[node]
    if node != i:
        factors.append(_factor(root.name, "parameter" if root.is_param else "node",
                               _size(p.value(node))))  # fmt: skip
    growth = _growth(timeline, session, step)
    name = graph.nodes[i].name
    if root.is_param:
        verdict = (
            f"{name} overflowed because {root.name} was already huge: every update made the "
            f"parameters bigger ({_trend(growth)}) — the steps lr·∂L/∂θ overshoot, so with lr "
            f"{_num(lr)} the weights grow without bound; try a learning rate ten times smaller"
        )
    else:
        verdict = (
            f"{name} overflowed in the forward pass from {root.name}; check the data's range "
            "and the starting weights (init_scale)"
        )
    return NonFiniteReport(step, epoch, "forward", name, i, _first_bad(p.value(i)),
                           tuple(factors), tuple(chain), growth, lr, verdict)  # fmt: skip


def _backward(timeline, session, step, epoch, c, j, backward_from, lr) -> NonFiniteReport:
    p = session.model.program
    graph = p.graph
    report = explain.chain_rule(p, j, backward_from)
    factors = []
    consumer = graph.nodes[c].name
    name = graph.nodes[j].name
    upstream = local = None
    for term in report.terms if report is not None else ():
        if term.consumer != c:
            continue
        upstream = _factor(f"∂L/∂{consumer}", "upstream", _size(term.upstream))
        factors.append(upstream)
        if term.local is not None:
            local = _factor(f"∂{consumer}/∂{name} = {term.local_text}", "local", _size(term.local))
        else:  # a product: the local derivative is the other side's value
            others = [k for k in graph.nodes[c].inputs if k != j] or [j]
            local = _factor(f"∂{consumer}/∂{name} = {term.local_text}", "local",
                            _size(p.value(others[0])))  # fmt: skip
        factors.append(local)
    growth = _growth(timeline, session, step)
    if upstream is not None and local is not None:
        big = upstream if _order(upstream.size) >= _order(local.size) else local
        verdict = (
            f"∂L/∂{name} = upstream × local: the {big.role} factor ({big.name}, "
            f"{_num(big.size)}) was already huge; the parameters had grown "
            f"({_trend(growth)}) — with lr {_num(lr)} each update overshoots: try a smaller "
            "learning rate"
        )
    else:
        verdict = f"∂L/∂{name} became non-finite; try a smaller learning rate"
    return NonFiniteReport(step, epoch, "backward", name, j, _first_bad(p.grad(j)),
                           tuple(factors), (), growth, lr, verdict)  # fmt: skip


def _update(timeline, session, step, epoch, i, before, grad, chain, lr) -> NonFiniteReport:
    p = session.model.program
    name = p.graph.nodes[i].name
    factors = [
        _factor(name, "parameter before", _size(before)),
        _factor(f"∂L/∂{name}", "gradient", _size(grad)),
        _factor("lr", "learning rate", abs(lr)),
        _factor(f"lr·∂L/∂{name}", "update", _size(np.asarray(grad, np.float64) * lr)),
    ]
    if chain is not None:
        for term in chain.terms:
            consumer = p.graph.nodes[term.consumer].name
            factors.append(_factor(f"∂L/∂{consumer}", "upstream", _size(term.upstream)))
    growth = _growth(timeline, session, step)
    verdict = (
        f"the update θ ← θ − lr·∂L/∂{name} overflowed: the gradient was {_num(_size(grad))} and "
        f"lr {_num(lr)} made the step {_num(_size(np.asarray(grad, np.float64) * lr))}; the "
        f"parameters had grown every step ({_trend(growth)}) — try a smaller learning rate"
    )
    return NonFiniteReport(step, epoch, "update", name, i, _first_bad(p.value(i)),
                           tuple(factors), (), growth, lr, verdict)  # fmt: skip


# ====================================================================== helpers
def _growth(timeline, session, step: int) -> tuple[tuple[int, float], ...]:
    """(step, largest |parameter|) for the kept steps before `step`."""
    sizes = timeline.param_sizes(max(step - GROWTH_STEPS, 0), step - 1)
    return tuple(sizes)


def _trend(growth) -> str:
    if len(growth) < 2:
        return "no earlier steps kept"
    (s0, a), (s1, b) = growth[0], growth[-1]
    text = f"largest |θ| {_num(a)} at step {s0} → {_num(b)} at step {s1}"
    if a > 0 and np.isfinite(b) and b > a and s1 > s0:
        text += f", ×{(b / a) ** (1 / (s1 - s0)):.3g} a step"
    return text


def _finite(arr) -> bool:
    return bool(np.isfinite(arr).all())


def _size(arr) -> float:
    a = np.abs(np.asarray(arr, np.float64))
    if a.size == 0:
        return 0.0
    if np.isnan(a).any():
        return float("nan")
    return float(a.max())


def _order(size: float) -> float:
    """Sort key of a size: NaN and infinity above every number."""
    return np.inf if not np.isfinite(size) else size


def _factor(name: str, role: str, size: float) -> Factor:
    return Factor(name, role, size, not np.isfinite(size) or size >= HUGE)


def _first_bad(arr) -> str:
    flat = np.asarray(arr).ravel()
    bad = flat[~np.isfinite(flat)]
    if not bad.size:
        return "finite"
    v = float(bad[0])
    return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")


def _num(x: float) -> str:
    if not np.isfinite(x):
        return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.3g}"
