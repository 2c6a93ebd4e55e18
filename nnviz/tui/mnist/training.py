"""Tab 4, Training: progress through epochs and batches, the rate, the epoch table and the
confusion matrix on the test set."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static, TabPane

from nnviz.tui.draw import glyphs
from nnviz.tui.mnist.widgets import FixedStatics, confusion_text


class TrainingPane(FixedStatics, TabPane):
    def __init__(self, view):
        super().__init__("4 Training", id="mnist-tab-training")
        self.view = view

    def compose(self) -> ComposeResult:
        yield Static(id="mnist-progress-bars")
        yield Static(id="mnist-train-rate")
        yield Static(id="mnist-epoch-table")
        yield Static(id="mnist-confusion")

    def draw_progress(self, live) -> None:
        view = self.view
        t = view.session.trainer
        bars = Text()
        for label, done, total in (
            ("epochs ", live.epoch, t.epochs),
            ("batches", live.batch, live.batches),
        ):
            frac = done / total if total else 0.0
            bar = glyphs.bar(frac, 32, view.ascii_mode)
            bars.append(f"{label} ", style="bold")
            bars.append(bar.replace(" ", "·" if view.ascii_mode else "─"), style="green")
            bars.append(f" {done}/{total} ({frac:.0%})\n")
        bars.rstrip()
        self.put("#mnist-progress-bars", bars)
        rate = f"{view.rate:,.0f} samples/s" if view.rate else "— samples/s"
        compile_s = f" · compiled in {view.compile_s:.2f} s" if view.compile_s is not None else ""
        self.put(
            "#mnist-train-rate", f"step {live.steps:,} · {rate} (this run, with drawing){compile_s}"
        )

    def draw_history(self) -> None:
        text = Text("epoch    loss   train    test\n", style="bold")
        for row in self.view.history[-8:]:
            acc = row["accuracy"]
            test = row["test_accuracy"]
            text.append(
                f"{row['epoch']:>5} {row['loss']:7.4f} "
                f"{'' if acc is None else f'{acc:7.2%}':>7} "
                f"{'' if test is None else f'{test:7.2%}':>7}\n"
            )
        text.rstrip()
        self.put("#mnist-epoch-table", text)

    def draw_confusion(self, data) -> None:
        view = self.view
        self.put(
            "#mnist-confusion",
            Text.assemble(
                (f"confusion on the test set after epoch {data.epoch}\n", "bold"),
                confusion_text(data.confusion, view.names, view.ascii_mode, view.item),
            ),
        )
