"""Widgets of the MNIST view: probability bars, the PCA region map, the confusion matrix and a
matrix browser with a cursor for drilling down to single elements (pictures are
nnviz.tui.draw.canvas.ImageView), and the fixed-size Statics its panes redraw.

They draw copies handed to them; none of them reads the engine.
"""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from nnviz import pca
from nnviz.tui.draw import glyphs, palette

DIM = Style(dim=True)
BOLD = Style(bold=True)
REVERSE_BOLD = Style(reverse=True, bold=True)


class FixedStatics:
    """For a widget whose Statics have fixed sizes (see mnist.tcss): `put` updates one without a
    layout pass, and not at all when its content is unchanged. While training, a full layout on
    every redraw would cost more than the drawing."""

    def put(self, selector: str, content) -> None:
        cache = self.__dict__.setdefault("_fixed_statics", {})
        key = (
            (content.plain, tuple(content.spans), content.style)
            if isinstance(content, Text)
            else content
        )
        entry = cache.get(selector)
        if entry is None:
            entry = cache[selector] = [self.query_one(selector, Static), None]
        if entry[1] == key:
            return  # unchanged: no refresh
        entry[1] = key
        entry[0].update(content, layout=False)


def prob_text(
    probs: np.ndarray,
    names: tuple[str, ...],
    *,
    true: int | None = None,
    width: int = 18,
    ascii_mode: bool = False,
    title: str = "",
) -> Text:
    """Ten bars: the predicted class bold, the true class marked with ◀."""
    text = Text()
    if title:
        text.append(title + "\n", style=BOLD)
    best = int(np.argmax(probs)) if len(probs) else -1
    for k, p in enumerate(probs):
        style = (
            palette.class_fg(k, bold=k == best) if not ascii_mode else (BOLD if k == best else "")
        )
        bar = glyphs.bar(p, width, ascii_mode)
        text.append(f"{names[k]:>{_label_width(names)}} ", style=BOLD if k == best else "")
        text.append(bar, style=style)
        text.append(f" {p:6.1%}")
        if true is not None and k == true:
            text.append(" ◀ true" if not ascii_mode else " < true")
        text.append("\n")
    text.rstrip()
    return text


def signed_bars(values: np.ndarray, names: tuple[str, ...], width: int = 10) -> Text:
    """Bars to the left (negative) and right (positive) of a centre line."""
    m = float(np.max(np.abs(values))) if len(values) else 1.0
    m = m or 1.0
    text = Text()
    for k, v in enumerate(values):
        left = glyphs.bar(-v / m, width)[::-1] if v < 0 else " " * width
        right = glyphs.bar(v / m, width) if v > 0 else " " * width
        left = left.replace("▏", "▕").replace("▎", "▕").replace("▍", "▐").replace("▌", "▐")
        left = left.replace("▋", "▐").replace("▊", "█").replace("▉", "█")
        text.append(f"{names[k]:>{_label_width(names)}} ")
        text.append(left, style="blue")
        text.append("│")
        text.append(right, style="red")
        text.append(f" {v:+.3f}\n")
    text.rstrip()
    return text


def _label_width(names: tuple[str, ...]) -> int:
    return max(2, *(len(n) for n in names))


