"""Time travel in the MNIST view: the history keys show a past step on every tab.

The app's Controller (nnviz.explorer) holds the run's history; a past step is its twin's
session, restored from a keyframe and the step re-taken by hand (Controller.view_step), and
while it is on show the panes draw from that session and its Stepper instead of the live ones.
Stepping or training from a past step asks first (the same key again), then continues from it.
"""

from __future__ import annotations

from nnviz.tui import keys

_AGAIN = {"micro": "n", "step": "s", "epoch": "e", "play": "p"}


class MnistScrubMixin:
    """MnistView's history keys; `_present` is the live (session, stepper) while a past step
    is on show."""

    _present = None
    _confirm: tuple[str, int] | None = None

    def _history(self):
        ctl = getattr(self.app, "controller", None)
        live = self.session if self._present is None else self._present[0]
        if ctl is None or ctl.session is not live or ctl.timeline is None:
            return None
        return ctl

    def action_history(self, delta: int) -> None:
        ctl = self._history()
        if ctl is not None:
            self._view(ctl, ctl.shown_step + delta)

    def action_history_epoch(self, direction: int) -> None:
        ctl = self._history()
        if ctl is not None:
            self._view(ctl, ctl.epoch_bounds(ctl.shown_step, direction))

    def action_history_start(self) -> None:
        ctl = self._history()
        if ctl is not None:
            self._view(ctl, ctl.history_range()[0])

    def action_history_end(self) -> None:
        ctl = self._history()
        if ctl is not None:
            self._view(ctl, ctl.present_step)

    def action_nonfinite(self) -> None:
        ctl = self._history()
        if ctl is None or self.busy.is_set():
            self.notify("pause training first (p)" if ctl else "this run keeps no history")
            return
        report = ctl.first_nonfinite()
        if report is None:
            self.notify("no NaN or infinity in this run so far")
            return
        from nnviz.tui.screens.nonfinite import NonFiniteScreen

        self._view(ctl, report.step)
        self.app.push_screen(NonFiniteScreen(report.lines()))

    def _view(self, ctl, step: int) -> None:
        if self.busy.is_set():
            self.notify("training is running: pause it first (p or space)", severity="warning")
            return
        self._confirm = None
        if self._present is not None:
            self.session, self.stepper, self.stepped = self._present
        ctl.view_step(step)
        if ctl.viewing is None:
            self._present = None
        else:
            self._present = (self.session, self.stepper, getattr(self, "stepped", False))
            shown = ctl._twin
            self.session, self.stepper = shown.session, shown.stepper
            self.stepped = ctl.viewing > 0  # the twin took that step by hand: its gradients
        self.refresh_from_engine(epoch=True)
        if ctl.viewing is not None:
            self.draw_status(f"◀ step {ctl.viewing} of {ctl.present_step} (G: the present)")

    def _refuse_in_past(self, action: str) -> bool:
        """From a past step, the same key again continues from it (later steps dropped)."""
        ctl = self._history()
        if self._present is None or ctl is None or ctl.viewing is None:
            return False
        step = ctl.viewing
        if self._confirm != (action, step):
            self._confirm = (action, step)
            key = _AGAIN.get(action) or keys.entries(action)[0].keys.split(",")[0]
            self.notify(
                f"{key} again continues from step {step}: the {ctl.present_step - step:,} "
                "steps after it are dropped (any history key keeps them)",
                timeout=6,
            )
            return True
        self._confirm = None
        self.session, self.stepper, _ = self._present
        self.stepped = step > 0  # the live buffers now hold that step, taken by hand
        self._present = None
        dropped = ctl.continue_from_view()
        self.stepper.abandon()
        self.history = [row for row in self.history if row.get("epoch", 0) <= step // max(
            self.session.trainer.batches_per_epoch, 1)]  # fmt: skip
        self.notify(f"continued from step {step} ({dropped:,} later steps dropped)")
        return False
