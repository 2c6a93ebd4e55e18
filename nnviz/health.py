"""Gradient health of a network over training: per dense layer, the norm of its weight
gradient, the update/weight ratio, and the share of saturated sigmoid/tanh units or of dead
relu units. It shows why deep sigmoid networks learn slowly: each sigmoid multiplies the
gradient by σ' ≤ 1/4 on its way back, so the first layers' gradients vanish.

A sample is taken between epochs and reads, without changing the run:
- the gradient of the step that comes next (the same batch, the same dropout masks), from a
  forward and backward pass on that batch;
- the update that step will make, computed by the optimizer's own rule on copies of the
  parameters and of its state: ‖ΔW‖ / ‖W‖ per layer (about 1e-3 is the usual healthy size);
- each hidden unit's activations on a fixed probe of training rows, without dropout.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from nnviz.engine import optim, team
from nnviz.errors import InputError
from nnviz.train import Diverged, EpochsDone

# A unit saturates where its local derivative is below this share of the largest it can be
# (σ' < 0.025, tanh' < 0.1); it is flagged when that holds on this share of the probe rows.
SATURATION = 0.1
FLAGGED_SHARE = 0.9
PROBE_ROWS = 512  # training rows whose activations are read (evenly spread over the set)


class HealthError(InputError):
    """A run whose gradient health cannot be measured; the message says why."""


@dataclass(frozen=True)
class LayerHealth:
    """One dense layer k (W_k, b_k, then its activation) at one sample."""

    layer: int  # 1-based
    activation: str
    units: int
    grad_norm: float  # ‖∂L/∂W_k‖ (Frobenius) on the next training batch
    bias_grad_norm: float  # ‖∂L/∂b_k‖
    weight_norm: float  # ‖W_k‖
    update_ratio: float  # ‖ΔW_k‖ / ‖W_k‖ of the next update
    unit_shares: np.ndarray | None  # per unit: share of probe rows saturated (or at 0, relu)
    flagged: np.ndarray | None  # per unit: saturated (sigmoid/tanh) or dead (relu)

    @property
    def saturated_share(self) -> float | None:
        """Share of this layer's units that are saturated (sigmoid and tanh layers)."""
        if self.flagged is None or self.activation not in ("sigmoid", "tanh"):
            return None
        return float(self.flagged.mean())

    @property
    def dead_share(self) -> float | None:
        """Share of this layer's units that output 0 on every probe row (relu layers)."""
        if self.flagged is None or self.activation != "relu":
            return None
        return float(self.flagged.mean())

    def summary(self) -> dict:
        return {
            "layer": self.layer,
            "activation": self.activation,
            "units": self.units,
            "grad_norm": self.grad_norm,
            "bias_grad_norm": self.bias_grad_norm,
            "weight_norm": self.weight_norm,
            "update_ratio": self.update_ratio,
            "saturated_share": self.saturated_share,
            "dead_share": self.dead_share,
        }


@dataclass(frozen=True)
class HealthSample:
    epoch: int  # epochs trained before the sample (0: at the start)
    step: int
    loss: float | None  # mean training loss of the last epoch (None at the start)
    layers: tuple[LayerHealth, ...]


def _dense_layers(model) -> list[tuple[int, str, str]]:
    """(k, activation, name of the activation node) of every dense layer of an MLP."""
    if model.spec is None:
        raise HealthError("gradient health needs a network of dense layers (a [model])")
    _, layers, _ = model.spec
    image = next((k for k, lay in enumerate(layers, start=1) if lay.kind != "dense"), None)
    if image is not None:  # its maps are not one unit per column
        raise HealthError(
            f"gradient health needs a network of dense layers; layer {image} is "
            f"{layers[image - 1].kind}"
        )
    last = len(layers)
    output = model.graph.nodes[model.prediction].name  # p, or a logit or a step's a
    return [
        (k, layer.activation, output if k == last else f"u{k}")
        for k, layer in enumerate(layers, start=1)
    ]


def probe_rows(n_rows: int, limit: int = PROBE_ROWS) -> np.ndarray:
    """Up to `limit` training rows spread evenly over the set (it may be sorted by class)."""
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.unique(np.linspace(0, n_rows - 1, limit).round().astype(np.int64))


def unit_shares(activation: str, values: np.ndarray) -> np.ndarray | None:
    """Per unit (column), the share of rows where it is saturated (sigmoid, tanh) or outputs
    0 (relu); None for other activations."""
    u = np.asarray(values, np.float64)
    if activation == "sigmoid":
        return (u * (1.0 - u) < SATURATION * 0.25).mean(axis=0)
    if activation == "tanh":
        return (1.0 - u * u < SATURATION).mean(axis=0)
    if activation == "relu":
        return (u <= 0.0).mean(axis=0)
    return None


