"""Time travel in the explorer: the keys that go back and forth through the history of the
run, and continuing from a past step.

A past step is a Snapshot like the present's (Controller.view_step re-computes it from the
history), so every panel draws it the same way. Stepping or training from a past step asks
first: the same key again continues from it, and the steps after it are dropped.
"""

from __future__ import annotations

from textual.widgets import Static

from nnviz.tui import fmt, keys
from nnviz.tui.screens.nonfinite import NonFiniteScreen

# the key a student presses again to continue from a past step, by the action that asked
_AGAIN = {"micro": "n", "step": "s", "epoch": "e", "fast": "p", "slow": "o"}


class ScrubMixin:
    """The ExplorerScreen's history keys; `_confirm` is the (action, step) waiting for the
    same key again."""

    _confirm: tuple[str, int] | None = None

    async def action_history(self, delta: int) -> None:
        await self._go_to(self.ctl.shown_step + delta)

    async def action_history_epoch(self, direction: int) -> None:
        await self._go_to(self.ctl.epoch_bounds(self.ctl.shown_step, direction))

    async def action_history_start(self) -> None:
        await self._go_to(self.ctl.history_range()[0])

    async def action_history_end(self) -> None:
        await self._go_to(self.ctl.present_step)

    async def action_nonfinite(self) -> None:
        if self._no_training():
            return
        if self.playing:
            await self.stop()
        report = self.ctl.first_nonfinite()
        if report is None:
            self.notify("no NaN or infinity in this run so far")
            return
        self._confirm = None
        snap = self.ctl.view_step(report.step)
        self.follow = False
        self.selected = report.node_index
        self.note = self._history_note(f"first non-finite: {fmt.sub(report.node)}")
        self.show(snap)
        self.app.push_screen(NonFiniteScreen(report.lines()))

    async def _go_to(self, step: int) -> None:
        if self._no_training():
            return
        if self.playing:
            await self.stop()
        ctl = self.ctl
        if ctl.timeline is None:
            self.notify("this run keeps no history")
            return
        first, last = ctl.history_range()
        if not first <= step <= last:
            self.notify("the start of the run" if step < first else "the present: no step after it")
        self._confirm = None
        snap = ctl.view_step(step)
        self.note = self._history_note()
        self.show(snap)

    def _history_note(self, extra: str = "") -> str:
        ctl = self.ctl
        if ctl.viewing is None:
            return extra
        note = f"◀ step {ctl.viewing} of {ctl.present_step}"
        return f"{note} · {extra}" if extra else note + " (G: the present)"

    async def _own_engine(self, branch: str = "") -> bool:
        """Before stepping or training (`branch` names the action): from a past step, the
        same key again continues from it; the steps after it are dropped."""
        ctl = self.ctl
        if branch and ctl.viewing is not None:
            step = ctl.viewing
            if self._confirm != (branch, step):
                self._confirm = (branch, step)
                later = ctl.present_step - step
                key = _AGAIN.get(branch) or keys.entries(branch)[0].keys.split(",")[0]
                self.note = f"{key} again: continue from step {step}"
                self.notify(
                    f"{key} again continues from step {step}: the {later:,} steps after it are "
                    "dropped (any history key keeps them)",
                    timeout=6,
                )
                self.query_one("#status", Static).update(self.status_text())
                return False
            self._confirm = None
            dropped = ctl.continue_from_view()
            self.note = f"continued from step {step} ({dropped:,} later steps dropped)"
        return await super()._own_engine()
