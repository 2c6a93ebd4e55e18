"""The explorer's painters: the output of the network over the input plane (decision regions),
one unit's activation, a fitted curve, drawn as a Picture (nnviz.tui.draw.canvas) of the size
the Canvas asks for, from the grids of nnviz.regions."""

from __future__ import annotations

import numpy as np

from nnviz import regions
from nnviz.tui.draw.canvas import Painter, Picture
from nnviz.tui.draw.palette import (
    AXIS_RGB,
    CLASS_CHARS,
    CLASS_RGB,
    CURVE_RGB,
    DATA_RGB,
    NEUTRAL,
    POINT_CHARS,
    SHADES,
    quantise,
    scale_rgb,
)

MAX_GLYPH_POINTS = 64  # more data points than this are drawn as pixels, not as ● glyphs


def region_rgb(values: np.ndarray, task: str, threshold: float = 0.5) -> np.ndarray:
    """The output over the plane as colour: blue ← undecided grey → orange for a binary
    output, the class colour by confidence for several classes, a scale for regression."""
    if task == "regression":
        lo, hi = regions.value_range(values)
        return scale_rgb(regions.normalise(values[..., 0], lo, hi))
    cls = regions.classes(values, task, threshold)
    conf = quantise(regions.confidence(values, task))
    colours = np.array(CLASS_RGB, np.float64)[cls % len(CLASS_RGB)]
    out = np.asarray(NEUTRAL, np.float64) + (colours - NEUTRAL) * (0.25 + 0.75 * conf)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def region_chars(values: np.ndarray, task: str, threshold: float = 0.5) -> np.ndarray:
    """One character per class (or per level for regression)."""
    if task == "regression":
        lo, hi = regions.value_range(values)
        lv = regions.levels(values[..., 0], lo, hi, len(SHADES))
        return np.array(list(SHADES))[lv]
    cls = regions.classes(values, task, threshold)
    return np.array(list(CLASS_CHARS))[cls % len(CLASS_CHARS)]


def paint_regions(
    probe,
    task: str,
    x_range,
    y_range,
    points: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    threshold: float = 0.5,
) -> Painter:
    """The output over the plane with the data on top."""

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        if ascii_mode:
            grid = regions.output_grid(probe, x_range, y_range, cols, rows)
            chars = region_chars(grid, task, threshold)
            _mark_chars(chars, points, labels, x_range, y_range)
            return Picture(cols, rows, chars=["".join(r) for r in chars])
        grid = regions.output_grid(probe, x_range, y_range, cols, 2 * rows)
        rgb = region_rgb(grid, task, threshold)
        pic = Picture(cols, rows, rgb=rgb)
        _mark_pixels(pic, points, labels, x_range, y_range)
        return pic

    return paint


def paint_levels(values_fn, activation: str = "") -> Painter:
    """A unit's activation over the plane: values_fn(cols, rows) → (rows, cols), scaled to
    the activation's range (sigmoid 0 … 1, tanh −1 … 1) or to its values."""

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        grid = values_fn(cols, rows if ascii_mode else 2 * rows)
        lo, hi = regions.value_range(grid, activation)
        if ascii_mode:
            lv = regions.levels(grid, lo, hi, len(SHADES))
            chars = np.array(list(SHADES))[lv]
            return Picture(cols, rows, chars=["".join(r) for r in chars])
        return Picture(cols, rows, rgb=scale_rgb(regions.normalise(grid, lo, hi)))

    return paint


def paint_unit_curve(xs_fn, x_range, activation: str = "") -> Painter:
    """One hidden unit's activation along the input line: xs_fn(n) → (xs, values (n,))."""

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        xs, ys = xs_fn(cols * 2)
        y_range = regions.value_range(ys, activation)
        pad = 0.05 * (y_range[1] - y_range[0])
        y_range = (y_range[0] - pad, y_range[1] + pad)
        return paint_curve(lambda n: (xs, ys.reshape(-1, 1)), x_range, y_range)(
            cols, rows, ascii_mode
        )

    return paint


def paint_curve(
    xs_fn,
    x_range,
    y_range,
    points: np.ndarray | None = None,
    targets: np.ndarray | None = None,
) -> Painter:
    """A fitted curve (xs_fn(n) → (xs, ys)) over the data points of a 1-D regression."""

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        height = rows if ascii_mode else 2 * rows
        canvas = np.zeros((height, cols), np.int8)  # 0 empty, 1 axis, 2 data, 3 curve
        y0, y1 = y_range
        if y0 < 0 < y1:
            zero = int((y1 - 0.0) / (y1 - y0) * height)
            if 0 <= zero < height:
                canvas[zero, :] = 1
        if points is not None and targets is not None:
            pr, pc = regions.cell_of(
                np.column_stack([points[:, 0], targets[:, 0]]), x_range, y_range, cols, height
            )
            ok = pr >= 0
            canvas[pr[ok], pc[ok]] = 2
        xs, ys = xs_fn(cols * 2)
        # every sample's cell at once (one call: a frame draws this several times a second)
        cell_rows, cell_cols = regions.cell_of(
            np.column_stack([xs, ys[:, 0]]), x_range, y_range, cols, height
        )
        prev = None
        for rr, cc in zip(cell_rows.tolist(), cell_cols.tolist(), strict=True):
            if rr < 0:
                prev = None
                continue
            if prev is not None and prev[1] == cc - 1 or prev is not None and prev[1] == cc:
                lo, hi = sorted((prev[0], rr))
                canvas[lo : hi + 1, cc] = 3
            canvas[rr, cc] = 3
            prev = (rr, cc)
        if ascii_mode:
            table = np.array([" ", "-", "o", "*"])
            return Picture(cols, rows, chars=["".join(r) for r in table[canvas]])
        colours = np.array([(0, 0, 0), AXIS_RGB, DATA_RGB, CURVE_RGB], np.uint8)
        return Picture(cols, rows, rgb=colours[canvas])

    return paint


def _mark_chars(chars, points, labels, x_range, y_range) -> None:
    if points is None or len(points) == 0:
        return
    rows, cols = chars.shape
    r, c = regions.cell_of(points[:, :2], x_range, y_range, cols, rows)
    for n in range(len(points)):
        if r[n] >= 0:
            lab = 0 if labels is None else int(labels[n])
            chars[r[n], c[n]] = POINT_CHARS[lab % len(POINT_CHARS)]


def _mark_pixels(pic: Picture, points, labels, x_range, y_range) -> None:
    if points is None or len(points) == 0:
        return
    if len(points) <= MAX_GLYPH_POINTS:
        r, c = regions.cell_of(points[:, :2], x_range, y_range, pic.cols, pic.rows)
        for n in range(len(points)):
            if r[n] >= 0:
                lab = 0 if labels is None else int(labels[n])
                base = np.array(CLASS_RGB[lab % len(CLASS_RGB)], np.float64)
                fg = tuple(int(v) for v in base + (255 - base) * 0.55)
                pic.glyphs[(int(r[n]), int(c[n]))] = ("●", fg)
        return
    r, c = regions.cell_of(points[:, :2], x_range, y_range, pic.cols, 2 * pic.rows)
    ok = r >= 0
    labs = np.zeros(len(points), np.int64) if labels is None else np.asarray(labels, np.int64)
    colours = np.array(CLASS_RGB, np.uint8)[labs % len(CLASS_RGB)]
    bright = np.clip(colours.astype(np.float64) * 1.25 + 20, 0, 255).astype(np.uint8)
    pic.rgb[r[ok], c[ok]] = bright[ok]
