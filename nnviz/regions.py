"""Decision regions and fitted curves, as numbers: what a network computes over its input space.

For a network with two inputs, every node computed per sample can be evaluated over a grid of
the input plane: the output gives the decision regions, each hidden unit its own region (the
course's "each hidden unit's own region"). For one input, the same nodes sampled along a line
give the fitted curve and each hidden unit's curve. Values come from the engine
(``model.output(X, node=...)``); this module only lays out grids and classifies.

Numbers only: numpy, no textual or rich (the explorer and notebooks both draw from these).

    grid = output_grid(model, (-0.5, 1.5), (-0.5, 1.5), cols=40, rows=24)   # (24, 40, 1)
    for name, unit, values in hidden_grids(model, ...): ...                 # each (24, 40)
    xs, ys = curve(model, (-1, 1), 200)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Range = tuple[float, float]

# Activations whose output range is fixed; others (relu, identity) are scaled to their values.
ACTIVATION_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "step": (0.0, 1.0)}


# ------------------------------------------------------------------ the plane
def plane(x_range: Range, y_range: Range, cols: int, rows: int) -> np.ndarray:
    """The centres of a cols × rows grid of cells over the plane, as (rows·cols, 2) points.

    Row 0 is the top of the picture (the largest y), column 0 the left (the smallest x),
    so that grid values reshape to (rows, cols) in reading order.
    """
    cols, rows = max(int(cols), 1), max(int(rows), 1)
    x0, x1 = map(float, x_range)
    y0, y1 = map(float, y_range)
    xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    ys = y1 - (np.arange(rows) + 0.5) * (y1 - y0) / rows
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float64)


def cell_of(points: np.ndarray, x_range: Range, y_range: Range, cols: int, rows: int):
    """The (row, col) cell of each 2-D point on the grid of ``plane``; -1 when outside."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    x0, x1 = map(float, x_range)
    y0, y1 = map(float, y_range)
    finite = np.all(np.isfinite(pts), axis=1)
    pts = np.where(finite[:, None], pts, x0 - 1.0)  # NaN or infinity: outside the picture
    fx = np.clip((pts[:, 0] - x0) / (x1 - x0) * cols, -1, cols + 1)
    fy = np.clip((y1 - pts[:, 1]) / (y1 - y0) * rows, -1, rows + 1)
    col = np.floor(fx).astype(np.int64)
    row = np.floor(fy).astype(np.int64)
    # A point exactly on the far edge belongs to the last cell.
    col[(col == cols) & np.isclose(pts[:, 0], x1)] = cols - 1
    row[(row == rows) & np.isclose(pts[:, 1], y0)] = rows - 1
    outside = ~finite | (col < 0) | (col >= cols) | (row < 0) | (row >= rows)
    row[outside] = -1
    col[outside] = -1
    return row, col


def view_ranges(
    X: np.ndarray | None,
    x_range: Range | None = None,
    y_range: Range | None = None,
    margin: float = 0.1,
) -> tuple[Range, Range]:
    """The plane to draw: the scenario's ranges where given, else the data's with a margin."""

    def around(values: np.ndarray | None) -> Range:
        if values is None or values.size == 0:
            return (-1.0, 1.0)
        lo, hi = float(np.min(values)), float(np.max(values))
        pad = margin * (hi - lo) if hi > lo else 0.5
        return (lo - pad, hi + pad)

    X = None if X is None else np.asarray(X, np.float64)
    xr = tuple(map(float, x_range)) if x_range else around(None if X is None else X[:, 0])
    if y_range:
        yr = tuple(map(float, y_range))
    else:
        yr = around(None if X is None or X.shape[1] < 2 else X[:, 1])
    return xr, yr


# ------------------------------------------------------------------ which nodes
def hidden_nodes(model) -> list[str]:
    """The hidden activations (u1, u2, …), by role."""
    return [model.graph.nodes[i].name for i in model.roles("hidden")]


def pre_activation(model) -> str | None:
    """The node the prediction is computed from (h, the output's pre-activation z)."""
    i = model.role("output_pre")
    return None if i is None else model.graph.nodes[i].name


def activation_of(model, name: str) -> str:
    return model.graph.node(name).op_name


# ------------------------------------------------------------------ 2-D grids
def output_grid(
    model, x_range: Range, y_range: Range, cols: int, rows: int, node: str | None = None
) -> np.ndarray:
    """A node's value (the prediction by default) over the plane: (rows, cols, units)."""
    X = plane(x_range, y_range, cols, rows)
    out = model.output(X, node=node)
    return np.asarray(out, np.float64).reshape(rows, cols, -1)


