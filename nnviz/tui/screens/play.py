"""Training you can watch: the explorer's training worker and the keys that start, pace and
pause it.

Training runs in a thread worker that posts TrainingUpdate messages carrying Snapshots (copies);
the screen draws only from those while a worker owns the engine. Stepping by hand waits until
the worker has let go of it (`_own_engine`).
"""

from __future__ import annotations

import asyncio
import time

from textual import work
from textual.widgets import Static
from textual.worker import get_current_worker

from nnviz.explorer import Controller
from nnviz.train import Diverged, EpochsDone, Finished, Progress
from nnviz.tui.crashlog import failure_message
from nnviz.tui.messages import TrainingUpdate

POST_EVERY = 0.1  # seconds between frames while training at full speed
SLOW_DELAY = 0.3  # seconds between steps when playing slowed down


class PlayMixin:
    """The ExplorerScreen's training: `playing` is "", "fast", "slow" or "epoch"."""

    async def stop(self) -> None:
        """Stop a training worker and wait until it has let go of the engine."""
        worker = self._worker
        if worker is None:
            self.playing = ""
            return
        self._generation += 1
        worker.cancel()
        while not self._idle.is_set():
            await asyncio.sleep(0.005)
        self._worker = None
        self.playing = ""

    def cancel(self) -> None:
        """Stop training without waiting (the screen is going away)."""
        if self._worker is not None:
            self._generation += 1
            self._worker.cancel()

    def _start(self, mode: str) -> None:
        self._generation += 1
        self._idle.clear()
        self.playing = mode
        self._worker = self._train(mode, self._generation)
        self.query_one("#status", Static).update(self.status_text())

    @work(thread=True, exclusive=True, group="train")
    def _train(self, mode: str, generation: int) -> None:
        worker = get_current_worker()
        ctl = self.ctl
        try:
            if mode == "slow":
                self._slow(worker, ctl, generation)
            else:
                self._fast(worker, ctl, generation, mode)
        except Exception as exc:  # noqa: BLE001 (an input error says what; a bug is logged)
            ctl.message = failure_message(exc)
        finally:
            snap = ctl.snapshot()
            self._idle.set()
            self.post_message(TrainingUpdate(snap, generation, final=True))

    def _fast(self, worker, ctl: Controller, generation: int, mode: str) -> None:
        trainer = ctl.trainer
        steps0, t0 = trainer.steps, time.perf_counter()
        last = 0.0
        # in chunks either way, so that a key press stops training partway
        events = trainer.run() if mode == "fast" else trainer.epoch_events()
        for event in events:
            if isinstance(event, EpochsDone | Progress | Diverged | Finished):
                ctl.after_training(event)
            elapsed = time.perf_counter() - t0
            if elapsed > 0:
                ctl.samples_per_s = (trainer.steps - steps0) * trainer.batch_size / elapsed
            now = time.perf_counter()
            if now - last >= POST_EVERY:
                self.post_message(TrainingUpdate(ctl.snapshot(), generation))
                last = now
            if worker.is_cancelled:
                break

    def _slow(self, worker, ctl: Controller, generation: int) -> None:
        while not worker.is_cancelled and not ctl.training_over:
            ctl.step()
            self.post_message(TrainingUpdate(ctl.snapshot(), generation))
            end = time.perf_counter() + SLOW_DELAY
            while time.perf_counter() < end and not worker.is_cancelled:
                time.sleep(0.01)

    def on_training_update(self, message: TrainingUpdate) -> None:
        if message.generation != self._generation:
            return  # from a worker already stopped: a newer frame is on screen
        if message.final:
            self.playing = ""
            self._worker = None
        self.show(message.snap)

    async def _own_engine(self, branch: str = "") -> bool:
        """Stop any training so that the interface may step the engine (`branch`: the action
        about to step, for the history's check, screens/scrub.py)."""
        if self.playing:
            await self.stop()
        return True

    def _waits_for_kernels(self) -> bool:
        """Full speed needs the machine code: while it compiles, say so and refuse."""
        pending = getattr(self.app, "kernels_pending", lambda: None)()
        if pending:
            self._refresh(f"full speed once the kernels are compiled ({pending}); n, s step")
        return bool(pending)

    async def action_epoch(self) -> None:
        if self._no_training() or self._waits_for_kernels():
            return
        if not await self._own_engine(branch="epoch"):
            return
        trainer = self.ctl.trainer
        if self.ctl.in_step:
            self.ctl.finish_step()
            if trainer.batch_index == 0:
                self._refresh("epoch done")
                return
        if self.ctl.training_over:
            self._refresh(f"training is over ({trainer.epochs} epochs)")
            return
        self.note = ""
        self._start("epoch")

    async def action_play(self) -> None:
        await self._toggle_play("fast")

    async def action_slow(self) -> None:
        await self._toggle_play("slow")

    async def _toggle_play(self, mode: str) -> None:
        """Start training in `mode` ("fast" or "slow"), or pause it if it runs so already."""
        if self._no_training() or (mode == "fast" and self._waits_for_kernels()):
            return
        if self.playing == mode:
            await self.stop()
            self._refresh("paused")
            return
        if not await self._own_engine(branch=mode):
            return
        self.ctl.finish_step()
        if self.ctl.training_over:
            self._refresh(f"training is over ({self.ctl.trainer.epochs} epochs): r resets")
            return
        self.note = ""
        self._start(mode)
