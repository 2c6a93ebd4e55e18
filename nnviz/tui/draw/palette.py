"""Every colour and character set nnviz draws with, for the explorer and the MNIST view alike.

Colour maps quantise a value to a step and give that step's RGB; styles are cached, so a
picture costs a few hundred dict lookups. ASCII mode has a character for each colour role so
that a terminal without colour (or a screen capture) still shows the picture.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.style import Style

RGB = tuple[int, int, int]

# class colours (blue, orange, green, purple, red, teal, yellow, pink, brown, grey)
CLASS_RGB: tuple[RGB, ...] = (
    (59, 130, 246),
    (249, 115, 22),
    (34, 197, 94),
    (168, 85, 247),
    (239, 68, 68),
    (20, 184, 166),
    (234, 179, 8),
    (236, 72, 153),
    (146, 100, 60),
    (148, 163, 184),
)
NEUTRAL: RGB = (38, 38, 46)  # undecided, between the class colours of a region map
CURVE_RGB: RGB = (249, 115, 22)
DATA_RGB: RGB = (96, 165, 250)
TEST_DATA_RGB: RGB = (200, 220, 255)
AXIS_RGB: RGB = (70, 70, 80)
# a dark-to-bright scale for one unit's activation over the plane (viridis-like stops)
SCALE_STOPS = np.array(
    [(30, 20, 60), (50, 80, 140), (30, 150, 140), (120, 200, 80), (250, 230, 60)], np.float64
)
SCALE_LEVELS = 16  # steps of the scale: smooth enough, and long runs of equal cells to draw

# matrix colour maps (the MNIST view's pictures of images, weights and activations)
CMAPS = ("grey", "diverging", "heat")
CMAP_LEVELS = 32

# characters
UPPER_HALF = "▀"  # a cell of two pixels: foreground = upper, background = lower
CLASS_CHARS = ".#+x=o%@*&"  # a region's class, in ASCII
POINT_CHARS = "OX0123456789"  # a data point's class, in ASCII
TEST_POINT_CHARS = "ox-=~^;:,'"  # a test point's class, in ASCII
POINT_GLYPH, TEST_POINT_GLYPH = "●", "○"  # training and test points in colour
SHADES = " .:-=+*#%@"  # dark → bright
CURVE_CHARS = " -o*x"  # a fitted curve in ASCII: empty, y = 0, training point, curve, test point
DIVERGING_SHADES = "&%=~- .:+*#"  # most negative → zero → most positive
BLOCKS = " ▁▂▃▄▅▆▇█"  # histogram heights
EIGHTHS = " ▏▎▍▌▋▊▉"  # bar ends


def cmap_rgb(cmap: str, level: int) -> RGB:
    """The colour of step `level` (0 … CMAP_LEVELS−1) of a matrix colour map."""
    t = level / (CMAP_LEVELS - 1)
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


@lru_cache(maxsize=8)
def cmap_table(cmap: str) -> np.ndarray:
    """(CMAP_LEVELS, 3) uint8: every step's colour."""
    return np.array([cmap_rgb(cmap, v) for v in range(CMAP_LEVELS)], np.uint8)


def cmap_levels(values: np.ndarray, lo: float, hi: float, cmap: str) -> np.ndarray:
    """Quantise to 0 … CMAP_LEVELS−1. A diverging map is centred on zero, spanning
    ±max(|lo|, |hi|)."""
    v = np.asarray(values, np.float64)
    if cmap == "diverging":
        m = max(abs(lo), abs(hi)) or 1.0
        t = (v / m + 1) / 2
    else:
        span = (hi - lo) or 1.0
        t = (v - lo) / span
    t = np.nan_to_num(t, nan=0.5)
    return np.clip(np.rint(t * (CMAP_LEVELS - 1)), 0, CMAP_LEVELS - 1).astype(np.int64)


def shade_chars(values: np.ndarray, lo: float, hi: float, cmap: str) -> np.ndarray:
    """One ASCII character per value (a diverging map uses signed shades)."""
    ramp = DIVERGING_SHADES if cmap == "diverging" else SHADES
    lv = cmap_levels(values, lo, hi, cmap)
    idx = np.rint(lv * (len(ramp) - 1) / (CMAP_LEVELS - 1)).astype(np.int64)
    return np.array(list(ramp))[idx]


def quantise(t: np.ndarray) -> np.ndarray:
    """0 … 1 in SCALE_LEVELS steps; NaN (a diverged network) is drawn as the middle."""
    t = np.nan_to_num(np.asarray(t, np.float64), nan=0.5, posinf=1.0, neginf=0.0)
    return np.round(np.clip(t, 0.0, 1.0) * (SCALE_LEVELS - 1)) / (SCALE_LEVELS - 1)


def scale_rgb(t: np.ndarray) -> np.ndarray:
    """0 … 1 on the dark-to-bright scale, as uint8 RGB."""
    t = quantise(t) * (len(SCALE_STOPS) - 1)
    lo = np.minimum(np.floor(t).astype(np.int64), len(SCALE_STOPS) - 2)
    frac = (t - lo)[..., None]
    out = SCALE_STOPS[lo] * (1 - frac) + SCALE_STOPS[lo + 1] * frac
    return out.astype(np.uint8)


@lru_cache(maxsize=8192)
def style(fg: RGB | None, bg: RGB | None) -> Style:
    """A cell's style from its foreground and background colours."""
    return Style(
        color=None if fg is None else Color.from_rgb(*fg),
        bgcolor=None if bg is None else Color.from_rgb(*bg),
    )


@lru_cache(maxsize=256)
def cmap_bg(cmap: str, level: int) -> Style:
    """A background in step `level` of a matrix colour map."""
    return Style(bgcolor=Color.from_rgb(*cmap_rgb(cmap, level)))


@lru_cache(maxsize=64)
def class_style(k: int, strength: float = 1.0, fg: str | None = None, bold=False) -> Style:
    """Background in class k's colour, scaled by `strength` (dim regions), with a text colour."""
    r, g, b = CLASS_RGB[k % len(CLASS_RGB)]
    bg = Color.from_rgb(int(r * strength), int(g * strength), int(b * strength))
    return Style(bgcolor=bg, color=fg, bold=bold)


@lru_cache(maxsize=32)
def class_fg(k: int, bold: bool = True) -> Style:
    """Text in class k's colour."""
    r, g, b = CLASS_RGB[k % len(CLASS_RGB)]
    return Style(color=Color.from_rgb(r, g, b), bold=bold)
