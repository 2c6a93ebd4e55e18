"""Line charts in text: several series on one pair of axes (linear or log), a legend, and a
marked point. Each series has its colour and its own character, so a chart reads in ASCII
mode and in a screen capture without colour too. Pure functions from numbers to rich Text:
the numbers are the engine's results, handed over as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rich.text import Text

from nnviz.tui import fmt
from nnviz.tui.draw.palette import class_fg

SERIES_CHARS = "*o+x#@%&=~"  # one per series, in ASCII mode
DOT = "•"  # every series' point in colour mode (told apart by colour)
BEST = "▲"  # the marked point (ASCII: ^)
LABEL_W = 8  # the y labels' column


@dataclass(frozen=True)
class Series:
    label: str
    xs: np.ndarray
    ys: np.ndarray


def series_char(k: int, ascii_mode: bool) -> str:
    return SERIES_CHARS[k % len(SERIES_CHARS)] if ascii_mode else DOT


def series_style(k: int):
    return class_fg(k, bold=True)


def _transform(values: np.ndarray, log: bool) -> np.ndarray:
    """Values on the axis (log10 for a log axis); NaN where a value cannot be drawn."""
    v = np.asarray(values, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan) if log else v.copy()
    out[~np.isfinite(out)] = np.nan
    return out


def _columns(xs: np.ndarray, ys: np.ndarray, x0: float, x1: float, width: int) -> np.ndarray:
    """The series' value at each of `width` columns (NaN outside it): the mean of its points
    in a column when there are more points than columns, else the line between points."""
    out = np.full(width, np.nan)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size == 0:
        return out
    span = x1 - x0 if x1 > x0 else 1.0
    col = np.clip(((xs - x0) / span * (width - 1)).round().astype(np.int64), 0, width - 1)
    if xs.size > width:
        sums = np.bincount(col, ys, minlength=width)
        counts = np.bincount(col, minlength=width)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        return out
    order = np.argsort(xs)
    xs, ys = xs[order], ys[order]
    centres = x0 + np.arange(width) / max(width - 1, 1) * span
    inside = (centres >= xs[0] - 1e-12) & (centres <= xs[-1] + 1e-12)
    out[inside] = np.interp(centres[inside], xs, ys)
    out[col] = ys  # each point exactly where it is
    return out


def chart_text(
    series: Sequence[Series],
    width: int,
    height: int,
    *,
    log_x: bool = False,
    log_y: bool = False,
    ascii_mode: bool = False,
    x_format: Callable[[float], str] | None = None,
    mark: tuple[float, float] | None = None,
) -> Text:
    """The series on one chart `width` cells wide with `height` rows of plot, y labels on the
    left and the x range underneath; `mark` (x, y) gets a ▲ on the x axis under its column."""
    out = Text(no_wrap=True, overflow="crop")
    plot_w = max(width - LABEL_W - 1, 8)
    height = max(height, 2)
    tx = [_transform(s.xs, log_x) for s in series]
    ty = [_transform(s.ys, log_y) for s in series]
    every_x = np.concatenate([a for a in tx] + [np.array([np.nan])])
    every_y = np.concatenate([a for a in ty] + [np.array([np.nan])])
    if not np.any(np.isfinite(every_x)) or not np.any(np.isfinite(every_y)):
        out.append("no finite values to draw\n", style="dim")
        return out
    x0, x1 = float(np.nanmin(every_x)), float(np.nanmax(every_x))
    y0, y1 = float(np.nanmin(every_y)), float(np.nanmax(every_y))
    if y1 <= y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    grid = [[" "] * plot_w for _ in range(height)]
    owner = [[-1] * plot_w for _ in range(height)]

    def row_of(v: float) -> int:
        return int(round((y1 - v) / (y1 - y0) * (height - 1)))

    for k in range(len(series)):
        cols = _columns(tx[k], ty[k], x0, x1, plot_w)
        prev = None
        for c in range(plot_w):
            if not np.isfinite(cols[c]):
                prev = None
                continue
            r = row_of(float(cols[c]))
            lo, hi = (r, r) if prev is None else sorted((prev, r))
            for rr in range(lo, hi + 1):  # a steep drop stays one connected line
                grid[rr][c] = series_char(k, ascii_mode)
                owner[rr][c] = k
            prev = r
    y_at = (lambda v: 10**v) if log_y else (lambda v: v)
    labels = {0: fmt.num(y_at(y1), 3), height - 1: fmt.num(y_at(y0), 3)}
    if height >= 5:
        labels[height // 2] = fmt.num(y_at(y1 - (height // 2) / (height - 1) * (y1 - y0)), 3)
    for r in range(height):
        out.append(f"{labels.get(r, '')[:LABEL_W]:>{LABEL_W}}", style="dim")
        out.append("│" if not ascii_mode else "|", style="dim")
        line = grid[r]
        c = 0
        while c < plot_w:  # runs of one owner in one style
            k = owner[r][c]
            e = c
            while e < plot_w and owner[r][e] == k:
                e += 1
            out.append("".join(line[c:e]), style=series_style(k) if k >= 0 else None)
            c = e
        out.append("\n")
    axis = ["─" if not ascii_mode else "-"] * plot_w
    if mark is not None:
        mx = _transform(np.array([mark[0]]), log_x)[0]
        if np.isfinite(mx):
            span = x1 - x0 if x1 > x0 else 1.0
            c = int(np.clip(round((mx - x0) / span * (plot_w - 1)), 0, plot_w - 1))
            axis[c] = "^" if ascii_mode else BEST
    out.append(" " * LABEL_W + ("└" if not ascii_mode else "+"), style="dim")
    text = "".join(axis)
    if mark is not None:
        at = text.find("^" if ascii_mode else BEST)
        out.append(text[:at], style="dim")
        out.append(text[at], style="bold red")
        out.append(text[at + 1 :] + "\n", style="dim")
    else:
        out.append(text + "\n", style="dim")
    x_at = (lambda v: 10**v) if log_x else (lambda v: v)
    show = x_format or (lambda v: fmt.num(v, 3))
    left, right = show(x_at(x0)), show(x_at(x1))
    gap = max(plot_w - len(left) - len(right), 1)
    scale = " (log)" if log_x else ""
    middle = scale.center(gap) if gap > len(scale) + 1 else " " * gap
    out.append(" " * (LABEL_W + 1) + left + middle + right + "\n", style="dim")
    return out


def legend_text(
    entries: Sequence[tuple[int, str, str]], width: int, ascii_mode: bool = False
) -> Text:
    """One line per series: its character in its colour, its label and a note (numbers)."""
    out = Text(no_wrap=True, overflow="ellipsis")
    label_w = min(max((len(label) for _, label, _ in entries), default=0), max(width // 2, 8))
    for k, label, note in entries:
        char = SERIES_CHARS[k % len(SERIES_CHARS)] if ascii_mode else "●"
        out.append(f" {char} ", style=series_style(k))
        out.append(f"{label[:label_w]:<{label_w}} ", style="bold")
        out.append(note[: max(width - label_w - 4, 0)] + "\n")
    return out
