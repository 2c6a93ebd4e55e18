"""The loss curve's cursor: a mark under the column of the epoch the shown step belongs to."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from nnviz.explorer import Snapshot


def cursor_column(epochs_done: np.ndarray, epoch: int, width: int) -> int | None:
    """The plot column (of `width`, one bucket of slots each, as plot_lines draws them) that
    holds `epoch`; None when the curve has no such epoch."""
    n = len(epochs_done)
    if n == 0 or epoch < 1 or epoch > int(epochs_done[-1]):
        return None
    slot = int(np.searchsorted(epochs_done, epoch, side="left"))
    if n <= width:
        return slot
    edges = np.linspace(0, n, width + 1).astype(np.int64)
    return int(np.searchsorted(edges, slot, side="right")) - 1


def cursor_line(snap: Snapshot, plot_w: int, label_w: int, ascii_mode: bool) -> Text:
    """'▲ step 37' under the curve at the shown step's epoch; empty for the present."""
    out = Text(no_wrap=True)
    if not snap.past or snap.mark_epoch is None:
        return out
    viewed = snap.step if snap.viewed is None else snap.viewed
    label = f"step {viewed} of {snap.present}"
    col = cursor_column(snap.epochs_done, snap.mark_epoch, plot_w)
    if col is None and len(snap.epochs_done) and snap.mark_epoch > snap.epochs_done[-1]:
        col = min(len(snap.epochs_done), plot_w) - 1  # the step after the last: the NaN one
        label = f"step {viewed}: the loss is NaN"
    if col is None:
        out.append(f"{'':>{label_w}} {label} (in epoch {snap.mark_epoch})\n", style="bold cyan")
        return out
    mark = "^" if ascii_mode else "▲"
    text = f"{mark} {label}" if col + len(label) + 2 <= plot_w else f"{label} {mark}"
    start = col if text[0] == mark else max(col - len(text) + 1, 0)
    out.append(" " * (label_w + 1 + start))
    out.append(text + "\n", style="bold cyan")
    return out
