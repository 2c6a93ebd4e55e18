"""Training you can watch: the explorer's training worker and the keys that start, pace and
pause it.

Play runs at a pace on a log scale (nnviz.tui.pace: 1, 3, 10, 30 … steps/s, then full speed),
the scenario's `[view] pace` to begin with; `.` and `,` change it live, `P` goes to full speed.
At 10 steps/s and below each step is taken as by `s` (its update and chain rule on show);
faster, the steps owed are trained in one call of the trainer once a frame. Either way a frame
goes out about FRAME_S apart, so that everything that changes is redrawn over 10 times a second.

Training runs in a thread worker that posts TrainingUpdate messages carrying Snapshots (copies);
the screen draws only from those while a worker owns the engine. Stepping by hand waits until
the worker has let go of it (`_own_engine`).
"""

from __future__ import annotations

import asyncio
import threading
import time

from textual import work
from textual.widgets import Static
from textual.worker import get_current_worker

from nnviz.explorer import Controller
from nnviz.tui import pace as pacing
from nnviz.tui.crashlog import failure_message
from nnviz.tui.gate import StartGate
from nnviz.tui.messages import TrainingUpdate


class PlayMixin:
    """The ExplorerScreen's training. `playing` is "" (idle), "fast" (trained in calls of many
    steps), "slow" (a step at a time, each shown) or "epoch"; `pace` is steps/s (pace.FULL:
    full speed)."""

    def init_play(self) -> None:
        """Play's state (called from the screen's __init__)."""
        view = getattr(self.ctl.scenario, "view", None)
        self.pace: float = float(getattr(view, "pace", pacing.FULL))
        self.frame_meter = pacing.FrameMeter()
        self.step_meter = pacing.RateMeter()
        # (pace, steps, samples, seconds) of each run of the worker, timed from its first
        # step to its last (a benchmark reads them)
        self.runs: list[tuple[float, int, int, float]] = []
        # The worker's latest frame waits here; one message at a time tells the screen. A
        # frame the screen had no time for is replaced, never queued: keys stay quick.
        self._frame_lock = threading.Lock()
        self._latest: TrainingUpdate | None = None
        self._frame_posted = False
        # A worker cancelled before its thread ran never sets _idle (nnviz.tui.gate)
        self._gate = StartGate()
        self._started = -1  # the generation of the latest run

    # ------------------------------------------------------------ the status line's segment
    def play_status(self) -> tuple[str, str]:
        """(text, style) of the status line's play segment: the pace and, while playing, the
        measured steps/s and frames/s."""
        if self.playing == "epoch":
            return "▶ epoch", "bold green"
        shown = pacing.label(self.pace)
        if not self.playing:
            return f"pace {shown}", "dim"
        steps = pacing.rate_text(self.step_meter.rate())
        frames = pacing.rate_text(self.frame_meter.rate())
        return f"▶ {shown}: {steps} steps/s, {frames} fps", "bold green"

    def _mode(self) -> str:
        return "slow" if self.pace <= pacing.STEP_BY_STEP else "fast"

    # ------------------------------------------------------------ the worker
    async def stop(self) -> None:
        """Stop a training worker and wait until it has let go of the engine."""
        worker = self._worker
        if worker is None:
            self.playing = ""
            return
        self._generation += 1
        worker.cancel()
        if self._gate.drop(self._started):
            self._idle.set()  # it never began and now never will
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
        self.frame_meter.reset()
        self.step_meter.reset()
        self._started = self._generation
        self._worker = self._train(mode, self._generation)
        self.query_one("#status", Static).update(self.status_text(), layout=False)

    @work(thread=True, exclusive=True, group="train")
    def _train(self, mode: str, generation: int) -> None:
        if not self._gate.begin(generation):
            return  # stop() dropped this run before it began
        worker = get_current_worker()
        pacing.yield_to_interface()
        ctl = self.ctl
        trainer = ctl.trainer
        steps0, t0 = trainer.steps, time.perf_counter()
        pace_now = self.pace
        seconds = 0.0
        try:
            if mode == "epoch":
                for event in trainer.epoch_events():
                    self._after(ctl, [event], generation)
                    if worker.is_cancelled:
                        break
            else:
                self._play(worker, ctl, generation)
            seconds = time.perf_counter() - t0
            if trainer.epoch >= trainer.epochs and ctl.diverged is None and not ctl.finished:
                ctl.after_training(trainer.finish())
        except Exception as exc:  # noqa: BLE001 (an input error says what; a bug is logged)
            ctl.message = failure_message(exc)
        finally:
            seconds = seconds or time.perf_counter() - t0
            steps = trainer.steps - steps0
            self.runs.append((pace_now, steps, steps * trainer.batch_size, seconds))
            snap = ctl.snapshot()
            self._idle.set()
            self.post_message(TrainingUpdate(snap, generation, final=True))

    def _play(self, worker, ctl: Controller, generation: int) -> None:
        trainer = ctl.trainer
        steps0, t0 = trainer.steps, time.perf_counter()

        def one_step() -> list:
            # every step is shown: the screen takes the last one before the next is taken
            while self._frame_posted and not worker.is_cancelled:
                time.sleep(0.005)
            ctl.step()  # as `s` does: the update and the chain rule are on show
            return []

        frames = pacing.play(
            trainer,
            lambda: self.pace,
            lambda: worker.is_cancelled or ctl.training_over,
            one_step,
        )
        for events in frames:
            elapsed = time.perf_counter() - t0
            if elapsed > 0:
                ctl.samples_per_s = (trainer.steps - steps0) * trainer.batch_size / elapsed
            self._after(ctl, events, generation)

    def _after(self, ctl: Controller, events: list, generation: int) -> None:
        """Book the events of a frame's steps and post the frame."""
        for event in events:
            ctl.after_training(event)
        frame = TrainingUpdate(ctl.snapshot(), generation)
        with self._frame_lock:
            self._latest = frame
            if self._frame_posted:
                return  # the screen has not drawn the last one yet: it will take this
            self._frame_posted = True
        self.post_message(frame)

    def on_training_update(self, message: TrainingUpdate) -> None:
        if not message.final:
            with self._frame_lock:
                message = self._latest or message
                self._frame_posted = False
        if message.generation != self._generation:
            return  # from a worker already stopped: a newer frame is on screen
        if message.final:
            self.playing = ""
            self._worker = None
        else:
            self.frame_meter.tick()
            self.step_meter.add(message.snap.step, message.snap.stamp)
        self.show(message.snap)

    async def _own_engine(self, branch: str = "") -> bool:
        """Stop any training so that the interface may step the engine (`branch`: the action
        about to step, for the history's check, screens/scrub.py)."""
        if self.playing:
            await self.stop()
        return True

    def _waits_for_kernels(self) -> bool:
        """Training in chunks needs the machine code: while it compiles, say so and refuse
        (a pace of STEP_BY_STEP or less steps as `s` does, and works meanwhile)."""
        pending = getattr(self.app, "kernels_pending", lambda: None)()
        if pending:
            self._refresh(f"full speed once the kernels are compiled ({pending}); n, s step")
        return bool(pending)

    # ------------------------------------------------------------ keys
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
        """Play at the pace, or pause."""
        if self.playing in ("fast", "slow"):
            await self._pause()
            return
        await self._play_at(self.pace)

    async def action_full_speed(self) -> None:
        """Play at full speed (from a pause, or from a slower pace, live)."""
        if self.playing in ("fast", "slow") and self.pace == pacing.FULL:
            await self._pause()
            return
        await self._play_at(pacing.FULL)

    async def action_slow(self) -> None:
        """Play at the slowest pace, one step a second, each shown; again to pause."""
        slowest = float(pacing.PACES[0])
        if self.playing in ("fast", "slow") and self.pace == slowest:
            await self._pause()
            return
        await self._play_at(slowest)

    def action_faster(self) -> None:
        pace = pacing.faster(self.pace)
        chunked = self.playing == "slow" and pace > pacing.STEP_BY_STEP
        if chunked and self._waits_for_kernels():
            return
        self._set_pace(pace)

    def action_slower(self) -> None:
        self._set_pace(pacing.slower(self.pace))

    def _set_pace(self, pace: float) -> None:
        # a running worker reads the pace before every frame
        self.pace = pace
        if self.playing in ("fast", "slow"):
            self.playing = self._mode()
            self.step_meter.reset()
        self.note = f"pace {pacing.label(pace)}"
        self.query_one("#status", Static).update(self.status_text(), layout=False)

    async def _pause(self) -> None:
        await self.stop()
        self._refresh(f"paused (pace {pacing.label(self.pace)})")

    async def _play_at(self, pace: float) -> None:
        if self._no_training():
            return
        if pace > pacing.STEP_BY_STEP and self._waits_for_kernels():
            return
        if self.playing:  # another mode (an epoch, or the pace changes): the worker goes on
            if self.playing != "epoch":
                self._set_pace(pace)
                return
            await self.stop()
        self.pace = pace
        if not await self._own_engine(branch="play"):
            return
        self.ctl.finish_step()
        if self.ctl.training_over:
            self._refresh(f"training is over ({self.ctl.trainer.epochs} epochs): r resets")
            return
        self.note = ""
        self._start(self._mode())
