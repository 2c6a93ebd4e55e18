"""The teaching numbers, as plain data: what the explorer shows, `nnviz trace --explain` prints
and a notebook can ask for. No Textual here; every number comes from the engine.

    chain_rule(program, j, backward_from=0) -> ChainReport | None
        ∂L/∂node j as the sum over its consumers of upstream × local derivative, each term
        computed by the consumer's own VJP rule (Program.contribution); `backward_from` is
        where the backward pass has got to (nodes [backward_from, n) have run their rule).
    chain_rules(program, backward_from=0) -> {node: ChainReport}
    take_update(stepper) -> UpdateRecord
        the Stepper's update, with every parameter before and after, its gradient and the
        optimizer's state (and the perceptron rule's rows).
    modes(model) -> ModesReport
        an expression graph's derivatives by forward mode (one pass per input) beside reverse
        mode (one pass for all).
    gradient_check(program, name, feeds=None, rows=None) -> CheckReport
        ∂L/∂name from the program's own backward pass beside central differences of the
        engine's loss in float64.
    plain(report) -> JSON-ready dicts and lists (non-finite numbers as strings, see `number`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from nnviz.engine import ops
from nnviz.engine.graph import Program
from nnviz.engine.optim import zero_grads
from nnviz.model import Model


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
    frozen: bool = False  # the optimizer left it as it is (a layer with trainable = false)


@dataclass(frozen=True)
class PerceptronRow:
    row: int  # the data set's row
    x: np.ndarray
    y: np.ndarray
    a: np.ndarray  # H(z), the unit's output


@dataclass(frozen=True)
class UpdateRecord:
    kind: str
    lr: float  # the rate this update used (the schedule's, at this step)
    step: int  # the optimizer's step count after the update
    params: tuple[ParamUpdate, ...]
    perceptron: tuple[PerceptronRow, ...] = ()
    hyper: dict | None = None  # every optimizer setting, as Optimizer.hyperparameters()
    lr_formula: str = ""  # how the schedule made `lr` from the base rate ('' if constant)


@dataclass(frozen=True)
class CheckResult:
    name: str
    index: tuple[int, int]
    analytic: float  # the program's own ∂L/∂θ (its dtype), as the inspector shows it
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


# ====================================================================== the chain rule
def chain_rule(program: Program, j: int, backward_from: int = 0) -> ChainReport | None:
    """The chain rule at node j with the engine's numbers, from the consumers whose rule has
    run (nodes ≥ backward_from); None when none has."""
    p, graph = program, program.graph
    grad = p.grad(j).copy()
    if j == graph.loss:
        return ChainReport(j, (), None, grad, backward_from <= j, seed=True)
    consumers = [c for c in graph.consumers(j) if p.needs_grad(c)]
    done = [c for c in consumers if c >= backward_from]
    if not done:
        return None
    terms = []
    for c in done:
        spec = ops.BY_CODE[graph.nodes[c].op]
        upstream = p.grad(c).copy()
        local = None
        if spec.kind in ("elementwise", "loss", "reduce"):
            local = p.contribution(c, j, upstream=np.ones(p.shape(c), p.dtype))
        text = local_text(graph, c, j)
        terms.append(ChainTerm(c, upstream, local, text, p.contribution(c, j)))
    total = terms[0].contribution.copy()
    for term in terms[1:]:
        total = total + term.contribution
    return ChainReport(j, tuple(terms), total, grad, len(done) == len(consumers))


def chain_rules(program: Program, backward_from: int = 0) -> dict[int, ChainReport]:
    """The chain rule at every node with a gradient, as far as the backward pass has got."""
    out = {}
    for j in range(len(program)):
        if program.needs_grad(j):
            report = chain_rule(program, j, backward_from)
            if report is not None:
                out[j] = report
    return out


def local_text(graph, c: int, j: int) -> str:
    """The op table's local derivative of consumer c with respect to its input j, with the
    names filled in."""
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


# ====================================================================== the update
def take_update(stepper) -> UpdateRecord:
    """Take the Stepper's update (phase UPDATE), recording what it did to every parameter."""
    model, opt, p = stepper.model, stepper.optimizer, stepper.program
    names = [p.name(i) for i in p.param_indices]
    before = {name: p.value(name).copy() for name in names}
    grads = {name: p.grad(name).copy() for name in names}
    rows: tuple[PerceptronRow, ...] = ()
    if stepper.perceptron and stepper.rows is not None:
        x = p.value(model.x).copy()
        y = p.value(model.y).copy()
        a = p.value(model.prediction).copy()
        rows = tuple(PerceptronRow(int(r), x[n], y[n], a[n]) for n, r in enumerate(stepper.rows))
    lr, formula = opt.lr_now(), opt.lr_formula(opt.epoch)
    stepper.update()
    params = tuple(
        ParamUpdate(
            name,
            before[name],
            grads[name],
            _state(opt, name),
            p.value(name).copy(),
            opt.is_frozen(name),
        )
        for name in names
    )
    return UpdateRecord(opt.kind, lr, opt.t, params, rows, opt.hyperparameters(), formula)


