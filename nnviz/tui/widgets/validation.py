"""The explorer's validation curves (with `[training] validation`): training and validation loss
and accuracy per epoch on shared axes, from the Snapshot's series (the trainer's evaluations
of the held-out rows, and the epochs' training losses). Appended to the training panel."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from nnviz.tui import fmt
from nnviz.tui.widgets.charts import Series, chart_text, legend_text


def validation_text(ctl, snap, width: int, ascii_mode: bool = False) -> Text:
    """Empty when the scenario holds no rows out."""
    out = Text(no_wrap=True, overflow="ellipsis")
    t = ctl.trainer
    if t is None or not getattr(t, "has_val", False):
        return out
    held = len(t.x_val)
    if snap.val_epochs.size == 0:
        out.append(f"validation: {held} held-out rows, evaluated after each epoch\n", style="dim")
        return out
    epoch, loss, acc = snap.val_epochs[-1], snap.val_losses[-1], snap.val_accuracies[-1]
    out.append(f"val loss {fmt.num(loss, 4)}", style="bold")
    if np.isfinite(acc):
        out.append(f" · acc {fmt.num(acc, 4)}", style="bold")
    out.append(f"\n(validation: epoch {epoch}, {held} rows held out)\n", style="dim")
    x = snap.epochs_done.astype(np.float64)
    vx = snap.val_epochs.astype(np.float64)
    losses = [Series("training", x, snap.losses), Series("validation", vx, snap.val_losses)]
    epochs = lambda v: f"epoch {v:.0f}"  # noqa: E731
    out.append_text(chart_text(losses, width, 4, ascii_mode=ascii_mode, x_format=epochs))
    if np.any(np.isfinite(snap.val_accuracies)):
        out.append("accuracy\n", style="dim")
        accs = [Series("training", x, snap.accuracies), Series("validation", vx,
                                                               snap.val_accuracies)]  # fmt: skip
        out.append_text(chart_text(accs, width, 3, ascii_mode=ascii_mode, x_format=epochs))
    out.append_text(legend_text([(0, "training", ""), (1, "validation", "")], width, ascii_mode))
    return out
