"""Turning arrays into terminal cells: half-block images, ASCII shading, class colours.

Colour pictures pack two pixel rows into one cell with "▀" (foreground = upper pixel,
background = lower pixel). ASCII pictures average the same two rows into one shading character,
so both modes have the same footprint and a screen capture without colour still shows the
picture. Styles are quantised and cached: a 28 × 28 image costs a few hundred dict lookups.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

UPPER_HALF = "▀"
SHADES = " .:-=+*#%@"  # dark → bright
DIVERGING = "&%=~- .:+*#"  # most negative → zero → most positive
LEVELS = 32  # colour steps of a ramp
BLOCKS = " ▁▂▃▄▅▆▇█"

# Ten classes, ten colours that stay apart on dark and light backgrounds.
CLASS_RGB = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)

CMAPS = ("grey", "diverging", "heat")


def _ramp(cmap: str, level: int) -> tuple[int, int, int]:
    """The colour of step `level` (0 … LEVELS−1) of a colour map."""
    t = level / (LEVELS - 1)
    if cmap == "grey":
        v = int(round(255 * t))
        return (v, v, v)
    if cmap == "heat":  # black → red → yellow → white
        r = min(1.0, 3 * t)
        g = min(1.0, max(0.0, 3 * t - 1))
        b = min(1.0, max(0.0, 3 * t - 2))
        return (int(255 * r), int(255 * g), int(255 * b))
    # diverging: blue (negative) → black (zero) → red (positive)
    s = 2 * t - 1
    if s < 0:
        return (int(40 * -s), int(110 * -s), int(255 * -s))
    return (int(255 * s), int(90 * s), int(40 * s))


@lru_cache(maxsize=8192)
def pair_style(cmap: str, top: int, bottom: int) -> Style:
    """Style of a half-block cell: upper pixel as foreground, lower pixel as background."""
    return Style(
        color=Color.from_rgb(*_ramp(cmap, top)), bgcolor=Color.from_rgb(*_ramp(cmap, bottom))
    )


@lru_cache(maxsize=256)
def cell_style(cmap: str, level: int) -> Style:
    return Style(bgcolor=Color.from_rgb(*_ramp(cmap, level)))


def levels(values: np.ndarray, lo: float, hi: float, cmap: str) -> np.ndarray:
    """Quantise to 0 … LEVELS−1. A diverging map is centred on zero, spanning ±max(|lo|, |hi|)."""
    v = np.asarray(values, np.float64)
    if cmap == "diverging":
        m = max(abs(lo), abs(hi)) or 1.0
        t = (v / m + 1) / 2
    else:
        span = (hi - lo) or 1.0
        t = (v - lo) / span
    t = np.nan_to_num(t, nan=0.5)
    return np.clip(np.rint(t * (LEVELS - 1)), 0, LEVELS - 1).astype(np.int64)


def shade_chars(values: np.ndarray, lo: float, hi: float, cmap: str) -> np.ndarray:
    """One ASCII character per value (a diverging map uses signed shades)."""
    ramp = DIVERGING if cmap == "diverging" else SHADES
    lv = levels(values, lo, hi, cmap)
    idx = np.rint(lv * (len(ramp) - 1) / (LEVELS - 1)).astype(np.int64)
    return np.array(list(ramp))[idx]


def image_strips(
    image: np.ndarray,
    lo: float,
    hi: float,
    *,
    cmap: str = "grey",
    ascii_mode: bool = False,
    sx: int = 1,
    base: Style | None = None,
    half: bool = True,
) -> list[Strip]:
    """Strips drawing an H × W image in ceil(H/2) rows of W·sx cells (or H rows when `half`
    is False: one matrix row per text row, for rows that carry a label)."""
    img = np.asarray(image, np.float64)
    h, w = img.shape
    if not half:
        if ascii_mode:
            rows = ["".join(c * sx for c in row) for row in shade_chars(img, lo, hi, cmap)]
            return [Strip([Segment(text, base)], len(text)) for text in rows]
        cell = " " * sx
        return [
            Strip(Segment.simplify([Segment(cell, cell_style(cmap, int(v))) for v in row]), w * sx)
            for row in levels(img, lo, hi, cmap)
        ]
    if h % 2:  # pad the last pixel row with the low end so the pair is complete
        pad = 0.0 if cmap == "diverging" else lo
        img = np.vstack([img, np.full((1, w), pad)])
    top, bottom = img[0::2], img[1::2]
    strips = []
    if ascii_mode:
        chars = shade_chars((top + bottom) / 2, lo, hi, cmap)
        for row in chars:
            text = "".join(c * sx for c in row)
            strips.append(Strip([Segment(text, base)], len(text)))
        return strips
    lt, lb = levels(top, lo, hi, cmap), levels(bottom, lo, hi, cmap)
    cell = UPPER_HALF * sx
    for rt, rb in zip(lt, lb, strict=True):
        segs = [
            Segment(cell, pair_style(cmap, int(a), int(b))) for a, b in zip(rt, rb, strict=True)
        ]
        strips.append(Strip(Segment.simplify(segs), w * sx))
    return strips


@lru_cache(maxsize=64)
def class_style(k: int, strength: float = 1.0, fg: str | None = None, bold=False) -> Style:
    """Background in class k's colour, scaled by `strength` (dim regions), with a text colour."""
    r, g, b = CLASS_RGB[k % len(CLASS_RGB)]
    bg = Color.from_rgb(int(r * strength), int(g * strength), int(b * strength))
    return Style(bgcolor=bg, color=fg, bold=bold)


@lru_cache(maxsize=32)
def class_fg(k: int, bold: bool = True) -> Style:
    r, g, b = CLASS_RGB[k % len(CLASS_RGB)]
    return Style(color=Color.from_rgb(r, g, b), bold=bold)


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


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of `width` cells filled to `fraction` with eighth blocks."""
    fraction = float(np.clip(np.nan_to_num(fraction), 0.0, 1.0))
    eighths = int(round(fraction * width * 8))
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part and full < width else ""
    return ("█" * full + partial).ljust(width)