def hidden_grids(
    model, x_range: Range, y_range: Range, cols: int, rows: int
) -> list[tuple[str, int, np.ndarray]]:
    """(node, unit, values (rows, cols)) of every hidden unit over the plane."""
    X = plane(x_range, y_range, cols, rows)
    out = []
    for name in hidden_nodes(model):
        values = np.asarray(model.output(X, node=name), np.float64)
        for unit in range(values.shape[1]):
            out.append((name, unit, values[:, unit].reshape(rows, cols)))
    return out


def classes(values: np.ndarray, task: str, threshold: float = 0.5) -> np.ndarray:
    """The class each value means: binary p > threshold; multiclass the argmax; (…, units)."""
    values = np.asarray(values)
    if task == "multiclass" or values.shape[-1] > 1:
        return np.argmax(values, axis=-1)
    return (values[..., 0] > threshold).astype(np.int64)


def rows_right(model, x, y) -> np.ndarray | None:
    """Which rows of (x, y) the model gets right: its class (p > its threshold, or the argmax)
    is the target's (y > 0.5, or the one-hot's argmax); None for regression. The truth table
    marks each row with this, right or wrong against its target."""
    if model.task == "regression":
        return None
    p = model.output(x)
    return classes(p, model.task, model.threshold) == classes(np.asarray(y), model.task, 0.5)


def confidence(values: np.ndarray, task: str) -> np.ndarray:
    """How sure the output is, 0 (undecided) … 1: |2p − 1| for binary, the top probability
    rescaled from 1/K … 1 for multiclass."""
    values = np.asarray(values, np.float64)
    if task == "multiclass" or values.shape[-1] > 1:
        k = values.shape[-1]
        top = np.max(values, axis=-1)
        return np.clip((top - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
    return np.clip(np.abs(2.0 * values[..., 0] - 1.0), 0.0, 1.0)


def value_range(values: np.ndarray, activation: str = "") -> Range:
    """The range to scale a map to: fixed for bounded activations, else the values' own."""
    if activation in ACTIVATION_RANGES:
        return ACTIVATION_RANGES[activation]
    values = np.asarray(values, np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if activation == "relu":
        lo = 0.0
    if hi - lo < 1e-12:
        hi = lo + 1.0
    return lo, hi


def normalise(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values scaled to 0 … 1 (clipped); NaN becomes 0.5."""
    t = (np.asarray(values, np.float64) - lo) / (hi - lo if hi != lo else 1.0)
    t = np.where(np.isfinite(t), t, 0.5)
    return np.clip(t, 0.0, 1.0)


def levels(values: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Values quantised to n levels 0 … n−1 over lo … hi."""
    return np.minimum((normalise(values, lo, hi) * n).astype(np.int64), n - 1)


# ------------------------------------------------------------------ 1-D curves
def line(x_range: Range, n: int) -> np.ndarray:
    x0, x1 = map(float, x_range)
    return np.linspace(x0, x1, max(int(n), 2))


def curve(model, x_range: Range, n: int, node: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(xs, values (n, units)) of a node (the prediction by default) along the input line."""
    xs = line(x_range, n)
    out = model.output(xs.reshape(-1, 1), node=node)
    return xs, np.asarray(out, np.float64)


def hidden_curves(model, x_range: Range, n: int) -> list[tuple[str, int, np.ndarray]]:
    """(node, unit, values (n,)) of every hidden unit along the input line."""
    xs = line(x_range, n).reshape(-1, 1)
    out = []
    for name in hidden_nodes(model):
        values = np.asarray(model.output(xs, node=name), np.float64)
        for unit in range(values.shape[1]):
            out.append((name, unit, values[:, unit]))
    return out


def curve_range(series: Sequence[np.ndarray], margin: float = 0.05) -> Range:
    """A y range that holds every finite value of the series."""
    finite = [np.asarray(s, np.float64).ravel() for s in series]
    finite = [s[np.isfinite(s)] for s in finite]
    finite = [s for s in finite if s.size]
    if not finite:
        return (-1.0, 1.0)
    lo = min(float(s.min()) for s in finite)
    hi = max(float(s.max()) for s in finite)
    pad = margin * (hi - lo) if hi > lo else 0.5
    return lo - pad, hi + pad


# ------------------------------------------------------------------ many inputs
