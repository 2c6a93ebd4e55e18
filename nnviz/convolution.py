"""The teaching numbers of a convolutional layer, read from a Program's buffers.

- `filters`: a conv node's filters as images (F × C × k × k);
- `receptive_field`: which pixels of the network's input a cell of a feature map sees;
- `weight_gradient`: one filter weight's gradient as the correlation of the input patch it
  meets with the upstream map, ∂L/∂K[f,c,u,v] = Σ_n,i,j x[n,c,s·i+u−p,s·j+v−q]·∂L/∂z[n,f,i,j],
  term by term, beside the number the engine's own rule accumulated.

Every number comes from the engine's buffers (values, gradients), nothing is recomputed
by another rule except the sum the screen shows, which `weight_gradient` checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.engine import ops
from nnviz.engine.graph import GraphError, Program


@dataclass(frozen=True)
class WeightGradient:
    """∂L/∂K[f, c, u, v] of one conv node, as the screen shows it.

    patch[n, i, j]: the input x[n, c, s·i + u − p, s·j + v − q] the weight multiplies at output
    cell (i, j) of image n (0 where that falls in the padding); upstream[n, i, j] = ∂L/∂z[n, f,
    i, j]; products = patch ⊙ upstream; total = Σ products (in float64); engine: what the
    conv node's VJP rule adds to that weight (Program.contribution), which total equals up to
    rounding.
    """

    filter: int
    channel: int
    row: int
    col: int
    patch: np.ndarray
    upstream: np.ndarray
    products: np.ndarray
    total: float
    engine: float


def _conv(program: Program, conv: int | str) -> int:
    i = program.find(conv)
    if program.graph.nodes[i].op != ops.CONV2D:
        raise GraphError(f"node '{program.name(i)}' is not a conv2d node")
    return i


def filters(program: Program, conv: int | str) -> np.ndarray:
    """The conv node's filters as F × C × k × k images (a copy)."""
    i = _conv(program, conv)
    node = program.graph.nodes[i]
    x, k = program.graph.nodes[node.inputs[0]], node.window.size
    return program.value(node.inputs[1]).reshape(-1, x.image[0], k, k).copy()


def receptive_field(program: Program, node: int | str, row: int, col: int) -> tuple[int, ...]:
    """The pixels of the input image that cell (row, col) of an image node's maps depends on:
    (top, bottom, left, right), bottom and right excluded, clipped to the image.

    Walks back through the conv and pooling windows (elementwise ops keep the field): a
    window of size k, stride s and padding p maps cells a … b to s·a − p … s·b − p + k − 1.
    """
    graph = program.graph
    i = program.find(node)
    image = graph.nodes[i].image
    if image is None:
        raise GraphError(f"node '{graph.nodes[i].name}' is not an image node")
    if not (0 <= row < image[1] and 0 <= col < image[2]):
        raise GraphError(
            f"node '{graph.nodes[i].name}': cell ({row}, {col}) is outside its "
            f"{image[1]}×{image[2]} maps"
        )
    top, bottom, left, right = row, row, col, col  # inclusive
    while graph.nodes[i].inputs and graph.nodes[graph.nodes[i].inputs[0]].image is not None:
        nd = graph.nodes[i]
        if nd.window is not None:
            w = nd.window
            top, bottom = w.stride * top - w.pad_top, w.stride * bottom - w.pad_top + w.size - 1
            left = w.stride * left - w.pad_left
            right = w.stride * right - w.pad_left + w.size - 1
        i = nd.inputs[0]
    _, h, w_ = graph.nodes[i].image
    return max(top, 0), min(bottom + 1, h), max(left, 0), min(right + 1, w_)