def flag_units(activation: str, shares: np.ndarray | None) -> np.ndarray | None:
    if shares is None:
        return None
    if activation == "relu":
        return shares >= 1.0  # dead: no probe row makes it fire
    return shares >= FLAGGED_SHARE


def measure(session, epoch: int = 0, loss: float | None = None) -> HealthSample:
    """The health of the session's network now, for the training step that comes next."""
    trainer = session.trainer
    if trainer is None:
        raise HealthError(f"scenario '{session.scenario.name}' is an expression graph")
    optimizer = session.optimizer
    if optimizer.kind == "perceptron":
        raise HealthError("the perceptron rule uses no gradient: there is no gradient health")
    model, p = session.model, session.model.program
    layers = _dense_layers(model)
    probe = trainer.X[probe_rows(trainer.X.shape[0])]
    activations = {name: model.output(probe, node=name) for _, _, name in layers[:-1]}
    # the next step's gradient, exactly as the step computes it
    trainer.feed_next_batch()
    optimizer.zero_grad()
    p.forward()
    p.seed()
    p.backward()
    before = p.values[: p.n_param].copy()
    after = _updated(optimizer, p)
    out = []
    for k, activation, name in layers:
        where = p.param_slice(f"W{k}")
        w = before[where].astype(np.float64)
        w_norm = float(np.linalg.norm(w))
        step = float(np.linalg.norm(after[where].astype(np.float64) - w))
        shares = unit_shares(activation, activations[name]) if name in activations else None
        out.append(
            LayerHealth(
                layer=k,
                activation=activation,
                units=int(p.shape(f"W{k}")[1]),
                grad_norm=float(np.linalg.norm(p.grad(f"W{k}").astype(np.float64))),
                bias_grad_norm=float(np.linalg.norm(p.grad(f"b{k}").astype(np.float64))),
                weight_norm=w_norm,
                update_ratio=step / w_norm if w_norm > 0 else float("inf"),
                unit_shares=shares,
                flagged=flag_units(activation, shares),
            )
        )
    return HealthSample(epoch, trainer.steps, loss, tuple(out))


def _updated(optimizer, program) -> np.ndarray:
    """The parameters after the optimizer's next update from the current gradients, computed
    on copies: the run's parameters and optimizer state stay as they are."""
    n = program.n_param
    params = program.values[:n].copy()
    grads = program.grads[:n].copy()
    names = optim.STATE_NAMES[optimizer.kind]
    spare = np.zeros(1, program.dtype)
    s1 = optimizer.state[names[0]].copy() if len(names) > 0 else spare
    s2 = optimizer.state[names[1]].copy() if len(names) > 1 else spare
    hyper = optimizer.hyper.copy()
    optim.apply_update(optimizer.code, hyper, optimizer.t + 1, params, grads, s1, s2, False,
                       team.SOLO, optimizer.spans)  # fmt: skip
    return params


def sample_epochs(epochs: int, samples: int) -> list[int]:
    """The epochs after which to sample: about `samples` of them, evenly spread, the last
    always included."""
    if samples < 1:
        raise HealthError(f"samples must be at least 1, got {samples}")
    picks = np.linspace(0, epochs, min(samples, epochs) + 1).round().astype(int)
    return sorted(set(int(e) for e in picks[1:]))


def track(session, samples: int = 20) -> Iterator[HealthSample | Diverged]:
    """Train the session to its last epoch, yielding a HealthSample at the start and after
    about `samples` evenly spread epochs (a Diverged instead if the loss blows up)."""
    trainer = session.trainer
    if trainer is None:
        raise HealthError(f"scenario '{session.scenario.name}' is an expression graph")
    trainer.warm_up()
    yield measure(session, 0, None)
    loss = None
    for epoch in sample_epochs(trainer.epochs, samples):
        for event in trainer.train_until(epoch):
            if isinstance(event, EpochsDone):
                loss = float(event.losses[-1])
            elif isinstance(event, Diverged):
                yield event
                return
        yield measure(session, trainer.epoch, loss)


def hidden_unit_flags(model, X: np.ndarray) -> dict[str, tuple[str, np.ndarray]]:
    """For each hidden activation node of the model (by role): (its activation, which units
    are saturated (sigmoid, tanh) or dead (relu)) on the probe rows of X, by the same rule as
    a HealthSample's. Only the nodes whose activation can be flagged are listed. The model's
    parameters are read as they are (the explorer passes its probe)."""
    out: dict[str, tuple[str, np.ndarray]] = {}
    if X is None or len(X) == 0:
        return out
    probe = X[probe_rows(X.shape[0])]
    for i in model.roles("hidden"):
        node = model.graph.nodes[i]
        shares = unit_shares(node.op_name, model.output(probe, node=node.name))
        if shares is not None:
            out[node.name] = (node.op_name, flag_units(node.op_name, shares))
    return out
