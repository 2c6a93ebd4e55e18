"""Tab 1 of a convolutional network, Filters: one filter as an image, its feature maps for the
digit in view (after the conv and its activation, after the pooling), which input pixels a
selected map cell sees, and one filter weight's gradient as the correlation of the input patch
with the upstream map, in numbers.

The filter in view is the view's `unit` (u / U), counted over every conv stage; the map cell
and the filter weight are the cursors of the two matrices (Tab focuses them, arrows move).
Every number comes from the engine: the maps and filters from Live copies, the gradient from
nnviz.convolution.weight_gradient over the buffers of the step taken by hand.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static, TabPane

from nnviz import convolution
from nnviz.tui.draw.canvas import ImageView
from nnviz.tui.mnist.widgets import FixedStatics, MatrixView

TERMS = 6  # products listed one by one; the rest are summed in one line


def filter_at(stages: list[convolution.Stage], unit: int) -> tuple[int, int]:
    """(stage index, filter) of the unit-th filter counted over all stages."""
    for s, st in enumerate(stages):
        if unit < st.filters:
            return s, unit
        unit -= st.filters
    raise IndexError("no such filter")


def kernel_matrix(kernel: np.ndarray) -> np.ndarray:
    """A filter's C × k × k weights as one k × (C·k) matrix, channel beside channel (the
    element at (u, c·k + v) is weight (c, u, v))."""
    c, k, _ = kernel.shape
    return kernel.transpose(1, 0, 2).reshape(k, c * k)


def tiled(kernel: np.ndarray) -> np.ndarray:
    """A filter's channels side by side with a one-pixel gap (at the low end, 0), for a
    picture."""
    c, k, _ = kernel.shape
    out = np.zeros((k, c * (k + 1) - 1), np.float64)
    for ch in range(c):
        out[:, ch * (k + 1) : ch * (k + 1) + k] = kernel[ch]
    return out


def index(stride: int, var: str, offset: int) -> str:
    """How a kernel weight's position reads an input index: i, 2i, i+3, 2i+1."""
    base = var if stride == 1 else f"{stride}{var}"
    return base if offset == 0 else f"{base}+{offset}"


def gradient_text(program, stage: convolution.Stage, f, c, u, v, sample, row=None) -> Text:
    """∂L/∂K[f, c, u, v] as Σ patch × upstream: the sample's largest products one by one,
    the rest of its products summed, then its share and the other images' shares, summed
    to the batch's gradient beside the engine's own number."""
    k = stage.kernel
    whole = convolution.weight_gradient(program, stage.conv, f, c, u, v)
    one = convolution.weight_gradient(program, stage.conv, f, c, u, v, sample=sample)
    batch, ho, wo = whole.products.shape
    col = (c * k + u) * k + v
    w, x, up = stage.weights, stage.input, stage.conv
    out = Text()
    out.append(
        f"∂L/∂{w}[{f}, {col}]  (filter {f}, channel {c}, kernel row {u}, col {v})\n", style="bold"
    )
    out.append(
        f"  = Σ over {batch} images n and {ho}×{wo} cells (i, j) of "
        f"{x}[n, {c}, {index(stage.stride, 'i', u)}, {index(stage.stride, 'j', v)}]"
        f" · ∂L/∂{up}[n, {f}, i, j]\n",
        style="dim",
    )
    products = one.products[0]
    order = np.argsort(-np.abs(products), axis=None, kind="stable")[:TERMS]
    where = f"image {sample + 1} of the batch" + ("" if row is None else f" (row {row})")
    out.append(f"  {where}: its {min(TERMS, products.size)} largest of {products.size} products\n")
    listed = 0.0
    for flat in order:
        i, j = divmod(int(flat), wo)
        a, b, p = float(one.patch[0, i, j]), float(one.upstream[0, i, j]), float(products[i, j])
        listed += p
        out.append(
            f"    {x}[{c},{stage.stride * i + u},{stage.stride * j + v}] · "
            f"∂L/∂{up}[{f},{i},{j}] = {a:.4g} × {b:.4g} = {p:.4g}\n"
        )
    share = one.total
    rest = share - listed
    out.append(f"    + the other {products.size - len(order)} products = {rest:.4g}\n")
    out.append(f"    image {sample + 1}'s share = {share:.4g}\n", style="bold")
    others = whole.total - share
    out.append(f"  + the other {batch - 1} images' shares = {others:.4g}\n")
    out.append(f"  = {whole.total:.4g}", style="bold magenta")
    close = np.isclose(whole.total, whole.engine, rtol=1e-4, atol=1e-7)
    verdict = "✓ the engine's" if close else "✗ differs from the engine's"
    out.append(f"   {verdict} ∂L/∂{w}[{f}, {col}] = {whole.engine:.4g}\n")
    return out