def confusion_text(
    confusion: np.ndarray, names: tuple[str, ...], ascii_mode: bool, item: str = "digit"
) -> Text:
    """Counts with rows = true class and columns = predicted class; shaded by row share."""
    k = confusion.shape[0]
    width = max(4, len(str(int(confusion.max()))) + 1) if confusion.size else 4
    width = max(width, _label_width(names) + 1)
    text = Text()
    text.append("true╲pred" if not ascii_mode else "true\\pred", style=BOLD)
    for c in range(k):
        text.append(f"{names[c]:>{width}}", style=BOLD)
    text.append("   total\n", style=BOLD)
    totals = confusion.sum(axis=1)
    for r in range(k):
        text.append(f"{names[r]:>9}", style=BOLD)
        for c in range(k):
            n = int(confusion[r, c])
            cell = f"{n:>{width}}"
            if ascii_mode:
                if r == c:
                    cell = f"{'[' + str(n) + ']':>{width}}"
                text.append(cell)
                continue
            share = n / totals[r] if totals[r] else 0.0
            if n == 0:
                style = DIM
            elif r == c:
                style = Style(bold=True, color="black", bgcolor=_green(share))
            else:
                style = Style(
                    bgcolor=palette.cmap_bg("heat", int(min(1.0, 3 * share) * 24)).bgcolor
                )
            text.append(cell, style=style)
        text.append(f"{int(totals[r]):>8}\n")
    total = int(confusion.sum())
    correct = int(np.trace(confusion))
    text.append(f"{correct:,} of {total:,} test {item}s right ({correct / max(total, 1):.2%})")
    return text


def _green(share: float) -> str:
    v = int(80 + 175 * share)
    return f"rgb(40,{v},60)"


class RegionMap(Widget):
    """Predicted classes over the PCA plane (a colour and a digit per class), test samples on
    top in their true class (bold digits; reverse video without colour)."""

    DEFAULT_CSS = "RegionMap { width: 1fr; height: 1fr; min-height: 6; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.grid: np.ndarray | None = None  # (rows, cols) classes
        self.extent: pca.Extent | None = None
        self.coords: np.ndarray | None = None
        self.labels: np.ndarray | None = None
        self.ascii_mode = False
        self._cache: tuple | None = None
        self._strips: list[Strip] = []

    class Resized(Message):
        """The map's size changed (its grid is best recomputed at the new size)."""

    def on_resize(self) -> None:
        self._cache = None
        self.post_message(self.Resized())

    def set_points(self, coords: np.ndarray, labels: np.ndarray) -> None:
        self.coords, self.labels = coords, labels
        self._invalidate()

    def set_grid(self, grid: np.ndarray | None, extent: pca.Extent | None) -> None:
        self.grid, self.extent = grid, extent
        self._invalidate()

    def set_ascii(self, on: bool) -> None:
        self.ascii_mode = on
        self._invalidate()

    def _invalidate(self) -> None:
        self._cache = None
        self.refresh()

    @property
    def text(self) -> str:
        self._build()
        return "\n".join(s.text for s in self._strips)

    def _build(self) -> None:
        w, h = self.size.width, self.size.height
        key = (w, h)
        if self._cache == key:
            return
        self._cache = key
        self._strips = []
        if self.grid is None or self.extent is None or w < 1 or h < 1:
            return
        gr, gc = self.grid.shape
        rows = (np.arange(h) * gr) // h
        cols = (np.arange(w) * gc) // w
        cells = self.grid[np.ix_(rows, cols)]
        top = np.full((h, w), -1, np.int64)
        if self.coords is not None and self.labels is not None:
            r, c = pca.cell_of(self.coords, self.extent, w, h)
            keep = r >= 0
            top[r[keep], c[keep]] = self.labels[keep]
        for y in range(h):
            segs = []
            for x in range(w):
                k = int(cells[y, x])
                s = int(top[y, x])
                if s >= 0:
                    style = (
                        REVERSE_BOLD
                        if self.ascii_mode
                        else palette.class_style(s, 1.0, "black", True)
                    )
                    segs.append((str(s), style))
                else:
                    style = None if self.ascii_mode else palette.class_style(k, 0.35, "grey50")
                    segs.append((str(k), style))
            strip = Strip([Segment(t, st) for t, st in segs], w).simplify()
            self._strips.append(strip)

    def render_line(self, y: int) -> Strip:
        self._build()
        base = self.visual_style.rich_style
        if y < len(self._strips):
            return self._strips[y].adjust_cell_length(self.size.width, base)
        return Strip.blank(self.size.width, base)


