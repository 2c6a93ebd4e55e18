"""Central-difference check of every parameter gradient, in float64.

The graph is compiled again in float64 with the same parameter values and the same batch,
the analytic gradient comes from the engine's reverse mode, and the numerical one from
(L(θ + h) − L(θ − h)) / 2h for each checked element.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.engine import ops
from nnviz.engine.graph import GraphError, Program, compile


@dataclass(frozen=True)
class ParamCheck:
    name: str
    checked: int  # elements compared
    size: int  # elements in the parameter
    max_abs_error: float
    max_rel_error: float
    analytic: np.ndarray  # the checked elements' analytic gradients
    numerical: np.ndarray  # … and their central differences
    elements: np.ndarray  # flat indices of the checked elements

    @property
    def ok(self) -> bool:
        return self.max_rel_error < 1e-5 or self.max_abs_error < 1e-8


def _loss(p: Program) -> float:
    p.forward()
    return float(p.value(p.graph.loss)[0, 0])


def ensure_checkable(graph) -> None:
    """Refuse a graph whose gradients cannot be checked (before anything is computed)."""
    if graph.loss is None:
        raise GraphError("the graph has no loss node to check")
    blocked = graph.steps_blocking_gradients()
    if blocked:
        raise GraphError(
            f"node '{graph.nodes[blocked[0]].name}': a heaviside step has no useful gradient, "
            "so there is none to check (the perceptron rule trains it)"
        )


def gradcheck(
    source: Program,
    feeds: dict[str, np.ndarray] | None = None,
    *,
    h: float = 1e-6,
    max_elements: int = 20,
    seed: int = 0,
) -> list[ParamCheck]:
    """Check ∂loss/∂θ for every parameter (and every differentiable leaf) of `source`.

    `feeds` maps input names to the batch to use; by default the inputs `source` holds now.
    Up to `max_elements` elements per parameter are checked (all when it is smaller).
    """
    graph = source.graph
    ensure_checkable(graph)
    feeds = dict(feeds or {})
    if not feeds:
        for i, node in enumerate(graph.nodes):
            if node.op_name == "input":
                feeds[node.name] = source.value(i).copy()
    batch = max((np.asarray(v).reshape(-1, graph.node(k).cols).shape[0]
                 for k, v in feeds.items() if graph.node(k).rows is None), default=1)  # fmt: skip
    p = compile(graph, np.float64, capacity=batch)
    p.set_params(source.params())
    # dropout keeps the source's draw key: the check sees the step's masks, fixed
    for node in graph.nodes:
        if node.op == ops.DROPOUT:
            p.consts[node.inputs[1]] = source.consts[node.inputs[1]]
    for name, data in feeds.items():
        p.feed(name, data)
    p.grads[:] = 0
    _loss(p)
    p.seed()
    p.backward()
    targets = p.param_indices + [i for i in graph.wrt if i not in p.param_indices]
    rng = np.random.default_rng(seed)
    results = []
    for i in targets:
        value = p.value(i)
        flat = value.reshape(-1)
        grad = p.grad(i).reshape(-1).copy()
        n = flat.size
        chosen = np.arange(n) if n <= max_elements else np.sort(rng.choice(n, max_elements, False))
        numerical = np.empty(len(chosen))
        for j, e in enumerate(chosen):
            keep = flat[e]
            flat[e] = keep + h
            up = _loss(p)
            flat[e] = keep - h
            down = _loss(p)
            flat[e] = keep
            numerical[j] = (up - down) / (2 * h)
        analytic = grad[chosen]
        abs_err = np.abs(analytic - numerical)
        scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numerical)), 1e-12)
        results.append(
            ParamCheck(
                graph.nodes[i].name,
                len(chosen),
                n,
                float(abs_err.max(initial=0.0)),
                float((abs_err / scale).max(initial=0.0)),
                analytic,
                numerical,
                chosen,
            )  # fmt: skip
        )
    _loss(p)
    return results