class FiltersPane(FixedStatics, TabPane):
    def __init__(self, view):
        super().__init__("1 Filters", id="mnist-tab-network")
        self.view = view
        self.stages = convolution.stages(view.session.model.program)
        self.cell: tuple[int, int] | None = None  # the map cell, None: the strongest
        self.weight = (0, 0)  # (row, column) in the kernel matrix

    def compose(self) -> ComposeResult:
        yield Static(id="mnist-conv-title")
        with Horizontal(id="mnist-conv-top"):
            for part in ("filter", "map", "pool"):
                yield from self._box(part)
        with Horizontal(id="mnist-conv-middle"):
            yield from self._box("field")
            with Vertical(id="mnist-conv-cells-box"):
                yield Static(id="mnist-conv-cells-label")
                yield MatrixView(id="mnist-conv-cells")
        yield Static(id="mnist-conv-kernel-label")
        yield MatrixView(id="mnist-conv-kernel")
        yield Static(id="mnist-conv-grad")

    def _box(self, part: str) -> ComposeResult:
        with Vertical(classes="mnist-conv-box", id=f"mnist-conv-{part}-box"):
            yield Static(classes="mnist-conv-label", id=f"mnist-conv-{part}-label")
            yield ImageView(id=f"mnist-conv-{part}")
            yield Static(classes="mnist-conv-caption", id=f"mnist-conv-{part}-caption")

    # ------------------------------------------------------------ what is selected
    def selected(self) -> tuple[convolution.Stage, int]:
        s, f = filter_at(self.stages, self.view.unit % self.total_filters)
        return self.stages[s], f

    @property
    def total_filters(self) -> int:
        return sum(st.filters for st in self.stages)

    def shown_map(self, stage: convolution.Stage) -> str:
        """The map whose cells the cursor picks: the pooled one, else the activation's."""
        return stage.pool or stage.activation or stage.conv

    # ------------------------------------------------------------ drawing
    def draw(self, live) -> None:
        if live.maps is None or live.filters is None:
            return
        view = self.view
        ascii_mode = view.ascii_mode
        stage, f = self.selected()
        s = self.stages.index(stage)
        kernel = live.filters[stage.conv][f]
        self.put(
            "#mnist-conv-title",
            Text.assemble(
                (f"conv stage {s + 1} of {len(self.stages)}: ", "bold"),
                f"{stage.conv} = {stage.input} ⋆ {stage.weights} + b · {stage.filters} filters "
                f"{stage.kernel}×{stage.kernel} over {stage.channels} channel"
                f"{'s' if stage.channels > 1 else ''}, stride {stage.stride}\n",
                (f"filter {f} of {stage.filters}", "bold"),
                f" · u/U: {view.unit % self.total_filters + 1} of {self.total_filters}"
                " · Tab: map cell, filter weight",
            ),
        )
        m = float(np.max(np.abs(kernel))) or 1.0
        self._picture("filter", tiled(kernel), -m, m, "diverging", ascii_mode, sx=2)
        self.put("#mnist-conv-filter-label", Text(f"{stage.weights}[{f}]", style="bold"))
        self.put(
            "#mnist-conv-filter-caption",
            f"{stage.channels}×{stage.kernel}×{stage.kernel} weights\nblue − · red + · ±{m:.3g}",
        )
        act = stage.activation or stage.conv
        amap = live.maps[act][f]
        hi = float(np.max(amap)) if np.max(amap) > 0 else 1.0
        lo = min(0.0, float(np.min(amap)))
        self._picture("map", amap, lo, hi, "heat", ascii_mode)
        self.put("#mnist-conv-map-label", Text(f"{act}[{f}]", style="bold"))
        self.put(
            "#mnist-conv-map-caption",
            f"{amap.shape[0]}×{amap.shape[1]} after the conv\nand its activation\n"
            f"{lo:.3g} … {hi:.3g}",
        )
        cells_name = self.shown_map(stage)
        cells = live.maps[cells_name][f]
        if stage.pool:
            self._picture("pool", cells, lo, hi, "heat", ascii_mode)
            self.put("#mnist-conv-pool-label", Text(f"{stage.pool}[{f}]", style="bold"))
            self.put(
                "#mnist-conv-pool-caption",
                f"{cells.shape[0]}×{cells.shape[1]} after pooling\nmax {float(cells.max()):.3g}",
            )
        if self.cell is None or self.cell[0] >= cells.shape[0] or self.cell[1] >= cells.shape[1]:
            self.cell = tuple(int(v) for v in np.unravel_index(np.argmax(cells), cells.shape))
        self._field(live, cells_name, f, ascii_mode)
        grid = self.query_one("#mnist-conv-cells", MatrixView)
        grid.set_matrix(cells_name, cells.astype(np.float64))
        grid.row, grid.col = self.cell
        grid.refresh()
        self.put(
            "#mnist-conv-cells-label",
            Text(f"{cells_name}[{f}] for this {self.view.item}: the cell in view", style="bold"),
        )
        kmat = kernel_matrix(kernel)
        kv = self.query_one("#mnist-conv-kernel", MatrixView)
        kv.set_matrix(stage.weights, kmat.astype(np.float64))
        kv.styles.height = kmat.shape[0] + 1  # the column numbers and the kernel rows
        self.weight = (
            min(self.weight[0], kmat.shape[0] - 1),
            min(self.weight[1], kmat.shape[1] - 1),
        )
        kv.row, kv.col = self.weight
        kv.refresh()
        self.put(
            "#mnist-conv-kernel-label",
            Text(f"{stage.weights}[{f}]: kernel rows × (channel, kernel column)", style="bold"),
        )
        self.draw_gradient()

    def _picture(self, part, image, lo, hi, cmap, ascii_mode, sx: int = 1) -> None:
        self.query_one(f"#mnist-conv-{part}", ImageView).show(
            image, lo, hi, cmap=cmap, ascii_mode=ascii_mode, sx=sx
        )

    def _field(self, live, cells_name: str, f: int, ascii_mode: bool) -> None:
        """The digit with the pixels outside the selected cell's receptive field dimmed."""
        program = self.view.session.model.program
        top, bottom, left, right = convolution.receptive_field(program, cells_name, *self.cell)
        digit = live.maps[self.stages[0].input][0].astype(np.float64)
        shown = digit * 0.25
        shown[top:bottom, left:right] = digit[top:bottom, left:right]
        hi = float(digit.max()) or 1.0
        self._picture("field", shown, 0.0, hi, "grey", ascii_mode)
        i, j = self.cell
        self.put(
            "#mnist-conv-field-label", Text(f"what {cells_name}[{f},{i},{j}] sees", style="bold")
        )
        self.put(
            "#mnist-conv-field-caption",
            f"input rows {top}–{bottom - 1}, cols {left}–{right - 1}\n"
            f"({bottom - top}×{right - left} pixels; the rest dimmed)\n"
            f"value {float(live.maps[cells_name][f][i, j]):.4g}",
        )

    def draw_gradient(self) -> None:
        view = self.view
        stage, f = self.selected()
        program = view.session.model.program
        conv = program.find(stage.conv)
        if not view.conv_gradients_ready(conv):
            self.put(
                "#mnist-conv-grad",
                Text(
                    f"∂L/∂{stage.weights}: step by hand (n, or s for a whole step) until the "
                    f"backward pass has run {stage.conv}'s rule; its gradient is then shown here "
                    "as the sum of input × upstream products",
                    style="dim",
                ),
            )
            return
        k = stage.kernel
        u, col = self.weight
        c, v = divmod(col, k)
        rows = view.stepper.rows
        batch = program.value_images(stage.input).shape[0]
        sample = min(view.batch_row, batch - 1)
        row = None if rows is None or sample >= len(rows) else int(rows[sample])
        self.put("#mnist-conv-grad", gradient_text(program, stage, f, c, u, v, sample, row))

    # ------------------------------------------------------------ the cursors
    @on(MatrixView.CursorMoved, "#mnist-conv-cells")
    def _cell_moved(self, event: MatrixView.CursorMoved) -> None:
        self.cell = (event.row, event.col)
        if self.view.live is not None:
            stage, f = self.selected()
            self._field(self.view.live, self.shown_map(stage), f, self.view.ascii_mode)

    @on(MatrixView.CursorMoved, "#mnist-conv-kernel")
    def _weight_moved(self, event: MatrixView.CursorMoved) -> None:
        self.weight = (event.row, event.col)
        self.draw_gradient()
