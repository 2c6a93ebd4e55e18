"""A 2-D principal-component plane of image inputs, and the classes a model gives across it.

Numbers only (numpy): the explorer draws what this returns.

fit_plane(x_train) finds the mean image and the two directions of largest variance. Every
point (a, b) of the plane stands for the image mean + a·c₁ + b·c₂ in pixel space, so a model
can classify it like any input; class_grid() does that for a grid of points. Test images are
placed on the plane by their coordinates (x − mean)·cᵀ. The plane is a slice through input
space: an image off the plane may be classified differently from the plane point it maps to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAX_FIT_ROWS = 5_000  # enough rows to pin down two components of 784 pixels
CHUNK_ROWS = 4096  # rows centred at a time, so no full-size copy of the data is made
GRID_CHUNK_BYTES = 2 << 20  # a class grid's points lifted to input space at a time

Extent = tuple[float, float, float, float]  # (a_min, a_max, b_min, b_max)


@dataclass(frozen=True)
class Plane:
    """mean (D,), components (2, D) with orthonormal rows, variance (2,) along each."""

    mean: np.ndarray
    components: np.ndarray
    variance: np.ndarray
    explained: np.ndarray  # share of the total variance each component explains

    @property
    def n_inputs(self) -> int:
        return int(self.mean.shape[0])

    def project(self, X) -> np.ndarray:
        """Coordinates (N, 2) of the rows of X on the plane: (x − mean)·componentsᵀ."""
        X = np.asarray(X)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        _check_width(X, self.n_inputs)
        out = np.empty((X.shape[0], 2), np.float64)
        comp_t = self.components.T
        shift = self.mean @ comp_t
        for lo in range(0, X.shape[0], CHUNK_ROWS):
            block = np.asarray(X[lo : lo + CHUNK_ROWS], np.float64)
            out[lo : lo + block.shape[0]] = block @ comp_t - shift
        return out

    def lift(self, coords) -> np.ndarray:
        """Points of input space (N, D) for plane coordinates (N, 2): mean + coords·components."""
        coords = np.asarray(coords, np.float64)
        if coords.ndim == 1:
            coords = coords.reshape(1, -1)
        if coords.ndim != 2 or coords.shape[1] != 2:
            raise ValueError(f"plane coordinates must have 2 columns, got shape {coords.shape}")
        return self.mean + coords @ self.components


def fit_plane(X, max_rows: int = MAX_FIT_ROWS, seed: int = 0) -> Plane:
    """The plane through the mean of X's rows spanned by its first two principal components.

    At most `max_rows` rows (a seeded random subset) are used, which keeps the fit quick on
    60,000 images. Each component's sign is fixed so that its largest entry is positive, so
    the same data always gives the same picture.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 2:
        raise ValueError(f"fitting a plane needs at least 2 rows of 2 columns, got {X.shape}")
    if X.shape[0] > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(X.shape[0], max_rows, replace=False))
        X = X[rows]
    # float32 products for speed (pixels need no more); the eigen problem in float64.
    X = np.asarray(X, np.float32)
    mean = X.mean(axis=0, dtype=np.float64)
    centred = X - mean.astype(np.float32)
    cov = (centred.T @ centred).astype(np.float64) / (X.shape[0] - 1)
    vectors, values = _top_eigen(cov, 2, seed)
    for row in vectors:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    variance = np.maximum(values, 0.0)
    total = float(np.trace(cov))
    explained = variance / total if total > 0 else np.zeros(2)
    return Plane(mean, vectors, variance, explained)


def _top_eigen(cov: np.ndarray, k: int, seed: int, iters: int = 30, block: int = 10):
    """The k leading eigenvectors (rows) and eigenvalues of a symmetric PSD matrix.

    Subspace iteration on a block of `block` vectors, then Rayleigh–Ritz: a full eigh of a
    784 × 784 matrix costs seconds on a slow machine, this costs milliseconds. Small
    matrices take the full decomposition.
    """
    d = cov.shape[0]
    if d <= 4 * block:
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1][:k]
        return vectors[:, order].T.copy(), values[order]
    q = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, block)))[0]
    for _ in range(iters):
        q = np.linalg.qr(cov @ q)[0]
    small = q.T @ cov @ q
    values, vectors = np.linalg.eigh((small + small.T) / 2)
    order = np.argsort(values)[::-1][:k]
    return (q @ vectors[:, order]).T.copy(), values[order]


