"""Line charts with axes, as rich Text: value ticks on the left, epoch ticks below, one or two
series drawn with braille dots (2 × 4 to a cell) or, in ASCII mode, one character a cell.

Each column of the chart covers a bucket of epochs and draws the bucket's whole range (its
smallest to its largest value), so that a spike or a blow-up shows however many epochs share
a column. Cheap: a few numpy reductions and one pass over the cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.text import Text

from nnviz.tui import fmt

BRAILLE_BASE = 0x2800
# braille dot bits, by (row 0…3 from the top, column 0…1)
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
BOTH_STYLE = "bold white"  # a cell where two series meet


@dataclass(frozen=True)
class Series:
    label: str
    xs: np.ndarray  # epochs (increasing)
    ys: np.ndarray  # values; NaN where nothing was measured
    style: str
    char: str  # its character in ASCII mode


def value_range(series: list[Series], log: bool, fixed=None) -> tuple[float, float] | None:
    """The y range the chart shows: `fixed` if given, else every finite (positive, on a log
    scale) value of the series."""
    if fixed is not None:
        return float(fixed[0]), float(fixed[1])
    vals = [np.asarray(s.ys, np.float64) for s in series]
    vals = np.concatenate([v[np.isfinite(v)] for v in vals]) if vals else np.zeros(0)
    if log:
        vals = vals[vals > 0]
    if vals.size == 0:
        return None
    lo, hi = float(vals.min()), float(vals.max())
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    if hi - lo < 1e-12:
        pad = 0.5 if log else max(abs(hi) * 0.1, 1e-3)
        lo, hi = lo - pad, hi + pad
    return lo, hi


def _ticks(lo: float, hi: float, log: bool, rows: int) -> dict[int, str]:
    """Row (0 = top) → label, for the top, the bottom and (when there is room) the middle;
    on a log scale the decades inside the range. As many digits as tell them apart."""

    def row_of(v: float) -> int:
        return int(round((hi - v) / (hi - lo) * (rows - 1)))

    values = {0: hi, rows - 1: lo}
    if log:
        for k in range(math.ceil(lo), math.floor(hi) + 1):
            r = row_of(k)
            if 1 < r < rows - 2 and all(abs(r - t) > 1 for t in values):
                values[r] = float(k)
    elif rows >= 5:
        mid = (rows - 1) // 2
        values[mid] = hi - (hi - lo) * mid / (rows - 1)
    for digits in range(2, 7):
        labels = {r: fmt.num(10**v if log else v, digits) for r, v in values.items()}
        if len(set(labels.values())) == len(labels):
            break
    return labels


def line_chart(
    series: list[Series],
    width: int,
    height: int,
    *,
    ascii_mode: bool = False,
    log: bool = False,
    y_range=None,
    x_range: tuple[int, int] | None = None,
    mark_x: int | None = None,
    blowup_x: int | None = None,
    x_label: str = "epoch",
) -> Text:
    """A chart `width` cells wide: `height` rows of plot, an axis row and an epoch-label row.

    `mark_x` draws a cursor column at that epoch; `blowup_x` a red ✗ at the top of the
    column where the values stopped being finite.
    """
    out = Text(no_wrap=True, overflow="crop")
    rng = value_range(series, log, y_range)
    xs_all = [np.asarray(s.xs) for s in series if len(s.xs)]
    if x_range is None:
        if not xs_all:
            return out
        x_range = (int(min(x.min() for x in xs_all)), int(max(x.max() for x in xs_all)))
    x0, x1 = int(x_range[0]), max(int(x_range[1]), int(x_range[0]) + 1)
    if rng is None:
        rng = (0.0, 1.0)
    lo, hi = rng
    ticks = _ticks(lo, hi, log, height)
    label_w = max(len(t) for t in ticks.values()) + 1
    plot_w = max(width - label_w - 1, 4)
    sub_x, sub_y = (1, 1) if ascii_mode else (2, 4)
    dots_w, dots_h = plot_w * sub_x, height * sub_y
    # per series: which dots are on, (dots_h, dots_w)
    layers = [_dots(s, x0, x1, lo, hi, log, dots_w, dots_h) for s in series]
    mark_col = _column(mark_x, x0, x1, plot_w) if mark_x is not None else None
    blow_col = _column(blowup_x, x0, x1, plot_w) if blowup_x is not None else None
    codes = [_cell_codes(layer, height, plot_w, sub_y, sub_x) for layer in layers]
    for row in range(height):
        tick = ticks.get(row)
        out.append(f"{tick or '':>{label_w - 1}} ", style="dim")
        out.append("┤" if tick else "│", style="dim")
        for col in range(plot_w):
            if row == 0 and col == blow_col:
                out.append("✗", style="bold red")
                continue
            on = [n for n, c in enumerate(codes) if c[row, col]]
            if not on:
                if col == mark_col:
                    out.append("|" if ascii_mode else "│", style="bold cyan")
                else:
                    out.append(" ")
                continue
            style = series[on[0]].style if len(on) == 1 else BOTH_STYLE
            if col == mark_col:
                style += " reverse"
            if ascii_mode:
                out.append(series[on[0]].char if len(on) == 1 else "#", style=style)
            else:
                bits = 0
                for n in on:
                    bits |= int(codes[n][row, col])
                out.append(chr(BRAILLE_BASE + bits), style=style)
        out.append("\n")
    # the epoch axis: └──┬───┬──, then the labels under the tick marks
    axis = ["─"] * plot_w
    labels = [" "] * (plot_w + 1)
    for epoch in _epoch_ticks(x0, x1, plot_w):
        c = _column(epoch, x0, x1, plot_w)
        text = str(epoch)
        start = min(max(c + 1 - len(text) // 2, 0), plot_w + 1 - len(text))
        if all(ch == " " for ch in labels[max(start - 1, 0) : start + len(text) + 1]):
            labels[start : start + len(text)] = list(text)
            axis[c] = "┬"
    out.append(" " * label_w + "└" + "".join(axis) + "\n", style="dim")
    line = "".join(labels)
    if len(x_label) + 1 <= label_w:
        out.append(f"{x_label:>{label_w - 1}} " + line, style="dim")
    else:
        out.append(" " * label_w + line, style="dim")
    return out


def _epoch_ticks(x0: int, x1: int, plot_w: int) -> list[int]:
    """The first and last epoch, and round numbers between them (1, 2 or 5 × 10^k apart)
    about every 10 cells."""
    wanted = max(plot_w // 10, 1)
    raw = (x1 - x0) / wanted
    step = 1
    for k in range(0, 12):
        for m in (1, 2, 5):
            if m * 10**k >= raw:
                step = m * 10**k
                break
        else:
            continue
        break
    inner = list(range((x0 // step + 1) * step, x1, step))
    return [x0, x1] + inner  # the ends first: they win when labels collide


def _column(x: int, x0: int, x1: int, plot_w: int) -> int | None:
    if x < x0 or x > x1:
        return None
    return min(int((x - x0) / (x1 - x0) * plot_w), plot_w - 1)


def _dots(s: Series, x0, x1, lo, hi, log, dots_w, dots_h) -> np.ndarray:
    """The dots a series covers: for each dot column, its bucket's lowest to highest value,
    joined to the neighbouring column so that the line has no gaps."""
    grid = np.zeros((dots_h, dots_w), bool)
    xs = np.asarray(s.xs, np.float64)
    ys = np.asarray(s.ys, np.float64)
    ok = np.isfinite(ys) & np.isfinite(xs)
    if log:
        ok &= ys > 0
    if not ok.any():
        return grid
    xs, ys = xs[ok], ys[ok]
    if log:
        ys = np.log10(ys)
    cols = np.clip(((xs - x0) / (x1 - x0) * dots_w).astype(np.int64), 0, dots_w - 1)
    rows = np.clip(np.rint((hi - ys) / (hi - lo) * (dots_h - 1)), 0, dots_h - 1).astype(np.int64)
    top = np.full(dots_w, dots_h, np.int64)  # smallest row index (the highest value)
    bottom = np.full(dots_w, -1, np.int64)
    np.minimum.at(top, cols, rows)
    np.maximum.at(bottom, cols, rows)
    # each column's own range, the mean row of its points for the line between columns
    sums = np.zeros(dots_w)
    counts = np.zeros(dots_w)
    np.add.at(sums, cols, rows)
    np.add.at(counts, cols, 1)
    used = np.flatnonzero(counts)
    for c in used:
        grid[top[c] : bottom[c] + 1, c] = True
    mid = np.rint(sums[used] / counts[used]).astype(np.int64)
    for (c0, r0), (c1, r1) in zip(
        zip(used[:-1], mid[:-1], strict=True), zip(used[1:], mid[1:], strict=True), strict=True
    ):
        prev = r0
        for c in range(c0 + 1, c1 + 1):  # a straight segment, each column joined to the last
            r = int(round(r0 + (r1 - r0) * (c - c0) / (c1 - c0)))
            lo, hi = min(prev, r), max(prev, r)
            grid[lo : hi + 1, c if r != prev else c] = True
            prev = r
    return grid


def _cell_codes(grid: np.ndarray, rows: int, cols: int, sub_y: int, sub_x: int) -> np.ndarray:
    """(rows, cols) braille bits of each cell (in ASCII mode, 1 where any dot is on)."""
    cells = grid.reshape(rows, sub_y, cols, sub_x)
    if sub_y == 1:
        return cells[:, 0, :, 0].astype(np.int64)
    weights = np.array(_DOTS, np.int64)  # (4, 2)
    return np.einsum("ryxc,yc->rx", cells.astype(np.int64), weights)
