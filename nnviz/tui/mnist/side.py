"""The side panel: the test digit in view, its label, the prediction and the ten probabilities."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from nnviz.tui.draw.canvas import ImageView
from nnviz.tui.mnist.widgets import FixedStatics, prob_text


class SamplePanel(FixedStatics, Vertical):
    def __init__(self, view, **kwargs):
        super().__init__(**kwargs)
        self.view = view
        self._drawn: tuple | None = None  # (sample, ascii) of the picture on screen

    def compose(self) -> ComposeResult:
        yield Static(id="mnist-sample-title")
        yield ImageView(id="mnist-sample-picture")
        yield Static(id="mnist-sample-caption")
        yield Static(id="mnist-sample-probs")

    def draw(self, live) -> None:
        """The digit, and (given a Live of this digit) what the network makes of it."""
        view = self.view
        ds = view.ds
        i = view.sample
        h, w = ds.image_shape
        true = int(view.labels_test[i])
        if self._drawn != (i, view.ascii_mode):  # the picture changes with the sample only
            self._drawn = (i, view.ascii_mode)
            self.put(
                "#mnist-sample-title",
                Text.assemble((f"test {view.item} ", ""), (f"#{i}", "bold"), f" of {ds.n_test:,}"),
            )
            self.query_one("#mnist-sample-picture", ImageView).show(
                ds.x_test[i].reshape(h, w), 0.0, 1.0, cmap="grey", ascii_mode=view.ascii_mode
            )
        if live is None:
            self.put("#mnist-sample-caption", f"label {view.full_names[true]} · …")
            return
        pred = int(np.argmax(live.probs))
        mark = "✓" if pred == true else "✗"
        caption = Text.assemble(
            "label ",
            (view.full_names[true], "bold"),
            " · predicted ",
            (view.full_names[pred], "bold"),
            f" {mark}",
        )
        if view.mistake_pos >= 0 and view.epoch_data is not None:
            wrong = view.mistakes()
            if len(wrong) and i in wrong:
                caption.append(f"\nmistake {view.mistake_pos + 1} of {len(wrong)}")
        self.put("#mnist-sample-caption", caption)
        self.put(
            "#mnist-sample-probs",
            prob_text(
                live.probs,
                view.names,
                true=true,
                width=12,
                ascii_mode=view.ascii_mode,
                title="p (softmax output)",
            ),
        )
