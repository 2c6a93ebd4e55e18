"""Tab 1, Network: one hidden unit's incoming weights as an image, the hidden activations of the
digit in view, how the unit votes for each class, and the output weights as a heatmap."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static, TabPane

from nnviz.tui.draw.canvas import ImageView
from nnviz.tui.mnist.widgets import FixedStatics, signed_bars

W_OUT_WINDOW = 40  # hidden units shown at once in the output-weights heatmap (if they fit)


def grid_shape(h: int) -> tuple[int, int]:
    """(rows, cols) of the picture of h hidden units."""
    cols = int(np.ceil(np.sqrt(h))) or 1
    return int(np.ceil(h / cols)), cols


class NetworkPane(FixedStatics, TabPane):
    def __init__(self, view):
        super().__init__("1 Network", id="mnist-tab-network")
        self.view = view

    def compose(self) -> ComposeResult:
        with Horizontal(id="mnist-network-top"):
            with Vertical(id="mnist-unit-box"):
                yield Static(id="mnist-unit-title")
                yield ImageView(id="mnist-unit-picture")
                yield Static(id="mnist-unit-caption")
            with Vertical(id="mnist-hidden-box"):
                yield Static(id="mnist-hidden-title")
                yield ImageView(id="mnist-hidden-picture")
                yield Static(id="mnist-hidden-caption")
            yield Static(id="mnist-unit-votes")
        yield Static(id="mnist-w-out-title")
        with Horizontal(id="mnist-w-out-row"):
            yield Static("\n".join(self.view.names), id="mnist-w-out-labels")
            yield ImageView(id="mnist-w-out-picture")

    def draw(self, live) -> None:
        view = self.view
        ascii_mode = view.ascii_mode
        h, w = view.ds.image_shape
        u = view.unit
        n_hidden = view.n_hidden
        col = live.W1[:, u]
        m = float(np.max(np.abs(col))) or 1.0
        self.put(
            "#mnist-unit-title",
            Text.assemble(("hidden unit ", "bold"), (f"{u}", "bold"), f" of {n_hidden}"),
        )
        self.query_one("#mnist-unit-picture", ImageView).show(
            col.reshape(h, w), -m, m, cmap="diverging", ascii_mode=ascii_mode
        )
        act = ""
        if live.hidden.size and live.sample == view.sample:
            act = f"\n{view.roles.hidden}[{u}] = {live.hidden[u]:.3f} for this {view.item}"
        self.put(
            "#mnist-unit-caption",
            f"weights into it: {view.roles.first_weights}[:, {u}]\nblue − · red + · ±{m:.3g}{act}",
        )
        if live.hidden.size:
            rows, cols = grid_shape(n_hidden)
            grid = np.zeros(rows * cols)
            grid[:n_hidden] = live.hidden
            hi = max(1.0, float(live.hidden.max()))
            self.put("#mnist-hidden-title", Text(f"activations {view.roles.hidden}", style="bold"))
            self.query_one("#mnist-hidden-picture", ImageView).show(
                grid.reshape(rows, cols), 0.0, hi, cmap="heat", ascii_mode=ascii_mode, sx=2
            )
            r, c = divmod(u, cols)
            self.put(
                "#mnist-hidden-caption",
                f"{n_hidden} units, {cols} a row\nscale 0 … {hi:.3g}\n"
                f"unit {u}: row {r}, col {c}\nmean {live.hidden.mean():.3f}",
            )
        w_out_name = view.roles.output_weights
        votes = live.W_out[u] if live.W_out.shape[0] == n_hidden else None
        if votes is not None:
            text = Text(f"{w_out_name}[{u}, :] — how unit {u}\nvotes for each class\n")
            text.append_text(signed_bars(votes, view.names, width=8))
            self.put("#mnist-unit-votes", text)
        w_out = live.W_out.T  # classes × hidden
        fits = (self.size.width - 6) // 2  # two cells a unit, beside the class labels
        units = W_OUT_WINDOW if fits <= 0 else max(8, min(W_OUT_WINDOW, fits))
        start = (u // units) * units
        window = w_out[:, start : start + units]
        m = float(np.max(np.abs(window))) or 1.0
        title = Text(
            f"output weights {w_out_name}ᵀ (class × hidden units {start} … "
            f"{start + window.shape[1] - 1}) · blue − red + · ±{m:.3g}\n",
            style="bold",
        )
        title.append(" " * (2 * (u - start)) + ("▼" if not ascii_mode else "v") + f" {u}")
        self.put("#mnist-w-out-title", title)
        self.query_one("#mnist-w-out-picture", ImageView).show(
            window, -m, m, cmap="diverging", ascii_mode=ascii_mode, sx=2, half=False
        )
