"""Small text plots for the terminal: a sparkline of a curve and a curve of points on a grid.
Plain strings (no colours), so they read the same in a pipe, a log or a screen capture."""

from __future__ import annotations

import math
from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"


def _log(values: Sequence[float | None]) -> list[float | None]:
    return [math.log10(v) if v is not None and math.isfinite(v) and v > 0 else None for v in values]


def sparkline(
    values: Sequence[float | None],
    width: int = 24,
    *,
    log: bool = True,
    bounds: tuple[float, float] | None = None,
) -> str:
    """One character per bucket of `values` (each bucket's last value), the height on a log
    scale by default; `bounds` (low, high) shares one scale across several lines. A gap is
    a space."""
    if not values:
        return ""
    n = len(values)
    picks = [values[min(n - 1, int((i + 1) * n / width) - 1)] for i in range(min(width, n))]
    ys = _log(picks) if log else [v if v is not None and math.isfinite(v) else None for v in picks]
    if bounds is None:
        bounds = value_bounds(picks, log=log)
    low, high = bounds
    span = high - low
    out = []
    for y in ys:
        if y is None:
            out.append(" ")
            continue
        level = 0 if span <= 0 else round((y - low) / span * (len(BARS) - 1))
        out.append(BARS[max(0, min(len(BARS) - 1, level))])
    return "".join(out)


def value_bounds(values: Sequence[float | None], *, log: bool = True) -> tuple[float, float]:
    """(low, high) of the finite values (log10 of the positive ones when `log`)."""
    ys = [y for y in (_log(values) if log else values) if y is not None and math.isfinite(y)]
    return (min(ys), max(ys)) if ys else (0.0, 1.0)


def curve(
    xs: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    height: int = 8,
    log: bool = True,
    mark: int | None = None,
) -> list[str]:
    """Lines of a small chart: one column per x (the first and last named below), one character per
    series (the keys of `series`), the y axis on a log scale by default; `mark` puts a ▲
    under that x. Where two series meet, the later one's symbol shows."""
    every = [v for vals in series.values() for v in vals]
    low, high = value_bounds(every, log=log)
    span = high - low
    grid = [[" "] * len(xs) for _ in range(height)]
    for symbol, vals in series.items():
        ys = _log(vals) if log else list(vals)
        for col, y in enumerate(ys):
            if y is None or not math.isfinite(y):
                continue
            row = 0 if span <= 0 else round((y - low) / span * (height - 1))
            grid[height - 1 - row][col] = symbol
    top, bottom = (10**high, 10**low) if log else (high, low)
    width = 9
    lines = []
    for r, cells in enumerate(grid):
        label = f"{top:.3g}" if r == 0 else (f"{bottom:.3g}" if r == height - 1 else "")
        lines.append(f"{label:>{width}} │" + "  ".join(cells))
    axis = 3 * len(xs) - 2
    lines.append(" " * width + " └" + "─" * axis)
    if mark is not None:
        lines.append(" " * (width + 2) + "   " * mark + "▲")
    first, last = xs[0], xs[-1]
    gap = max(axis - len(first) - len(last), 1)
    lines.append(" " * (width + 2) + first + " " * gap + last)
    return lines
