"""Pictures drawn with the line API: two pixels per cell with '▀' (colour), or one character per
cell (ASCII, same footprint: terminals without colour and screen captures still show them).

A Picture is either pixels or characters; `picture_strip` turns one of its rows into a Strip,
for both widgets here: a Canvas asks its painter for a Picture of its own size (the explorer's
regions and curves), an ImageView shows a matrix at the size of the matrix (the MNIST view's
digits, weights and activations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.segment import Segment
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from nnviz.tui.draw import palette
from nnviz.tui.draw.palette import RGB, UPPER_HALF


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
            lines.append(
                "".join(self.glyphs.get((y, x), (UPPER_HALF,))[0] for x in range(self.cols))
            )
        return "\n".join(lines)


def picture_strip(pic: Picture, y: int, width: int) -> Strip:
    """Row y of a picture, `width` cells wide (cut or padded)."""
    if y >= pic.rows:
        return Strip.blank(width)
    if pic.chars is not None:
        return Strip([Segment(pic.chars[y][:width].ljust(width))], width)
    strip = Strip(_segments(pic, y, min(pic.cols, width)), width)
    return strip.extend_cell_length(width)


def _segments(pic: Picture, y: int, cols: int) -> list[Segment]:
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
            segments.append(Segment(char, palette.style(fg, bg)))
        else:
            fg = (int(top[a, 0]), int(top[a, 1]), int(top[a, 2]))
            bg = (int(bottom[a, 0]), int(bottom[a, 1]), int(bottom[a, 2]))
            segments.append(Segment(UPPER_HALF * (b - a), palette.style(fg, bg)))
    return segments


def _blend(a, b) -> RGB:
    return tuple(int((int(p) + int(q)) // 2) for p, q in zip(a, b, strict=True))


def image_picture(
    image: np.ndarray,
    lo: float,
    hi: float,
    *,
    cmap: str = "grey",
    ascii_mode: bool = False,
    sx: int = 1,
    half: bool = True,
) -> Picture:
    """An H × W matrix in a colour map: ceil(H/2) rows of W·sx cells, two matrix rows to a
    cell (or H rows when `half` is False: one matrix row per text row, for rows that carry a
    label). ASCII averages the two rows into one shading character."""
    img = np.asarray(image, np.float64)
    h, w = img.shape
    if half and h % 2:  # pad the last pixel row with the low end so the pair is complete
        pad = 0.0 if cmap == "diverging" else lo
        img = np.vstack([img, np.full((1, w), pad)])
    if ascii_mode:
        shown = (img[0::2] + img[1::2]) / 2 if half else img
        chars = palette.shade_chars(shown, lo, hi, cmap)
        rows = ["".join(c * sx for c in row) for row in chars]
        return Picture(w * sx, len(rows), chars=rows)
    if not half:  # both halves of a cell show the same matrix row
        img = np.repeat(img, 2, axis=0)
    rgb = palette.cmap_table(cmap)[palette.cmap_levels(img, lo, hi, cmap)]
    if sx > 1:
        rgb = np.repeat(rgb, sx, axis=1)
    return Picture(w * sx, img.shape[0] // 2, rgb=rgb)


Painter = Callable[[int, int, bool], Picture]


class Canvas(Widget):
    """A widget of the size its CSS gives that draws its painter's Picture line by line."""

    DEFAULT_CSS = """
    Canvas { height: 10; width: 1fr; }
    """

    def __init__(self, painter: Painter | None = None, *, ascii_mode: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.painter = painter
        self.ascii_mode = ascii_mode
        self._picture: Picture | None = None
        self._lines: dict[int, Strip] = {}

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

    def render_line(self, y: int) -> Strip:
        pic = self.picture  # first: a picture of another size is painted again
        strip = self._lines.get(y)
        if strip is None:
            strip = self._lines[y] = picture_strip(pic, y, self.size.width)
        return strip


class ImageView(Widget):
    """A matrix drawn at its own size (`show`), with half-blocks or ASCII shading."""

    DEFAULT_CSS = "ImageView { width: auto; height: auto; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._picture: Picture | None = None
        self._lines: dict[int, Strip] = {}

    def show(self, image: np.ndarray, lo: float, hi: float, **options) -> None:
        """Draw `image` (options as image_picture's: cmap, ascii_mode, sx, half)."""
        pic = image_picture(image, lo, hi, **options)
        old = self._picture
        resized = old is None or (old.cols, old.rows) != (pic.cols, pic.rows)
        self._picture = pic
        self._lines.clear()
        self.refresh(layout=resized)

    def clear(self) -> None:
        self._picture = None
        self._lines.clear()
        self.refresh(layout=True)

    @property
    def text(self) -> str:
        """The picture's characters, line by line (what a screen capture without colour shows)."""
        return "" if self._picture is None else self._picture.text()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return 0 if self._picture is None else self._picture.cols

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 0 if self._picture is None else self._picture.rows

    def render_line(self, y: int) -> Strip:
        base = self.visual_style.rich_style
        width = self.size.width
        if self._picture is None or y >= self._picture.rows:
            return Strip.blank(width, base)
        strip = self._lines.get(y)
        if strip is None:
            strip = picture_strip(self._picture, y, min(width, self._picture.cols))
            strip = self._lines[y] = strip.adjust_cell_length(width, base)
        return strip