def extent_of(coords, margin: float = 0.05) -> Extent:
    """(a_min, a_max, b_min, b_max) around the coordinates, widened by `margin` of each span."""
    coords = np.asarray(coords, np.float64)
    if coords.size == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo = coords.min(axis=0)
    hi = coords.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo = lo - margin * span
    hi = hi + margin * span
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def grid_coords(extent: Extent, cols: int, rows: int) -> np.ndarray:
    """Plane coordinates (rows·cols, 2) of the cell centres of a rows × cols grid.

    Row 0 is the top of the picture (largest b), column 0 the left (smallest a); points are
    in reading order.
    """
    if cols < 1 or rows < 1:
        raise ValueError(f"a grid needs at least 1 × 1 cells, got {cols} × {rows}")
    a0, a1, b0, b1 = extent
    a = a0 + (np.arange(cols) + 0.5) * (a1 - a0) / cols
    b = b1 - (np.arange(rows) + 0.5) * (b1 - b0) / rows
    aa, bb = np.meshgrid(a, b)
    return np.column_stack([aa.ravel(), bb.ravel()])


def cell_of(coords, extent: Extent, cols: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of the grid cell each point falls in, or −1 for points outside the extent."""
    coords = np.asarray(coords, np.float64).reshape(-1, 2)
    a0, a1, b0, b1 = extent
    col = np.floor((coords[:, 0] - a0) / (a1 - a0) * cols).astype(np.int64)
    row = np.floor((b1 - coords[:, 1]) / (b1 - b0) * rows).astype(np.int64)
    outside = (col < 0) | (col >= cols) | (row < 0) | (row >= rows)
    col[outside] = -1
    row[outside] = -1
    return row, col


def class_grid(
    predict: Callable[[np.ndarray], np.ndarray] | object,
    plane: Plane,
    extent: Extent,
    cols: int,
    rows: int,
) -> np.ndarray:
    """The class (argmax of the prediction) at every cell centre: an int array (rows, cols).

    `predict` is a Model (its .predict is used) or any function from (N, D) inputs to
    (N, K) scores.
    """
    fn = predict.predict if hasattr(predict, "predict") else predict
    coords = grid_coords(extent, cols, rows)
    classes = np.empty(len(coords), np.int64)
    # a few hundred points at a time: lifted to MNIST's 784 inputs in float64, the whole grid
    # of a large pane was three fresh arrays of tens of MB, four times a second
    step = max(GRID_CHUNK_BYTES // (8 * plane.n_inputs), 1)
    for lo in range(0, len(coords), step):
        points = plane.lift(coords[lo : lo + step]).astype(np.float32)
        scores = np.asarray(fn(points))
        if scores.ndim != 2 or scores.shape[0] != points.shape[0]:
            raise ValueError(f"predict returned shape {scores.shape} for {points.shape[0]} points")
        hi = lo + len(points)
        if scores.shape[1] == 1:
            classes[lo:hi] = scores[:, 0] > 0.5
        else:
            classes[lo:hi] = np.argmax(scores, axis=1)
    return classes.reshape(rows, cols)


@dataclass(frozen=True)
class DecisionPlane:
    """What the regions view draws: classes (rows, cols) over `extent`, and the test points."""

    classes: np.ndarray
    extent: Extent
    coords: np.ndarray  # (N, 2) test samples on the plane
    labels: np.ndarray | None  # (N,) their true classes


def decision_plane(
    model,
    x_train,
    x_test,
    labels_test=None,
    cols: int = 64,
    rows: int = 32,
    plane: Plane | None = None,
) -> DecisionPlane:
    """Fit the plane on x_train (unless given), classify a cols × rows grid over the test
    samples' extent, and place the test samples."""
    plane = fit_plane(x_train) if plane is None else plane
    coords = plane.project(x_test)
    extent = extent_of(coords)
    classes = class_grid(model, plane, extent, cols, rows)
    labels = None if labels_test is None else np.asarray(labels_test)
    return DecisionPlane(classes, extent, coords, labels)


def _check_width(X: np.ndarray, width: int) -> None:
    if X.ndim != 2 or X.shape[1] != width:
        raise ValueError(f"expected rows of {width} inputs, got shape {X.shape}")