def weight_gradient(
    program: Program, conv: int | str, f: int, c: int, u: int, v: int, sample: int | None = None
) -> WeightGradient:
    """∂L/∂K[f, c, u, v] of the conv node as the correlation of the input patch and the
    upstream map ∂L/∂(conv output)[·, f], from the numbers in the buffers now (after a
    backward pass). `sample`: one image's terms only (engine is then that image's share)."""
    i = _conv(program, conv)
    node = program.graph.nodes[i]
    n_filters, _ = program.shape(node.inputs[1])
    channels, height, width = program.graph.nodes[node.inputs[0]].image
    win = node.window
    k, s = win.size, win.stride
    for name, value, size in (("filter", f, n_filters), ("channel", c, channels)):
        if not 0 <= value < size:
            raise GraphError(f"node '{node.name}': {name} {value} is not in 0 … {size - 1}")
    if not (0 <= u < k and 0 <= v < k):
        raise GraphError(f"node '{node.name}': weight ({u}, {v}) is outside its {k}×{k} kernel")
    x = program.value_images(node.inputs[0])
    up = program.grad_images(i)[:, f]
    if sample is not None:
        if not 0 <= sample < x.shape[0]:
            raise GraphError(f"node '{node.name}': sample {sample} is not in the batch")
        x, up = x[sample : sample + 1], up[sample : sample + 1]
    _, ho, wo = node.image
    ys = s * np.arange(ho) + u - win.pad_top
    xs = s * np.arange(wo) + v - win.pad_left
    inside = ((ys >= 0) & (ys < height))[:, None] & ((xs >= 0) & (xs < width))[None, :]
    patch = np.zeros((x.shape[0], ho, wo), program.dtype)
    rows, cols = np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)
    patch[:] = np.where(inside, x[:, c][:, rows][:, :, cols], 0)
    upstream = up.copy()
    products = patch * upstream
    total = float(np.sum(products, dtype=np.float64))
    engine = _engine_share(program, i, node, f, (c * k + u) * k + v, sample)
    return WeightGradient(f, c, u, v, patch, upstream, products, total, engine)


def _engine_share(program: Program, i: int, node, f: int, column: int, sample) -> float:
    """What the conv node's own VJP rule adds to the weight: for the whole batch, or with
    the upstream of the other images set to zero."""
    upstream = None
    if sample is not None:
        upstream = np.zeros(program.shape(i), program.dtype)
        upstream[sample] = program.grad(i)[sample]
    return float(program.contribution(i, node.inputs[1], upstream)[f, column])


@dataclass(frozen=True)
class Stage:
    """One convolutional stage of a network: the conv node, the activation after it and the
    pooling after that (each None when absent), by node name."""

    conv: str
    weights: str  # the filters, F × (C·k·k)
    input: str  # the image node the conv reads
    activation: str | None
    pool: str | None
    filters: int
    channels: int
    kernel: int
    stride: int

    @property
    def maps(self) -> tuple[str, ...]:
        """The image nodes of the stage, in order: conv output, activation, pooling."""
        return tuple(n for n in (self.conv, self.activation, self.pool) if n is not None)

    @property
    def last(self) -> str:
        return self.maps[-1]


def stages(program: Program) -> list[Stage]:
    """The network's conv stages in order (empty for a network without conv layers)."""
    graph = program.graph
    out = []
    for i, node in enumerate(graph.nodes):
        if node.op != ops.CONV2D:
            continue
        activation = pool = None
        j = i
        nxt = _image_consumer(graph, j)
        if nxt is not None and graph.nodes[nxt].window is None:
            activation, j = graph.nodes[nxt].name, nxt
            nxt = _image_consumer(graph, j)
        if nxt is not None and graph.nodes[nxt].op in (ops.MAXPOOL, ops.AVGPOOL):
            pool = graph.nodes[nxt].name
        x = graph.nodes[node.inputs[0]]
        out.append(
            Stage(
                conv=node.name,
                weights=graph.nodes[node.inputs[1]].name,
                input=x.name,
                activation=activation,
                pool=pool,
                filters=program.shape(node.inputs[1])[0],
                channels=x.image[0],
                kernel=node.window.size,
                stride=node.window.stride,
            )
        )
    return out


def _image_consumer(graph, i: int) -> int | None:
    """The one image node that reads node i with a single image input (an activation or a
    pooling), if there is exactly one."""
    found = [
        c
        for c in graph.consumers(i)
        if graph.nodes[c].image is not None and graph.nodes[c].op != ops.CONV2D
    ]
    return found[0] if len(found) == 1 else None


def feature_maps(program: Program, names) -> dict[str, np.ndarray]:
    """Copies of image nodes' values for the first row of the batch in the buffers now,
    each (C, H, W)."""
    return {name: program.value_images(name)[0].copy() for name in names}