class MatrixView(Widget, can_focus=True):
    """A window onto a matrix with a cursor cell: arrow keys move it, the window follows."""

    DEFAULT_CSS = """
    MatrixView { height: 1fr; min-height: 4; }
    MatrixView:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("up", "move(-1, 0)", "Row up", show=False),
        Binding("down", "move(1, 0)", "Row down", show=False),
        Binding("left", "move(0, -1)", "Column left", show=False),
        Binding("right", "move(0, 1)", "Column right", show=False),
        Binding("pageup", "move(-10, 0)", "Rows up", show=False),
        Binding("pagedown", "move(10, 0)", "Rows down", show=False),
        Binding("home", "home", "First element", show=False),
    ]
    CELL = 10  # a space and up to 9 characters of number

    class CursorMoved(Message):
        def __init__(self, view: MatrixView, row: int, col: int):
            super().__init__()
            self.view = view
            self.row = row
            self.col = col

        @property
        def control(self) -> MatrixView:
            return self.view

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.matrix: np.ndarray | None = None
        self.name_text = ""
        self.row = 0
        self.col = 0
        self.top = 0
        self.left = 0

    def set_matrix(self, name: str, matrix: np.ndarray | None, keep_cursor: bool = True) -> None:
        self.name_text = name
        self.matrix = matrix
        if matrix is not None:
            if not keep_cursor:
                self.row = self.col = self.top = self.left = 0
            self.row = min(self.row, matrix.shape[0] - 1)
            self.col = min(self.col, matrix.shape[1] - 1)
        self.refresh()

    def place(self, row: int, col: int) -> None:
        """Put the cursor on an element (clipped to the matrix)."""
        if self.matrix is None:
            return
        self.row = int(np.clip(row, 0, self.matrix.shape[0] - 1))
        self.col = int(np.clip(col, 0, self.matrix.shape[1] - 1))
        self.refresh()
        self.post_message(self.CursorMoved(self, self.row, self.col))

    def action_move(self, dr: int, dc: int) -> None:
        self.place(self.row + dr, self.col + dc)

    def action_home(self) -> None:
        self.place(0, 0)

    def _window(self) -> tuple[int, int]:
        visible_cols = max(1, (self.size.width - 6) // self.CELL)
        visible_rows = max(1, self.size.height - 1)
        if self.row < self.top:
            self.top = self.row
        elif self.row >= self.top + visible_rows:
            self.top = self.row - visible_rows + 1
        if self.col < self.left:
            self.left = self.col
        elif self.col >= self.left + visible_cols:
            self.left = self.col - visible_cols + 1
        return visible_rows, visible_cols

    def render_line(self, y: int) -> Strip:
        base = self.visual_style.rich_style
        width = self.size.width
        m = self.matrix
        if m is None:
            return Strip.blank(width, base)
        rows, cols = self._window()
        c_hi = min(m.shape[1], self.left + cols)
        if y == 0:
            text = Text(f"{'':>6}", style=DIM)
            for c in range(self.left, c_hi):
                text.append(f"{c:>{self.CELL}}", style=BOLD if c == self.col else DIM)
            return _strip(text, width, base)
        r = self.top + y - 1
        if r >= m.shape[0]:
            return Strip.blank(width, base)
        text = Text(f"{r:>6}", style=BOLD if r == self.row else DIM)
        for c in range(self.left, c_hi):
            cell = f"{_number(m[r, c]):>{self.CELL}}"
            style = REVERSE_BOLD if (r, c) == (self.row, self.col) else None
            text.append(cell, style=style)
        return _strip(text, width, base)


_CONSOLE = Console(width=400, color_system=None, legacy_windows=False)


def _number(v: float) -> str:
    """At most 9 characters: 4 significant digits, or 3 in exponent form."""
    text = f"{v:.4g}"
    return text if len(text) <= 9 else f"{v:.2e}"


def _strip(text: Text, width: int, base: Style) -> Strip:
    return Strip(list(text.render(_CONSOLE))).adjust_cell_length(width, base)
