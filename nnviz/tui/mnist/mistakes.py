"""Tab 5, Mistakes: misclassified test digits, six at a time, from the last evaluation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Static, TabPane

from nnviz.tui.draw.canvas import ImageView
from nnviz.tui.mnist.widgets import FixedStatics

MISTAKE_TILES = 6


class MistakesPane(FixedStatics, TabPane):
    def __init__(self, view):
        super().__init__("5 Mistakes", id="mnist-tab-mistakes")
        self.view = view

    def compose(self) -> ComposeResult:
        yield Static(id="mnist-mistakes-caption")
        with Grid(id="mnist-mistake-grid"):
            for i in range(MISTAKE_TILES):
                with Vertical(classes="mnist-tile"):
                    yield ImageView(id=f"mnist-mistake-picture-{i}")
                    yield Static(id=f"mnist-mistake-caption-{i}")

    def draw(self) -> None:
        view = self.view
        data = view.epoch_data
        wrong = view.mistakes()
        h, w = view.ds.image_shape
        n = len(wrong)
        start = max(view.mistake_pos, 0)
        self.put(
            "#mnist-mistakes-caption",
            f"{n:,} of {view.ds.n_test:,} test {view.item}s misclassified after epoch "
            f"{data.epoch if data else 0}; m / M steps through them"
            + (f" (showing {start + 1} …)" if n else ""),
        )
        for t in range(MISTAKE_TILES):
            pic = self.query_one(f"#mnist-mistake-picture-{t}", ImageView)
            cap = f"#mnist-mistake-caption-{t}"
            if t >= n:
                pic.clear()
                self.put(cap, "")
                continue
            i = int(wrong[(start + t) % n])
            pic.show(view.ds.x_test[i].reshape(h, w), 0, 1, ascii_mode=view.ascii_mode)
            pred = int(data.preds[i])
            true = int(view.labels_test[i])
            self.put(
                cap,
                f"#{i} true {view.names[true]} → {view.names[pred]} ({data.probs[i, pred]:.0%})",
            )
