"""Build an MLP Graph from a layer spec: the network as data, as in the course.

Node names follow the course: x (inputs), y (targets), W1, b1 (first layer), xW1 = x·W1,
z1 = xW1 + b1 (pre-activation), u1 (hidden activation), …, p (the output), L (the loss).
A conv layer k has filters W<k> (one row of C·k·k weights per filter) and bias b<k>:
z<k> = u<k−1> ⋆ W<k> + b<k>, then u<k>; a pooling layer k gives m<k>; the last image node
is flattened (<name>_flat) before the first dense layer. Layers are numbered in order.
A hidden layer with dropout adds its mask m1 and d1 = u1 ⊙ m1 / (1 − rate), which the next
layer reads (d1W2).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnviz.engine.graph import Graph, GraphError
from nnviz.engine.spec import (
    ACTIVATIONS,
    INITIALIZERS,
    LOSSES,
    Layer,
    LayerShapeError,
    plan_layers,
    summary_rows,
)

__all__ = ["Layer", "build_mlp", "init_weights", "summary_text"]


def _plan(n_inputs, layers, image):
    try:
        return plan_layers(n_inputs, layers, image)
    except LayerShapeError as exc:
        raise GraphError(f"layers[{exc.index}]: {exc}") from None


def init_weights(
    n_inputs: int,
    layers: Sequence[Layer],
    init: str = "glorot",
    scale: float = 0.7,
    seed: int = 0,
    image: tuple[int, int, int] | None = None,
) -> dict[str, np.ndarray]:
    """Starting weights, seeded: W_k is (fan_in × units), b_k is (1 × units); a conv layer's
    W_k is (filters × C·k·k), drawn as its transpose (fan_in × filters) so that the numbers
    are the reference benchmarks' (peers/common.py init_cnn) for the same seed.

    uniform: W and b from U[−scale, scale] (the course's a = 0.7); glorot: W from
    U[±√(6/(fan_in+fan_out))], b = 0; he: W from N(0, 2/fan_in), b = 0; zeros: all 0.
    A conv layer's fans are C·k·k and filters·k·k (as Keras and PyTorch count them).
    """
    if init not in INITIALIZERS:
        raise GraphError(f"initializer '{init}' is not one of {', '.join(INITIALIZERS)}")
    rng = np.random.default_rng(seed)
    weights = {}
    for planned, layer in zip(_plan(n_inputs, layers, image), layers, strict=True):
        n = planned.index + 1
        if planned.kind == "pool":
            continue
        fan_in = int(np.prod(planned.shape_in))
        fan_out = layer.units
        if planned.kind == "conv":
            fan_in = planned.shape_in[0] * planned.size**2
            fan_out = layer.units * planned.size**2
        shape = (fan_in, layer.units)
        if init == "uniform":
            w = rng.uniform(-scale, scale, size=shape)
            b = rng.uniform(-scale, scale, size=(1, layer.units))
        elif init == "glorot":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-limit, limit, size=shape)
            b = np.zeros((1, layer.units))
        elif init == "he":
            w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
            b = np.zeros((1, layer.units))
        else:
            w = np.zeros(shape)
            b = np.zeros((1, layer.units))
        weights[f"W{n}"] = np.ascontiguousarray(w.T) if planned.kind == "conv" else w
        weights[f"b{n}"] = b
    return weights


def build_mlp(
    n_inputs: int,
    layers: Sequence[Layer | tuple[int, str]],
    loss: str,
    weights: dict[str, np.ndarray],
    l2: float = 0.0,
    image: tuple[int, int, int] | None = None,
    l1: float = 0.0,
    features: tuple[Sequence[str], np.ndarray, int] | None = None,
) -> Graph:
    """The graph of a network with the given starting weights and loss: dense layers, with
    conv and pooling layers before them when the inputs are images of shape `image`.

    Softmax + cross-entropy and sigmoid + bce_logits use the fused, stable loss on the
    logits; the probabilities are still computed (as p) for reading and predicting.
    l2 adds R<k> = l2·ΣW<k>² and l1 adds A<k> = l1·Σ|W<k>| for every weight matrix (biases
    are left out) to the data loss J; the sum is L.
    features: (names, table, data columns) of engineered input columns: x holds the data's
    columns, φ = features(x, φ_table) the network's n_inputs columns (one per name), which the
    first layer reads.
    """
    layers = [Layer(*lay) if isinstance(lay, tuple) else lay for lay in layers]
    _check_spec(n_inputs, layers, loss)
    plan = _plan(n_inputs, layers, image)
    g = Graph()
    if features is not None:
        names, table, raw = features
        if len(names) != n_inputs or table.shape[0] != n_inputs:
            raise GraphError(f"features: {len(names)} names for {n_inputs} network inputs")
        x = g.input("x", raw)
        g.nodes[x].columns = tuple(f"x{j + 1}" for j in range(g.nodes[x].cols))
        g.const("φ_table", table)
        phi = g.op("features", "x", "φ_table", name="φ")
        g.nodes[phi].role, g.nodes[phi].columns = "features", tuple(names)
        prev = "φ"
    else:
        x = g.input("x", n_inputs, image=image if plan[0].kind != "dense" else None)
        prev = "x"
    g.nodes[x].role = "x"
    last = len(layers)
    for planned, layer in zip(plan, layers, strict=True):
        n = planned.index + 1
        if planned.kind == "pool":
            prev_name = f"m{n}"
            op = "maxpool" if layer.pool == "max" else "avgpool"
            g.op(op, prev, name=prev_name, size=planned.size, stride=planned.stride)
            prev = prev_name
            continue
        for name in (f"W{n}", f"b{n}"):
            if name not in weights:
                raise GraphError(f"node '{name}': no starting value given")
        frozen = not layer.trainable
        w = g.param(f"W{n}", weights[f"W{n}"], frozen=frozen)
        b = g.param(f"b{n}", np.asarray(weights[f"b{n}"]).reshape(1, -1), frozen=frozen)
        if planned.kind == "conv":
            z = g.op("conv2d", prev, f"W{n}", f"b{n}", name=f"z{n}", stride=planned.stride,
                     padding=layer.padding)  # fmt: skip
        else:
            if g.nodes[g.find(prev)].image is not None:
                g.op("reshape", prev, name=f"{prev}_flat", image=None)
                prev = f"{prev}_flat"
            g.op("matmul", prev, f"W{n}", name=f"{prev}W{n}")
            z = g.op("add", f"{prev}W{n}", f"b{n}", name=f"z{n}")
        out_name = "p" if n == last else f"u{n}"
        if n == last and layer.activation == "step":
            out_name = "a"
        if n == last and layer.activation == "identity" and loss == "bce_logits":
            out_name = "logit"  # what the loss reads: a logit, not a probability p
        out = g.op(layer.activation, z, name=out_name)
        g.nodes[w].role, g.nodes[b].role = "weights", "bias"
        g.nodes[z].role = "output_pre" if n == last else "hidden_pre"
        if n != last:
            g.nodes[out].role = "hidden"
        prev = out_name
        if layer.dropout and n != last:
            # d_n = u_n ⊙ m_n / (1 − rate): m_n is the mask the training step draws
            mask = g.input(f"m{n}", layer.units)
            g.nodes[mask].role = "mask"
            prev = f"d{n}"
            g.op("dropout", out_name, mask, name=prev, const=layer.dropout)
    y = g.input("y", layers[-1].units)
    g.nodes[y].role = "y"
    g.nodes[out].role = "prediction"
    z_last = g.nodes[out].inputs[0]
    penalized = l2 or l1
    if loss == "cross_entropy":
        data_loss = g.op("softmax_ce", z_last, y, name="J" if penalized else "L")
    elif loss == "bce_logits":
        data_loss = g.op("bce_logits", z_last, y, name="J" if penalized else "L")
    else:
        data_loss = g.op(loss, out, y, name="J" if penalized else "L")
    total = data_loss
    # (op, penalty node, running sum) per weight matrix: R<k> for l2, A<k> for l1
    terms = []
    for n in (p.index + 1 for p in plan if p.kind != "pool"):
        if l2:
            terms.append(("l2", l2, f"R{n}", f"J{n}"))
        if l1:
            terms.append(("l1", l1, f"A{n}", f"J{n}a" if l2 else f"J{n}"))
    for j, (op, rate, pen_name, sum_name) in enumerate(terms):
        n = pen_name[1:]
        pen = g.op(op, f"W{n}", name=pen_name, const=rate)
        total = g.op("add", total, pen, name="L" if j == len(terms) - 1 else sum_name)
    g.loss = total
    g.nodes[total].role = "loss"
    return g


def _check_spec(n_inputs: int, layers: Sequence[Layer], loss: str) -> None:
    if n_inputs < 1:
        raise GraphError(f"inputs must be at least 1, got {n_inputs}")
    if not layers:
        raise GraphError("a network needs at least one layer")
    for n, layer in enumerate(layers):
        if layer.kind == "pool":
            continue
        if layer.units < 1:
            raise GraphError(f"layers[{n}].units must be at least 1, got {layer.units}")
        if not 0.0 <= layer.dropout < 1.0:
            raise GraphError(f"layers[{n}].dropout must be in [0, 1), got {layer.dropout}")
        if layer.dropout and n == len(layers) - 1:
            raise GraphError(f"layers[{n}]: dropout is for hidden layers, not the output layer")
        if layer.activation not in ACTIVATIONS:
            raise GraphError(
                f"layers[{n}].activation '{layer.activation}' is not one of "
                f"{', '.join(ACTIVATIONS)}"
            )
    if loss not in LOSSES:
        raise GraphError(f"loss '{loss}' is not one of {', '.join(LOSSES)}")
    out = layers[-1]
    if out.kind != "dense":
        raise GraphError(f"layers[{len(layers) - 1}]: the output layer must be a dense layer")
    if loss == "cross_entropy" and (out.activation != "softmax" or out.units < 2):
        raise GraphError("loss cross_entropy needs a softmax output layer of at least 2 units")
    if loss in ("bce", "bce_logits") and out.units != 1:
        raise GraphError(f"loss {loss} needs an output layer of 1 unit")
    if loss == "bce" and out.activation != "sigmoid":
        raise GraphError("loss bce needs a sigmoid output (probabilities)")


def summary_text(n_inputs: int, layers: Sequence[Layer], image=None) -> str:
    """The summary as plain text, for notebooks and logs."""
    rows = summary_rows(n_inputs, layers, image)
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{'Layer (type)':<{width}}{'Output Shape':<20}{'Param #':>10}", "=" * (width + 30)]
    for name, shape, count in rows:
        lines.append(f"{name:<{width}}{shape:<20}{count:>10,}")
    lines.append("=" * (width + 30))
    lines.append(f"Total params: {sum(r[2] for r in rows):,}")
    return "\n".join(lines)