def _state(opt, name: str) -> dict[str, np.ndarray]:
    """The optimizer's state of one parameter after the update; for Adam also the
    bias-corrected moments its rule divides by, m̂ = m/(1 − β₁ᵗ) and v̂ = v/(1 − β₂ᵗ)."""
    state = {key: arr.copy() for key, arr in opt.state_of(name).items()}
    if opt.kind == "adam" and opt.t > 0:
        b1, b2 = opt.settings["beta1"], opt.settings["beta2"]
        dtype = state["m"].dtype
        state["m̂"] = (state["m"] / (1.0 - b1**opt.t)).astype(dtype)
        state["v̂"] = (state["v"] / (1.0 - b2**opt.t)).astype(dtype)
    return state


# ====================================================================== forward vs reverse
def modes(model: Model) -> ModesReport:
    """Derivatives of an expression graph by forward mode and by reverse mode. Runs passes on
    `model` (give it a copy, such as the explorer's probe, to leave a stepped Program alone)."""
    q = model.program
    graph = model.graph
    q.reset_values()
    q.forward()
    out = graph.loss
    nodes = tuple(range(len(q)))
    values = {i: float(q.value(i)[0, 0]) for i in nodes}
    q.grads[:] = 0
    q.seed()
    q.backward()
    grads = {i: float(q.grad(i)[0, 0]) for i in nodes if q.needs_grad(i)}
    tangents, forward = [], []
    for leaf in graph.wrt:
        q.jvp({q.name(leaf): 1.0})
        tangents.append({i: float(q.tangent(i)[0, 0]) for i in nodes})
        forward.append(float(q.tangent(out)[0, 0]))
    reverse = tuple(grads.get(i, 0.0) for i in graph.wrt)
    return ModesReport(
        tuple(q.name(i) for i in graph.wrt),
        q.name(out),
        nodes,
        values,
        tuple(tangents),
        tuple(forward),
        grads,
        reverse,
    )


# ====================================================================== numerical check
def gradient_check(
    program: Program,
    name: str,
    feeds: dict | None = None,
    rows: np.ndarray | None = None,
    *,
    perceptron: bool = False,
    max_elements: int = 8,
) -> CheckReport:
    """∂L/∂name from the program's backward pass beside central differences of the engine's
    loss (nnviz.engine.gradcheck, in float64) on the batch `feeds` (input name → rows) at the
    current parameters. The program's buffers are put back as they were."""
    from nnviz.engine.gradcheck import gradcheck

    if perceptron:
        return CheckReport(name, 0.0, None, (), "", "the step unit has no gradient to check")
    if program.graph.loss is None:
        return CheckReport(name, 0.0, None, (), "", "this graph has no loss")
    h = 1e-6
    found = [r for r in gradcheck(program, feeds, h=h, max_elements=max_elements)]
    found = [r for r in found if r.name == name]
    if not found:
        return CheckReport(name, h, rows, (), "", f"{name} is not checked")
    f64 = found[0]
    analytic = _own_grad(program, name, feeds)
    shape = program.shape(name)
    results = []
    for e, numeric in zip(f64.elements, f64.numerical, strict=True):
        idx = np.unravel_index(int(e), shape)
        r, c = int(idx[0]), int(idx[1])
        results.append(CheckResult(name, (r, c), float(analytic[r, c]), float(numeric)))
    return CheckReport(
        name,
        h,
        rows,
        tuple(results),
        "central differences in float64 (nnviz.engine.gradcheck)",
        f64_max_rel_error=f64.max_rel_error,
    )


def _own_grad(p: Program, name: str, feeds) -> np.ndarray:
    """∂L/∂name by the program itself at its current parameters on `feeds`."""
    saved_v, saved_g, saved_batch = p.values.copy(), p.grads.copy(), p.batch
    try:
        for key, data in (feeds or {}).items():
            p.feed(key, data)
        zero_grads(p.meta, p.grads, p.batch)
        p.forward()
        p.seed()
        p.backward()
        return p.grad(name).copy()
    finally:
        p.values[:] = saved_v
        p.grads[:] = saved_g
        p.batch = saved_batch


# ====================================================================== as JSON
def number(x) -> float | int | str | None:
    """A number for JSON: finite ones as they are; NaN and ±∞ as the strings "nan", "inf"
    and "-inf" (JSON has no token for them)."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def plain(obj):
    """A report (or any of its parts) as JSON-ready dicts, lists and numbers."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        for prop in ("max_rel_error", "rel_error", "ok"):
            if hasattr(type(obj), prop):
                out[prop] = plain(getattr(obj, prop))
        return out
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (int, float, np.integer, np.floating)):
        return number(obj)
    return obj
