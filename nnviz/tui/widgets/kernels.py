"""One line over the footer while the kernels compile in the background (nnviz.warmup)."""

from __future__ import annotations

from textual.widgets import Static


class KernelStatus(Static):
    """'compiling kernels: k of N compiled, 12 s (…)'; gone when they are ready.

    It reads the app's BackgroundKernels each second (the seconds go on while one big kernel
    compiles) and whenever the child reports.
    """

    DEFAULT_CSS = """
    KernelStatus {
        dock: bottom;
        height: 1;
        background: $panel;
        color: $warning;
        offset-y: -1;
    }
    """

    def __init__(self, kernels, **options):
        super().__init__(**options)
        self.kernels = kernels

    def on_mount(self) -> None:
        self.show_state()
        self.set_interval(1.0, self.show_state)

    def show_state(self) -> None:
        state = self.kernels.state
        self.update(f" {state.describe(self.kernels.elapsed)}")
