"""One line over the footer while the kernels compile in the background (nnviz.warmup)."""

from __future__ import annotations

from textual.widgets import Static


class KernelStatus(Static):
    """'compiling kernels in the background: k of N …'; gone when they are ready."""

    DEFAULT_CSS = """
    KernelStatus {
        dock: bottom;
        height: 1;
        background: $panel;
        color: $warning;
        offset-y: -1;
    }
    """

    def show_state(self, state) -> None:
        self.update(f" {state.describe()}")
