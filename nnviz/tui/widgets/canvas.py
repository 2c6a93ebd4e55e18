"""Pictures drawn with the line API: two pixels per cell with '▀' (colour), or one character per
cell (ASCII: terminals without colour and screen captures still show the regions).

A Canvas asks its painter for a Picture of its own size whenever it is resized or told to
repaint; painters (below) turn grids of numbers from nnviz.regions into pixels or characters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from nnviz import regions

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
NEUTRAL: RGB = (38, 38, 46)
CURVE_RGB: RGB = (249, 115, 22)
DATA_RGB: RGB = (96, 165, 250)
AXIS_RGB: RGB = (70, 70, 80)
# a dark-to-bright scale for one unit's activation (viridis-like stops)
SCALE_STOPS = np.array(
    [(30, 20, 60), (50, 80, 140), (30, 150, 140), (120, 200, 80), (250, 230, 60)], np.float64
)
CLASS_CHARS = ".#+x=o%@*&"
POINT_CHARS = "OX0123456789"
LEVEL_CHARS = " .:-=+*#%@"
MAX_GLYPH_POINTS = 64


@dataclass
class Picture:
    """Either pixels (2·rows × cols RGB, drawn two to a cell) or rows of characters."""

    cols: int
    rows: int
    rgb: np.ndarray | None = None  # (2·rows, cols, 3) uint8
    chars: list[str] | None = None  # rows strings of cols characters
    glyphs: dict[tuple[int, int], tuple[str, RGB]] = field(default_factory=dict)

    @classmethod
    def blank(cls, cols: int, rows: int, ascii_mode: bool) -> Picture:
        if ascii_mode:
            return cls(cols, rows, chars=[" " * cols for _ in range(rows)])
        return cls(cols, rows, rgb=np.zeros((2 * rows, cols, 3), np.uint8))

    def text(self) -> str:
        """The picture as plain characters (for tests and captures)."""
        if self.chars is not None:
            return "\n".join(self.chars)
        lines = []
        for y in range(self.rows):
            lines.append("".join(self.glyphs.get((y, x), ("▀",))[0] for x in range(self.cols)))
        return "\n".join(lines)


Painter = Callable[[int, int, bool], Picture]


class Canvas(Widget):
    """A widget that draws a Picture line by line."""

    DEFAULT_CSS = """
    Canvas { height: 10; width: 1fr; }
    """

    def __init__(self, painter: Painter | None = None, *, ascii_mode: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.painter = painter
        self.ascii_mode = ascii_mode
        self._picture: Picture | None = None
        self._lines: dict[int, Strip] = {}
        self._styles: dict[tuple, Style] = {}

    def paint(self, painter: Painter | None = None, ascii_mode: bool | None = None) -> None:
        if painter is not None:
            self.painter = painter
        if ascii_mode is not None:
            self.ascii_mode = ascii_mode
        self._picture = None
        self._lines.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._picture = None
        self._lines.clear()

    @property
    def picture(self) -> Picture:
        width, height = self.size.width, self.size.height
        pic = self._picture
        if pic is None or pic.cols != width or pic.rows != height:
            if self.painter is None or width < 1 or height < 1:
                pic = Picture.blank(max(width, 1), max(height, 1), self.ascii_mode)
            else:
                pic = self.painter(width, height, self.ascii_mode)
            self._picture = pic
            self._lines.clear()
        return pic

    def _style(self, fg: RGB | None, bg: RGB | None) -> Style:
        key = (fg, bg)
        style = self._styles.get(key)
        if style is None:
            style = Style(
                color=None if fg is None else Color.from_rgb(*fg),
                bgcolor=None if bg is None else Color.from_rgb(*bg),
            )
            self._styles[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        pic = self.picture
        width = self.size.width
        if y >= pic.rows:
            return Strip.blank(width)
        strip = self._lines.get(y)
        if strip is not None:
            return strip
        if pic.chars is not None:
            strip = Strip([Segment(pic.chars[y][:width].ljust(width))], width)
        else:
            strip = Strip(self._segments(pic, y, min(pic.cols, width)), width)
            strip = strip.extend_cell_length(width)
        self._lines[y] = strip
        return strip

    def _segments(self, pic: Picture, y: int, cols: int) -> list[Segment]:
        """One segment per run of equal cells (runs are long: colours are quantised)."""
        top, bottom = pic.rgb[2 * y, :cols], pic.rgb[2 * y + 1, :cols]
        key = np.concatenate([top, bottom], axis=1).astype(np.int32)
        glyph_cols = sorted(x for (gy, x) in pic.glyphs if gy == y and x < cols)
        change = np.any(key[1:] != key[:-1], axis=1)
        starts = set(np.flatnonzero(change) + 1) | {0}
        for x in glyph_cols:  # a glyph is a run of its own
            starts |= {x, x + 1}
        bounds = sorted(b for b in starts if b < cols) + [cols]
        segments = []
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            glyph = pic.glyphs.get((y, a))
            if glyph is not None:
                char, fg = glyph
                bg = _blend(top[a], bottom[a])
                segments.append(Segment(char, self._style(fg, bg)))
            else:
                fg = (int(top[a, 0]), int(top[a, 1]), int(top[a, 2]))
                bg = (int(bottom[a, 0]), int(bottom[a, 1]), int(bottom[a, 2]))
                segments.append(Segment("▀" * (b - a), self._style(fg, bg)))
        return segments


def _blend(a, b) -> RGB:
    return tuple(int((int(p) + int(q)) // 2) for p, q in zip(a, b, strict=True))


# ====================================================================== painters
def lerp(a, b, t):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)[..., None]
    return a + (b - a) * t


LEVELS = 16  # colour steps: smooth enough, and long runs of equal cells to draw


def quantise(t: np.ndarray) -> np.ndarray:
    """0 … 1 in LEVELS steps; NaN (a diverged network) is drawn as the middle."""
    t = np.nan_to_num(np.asarray(t, np.float64), nan=0.5, posinf=1.0, neginf=0.0)
    return np.round(np.clip(t, 0.0, 1.0) * (LEVELS - 1)) / (LEVELS - 1)


def scale_rgb(t: np.ndarray) -> np.ndarray:
    """0 … 1 on the dark-to-bright scale, as uint8 RGB."""
    t = quantise(t) * (len(SCALE_STOPS) - 1)
    lo = np.minimum(np.floor(t).astype(np.int64), len(SCALE_STOPS) - 2)
    frac = (t - lo)[..., None]
    out = SCALE_STOPS[lo] * (1 - frac) + SCALE_STOPS[lo + 1] * frac
    return out.astype(np.uint8)


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
        lv = regions.levels(values[..., 0], lo, hi, len(LEVEL_CHARS))
        return np.array(list(LEVEL_CHARS))[lv]
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
            lv = regions.levels(grid, lo, hi, len(LEVEL_CHARS))
            chars = np.array(list(LEVEL_CHARS))[lv]
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
        prev = None
        for x, y in zip(xs, ys[:, 0], strict=True):
            r, c = regions.cell_of(np.array([[x, y]]), x_range, y_range, cols, height)
            if r[0] < 0:
                prev = None
                continue
            rr, cc = int(r[0]), int(c[0])
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
