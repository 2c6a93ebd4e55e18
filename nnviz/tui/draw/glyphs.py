"""Bars and histograms drawn with block characters (and their ASCII stand-ins)."""

from __future__ import annotations

import numpy as np

from nnviz.tui.draw.palette import BLOCKS, EIGHTHS

_TO_ASCII = str.maketrans("█" + EIGHTHS[1:], "#" + "|" * (len(EIGHTHS) - 1))


def histogram_text(values: np.ndarray, bins: int = 24) -> str:
    """A one-line histogram of the values with block characters."""
    v = np.asarray(values, np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return ""
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        counts = np.zeros(bins, np.int64)
        counts[bins // 2] = v.size
    else:
        counts, _ = np.histogram(v, bins=bins, range=(lo, hi))
    top = counts.max() or 1
    idx = np.ceil(counts / top * (len(BLOCKS) - 1)).astype(np.int64)
    return "".join(BLOCKS[i] for i in idx)


def bar(fraction: float, width: int, ascii_mode: bool = False) -> str:
    """A horizontal bar of `width` cells filled to `fraction` with eighth blocks (or # and |)."""
    fraction = float(np.clip(np.nan_to_num(fraction), 0.0, 1.0))
    eighths = int(round(fraction * width * 8))
    full, part = divmod(eighths, 8)
    partial = EIGHTHS[part] if part and full < width else ""
    text = ("█" * full + partial).ljust(width)
    return text.translate(_TO_ASCII) if ascii_mode else text
