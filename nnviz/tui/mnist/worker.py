"""The MNIST view's one training worker: the Trainer in a thread at the view's pace
(nnviz.tui.pace.play: a log scale of steps/s up to full speed), posting copies.

Live snapshots go out several times a second, an evaluation of the test set (and the PCA plane
when it is shown) at most once per epoch, beside the training where a core is to spare
(live.EpochEvaluator; after the last epoch in line); TrainingStopped says why it ended. An
input error stops training with its one-line message; an unexpected exception with a short
message, its traceback logged to a file (nnviz.tui.crashlog).
"""

from __future__ import annotations

import time

from nnviz.engine.blas import blas_threads, spare_one_core
from nnviz.train import Diverged, EpochsDone
from nnviz.tui import pace as pacing
from nnviz.tui.crashlog import failure_message
from nnviz.tui.messages import EpochUpdate, LiveUpdate, TrainingStarted, TrainingStopped
from nnviz.tui.mnist import live as lv


def samples_seen(trainer) -> int:
    """Training samples consumed since the start: whole epochs plus the batches of this one."""
    n = trainer.X.shape[0]
    return trainer.epoch * n + min(trainer.batch_index * trainer.batch_size, n)


def train(view, worker, target_epoch: int | None) -> None:
    """Train (to the end of `target_epoch`, or at `view.pace` until stopped) and post to
    `view`. While this runs it alone touches the engine; `view.busy` is cleared when it lets
    go."""
    pacing.yield_to_interface()
    session = view.session
    trainer = session.trainer
    reason, text = "paused", ""
    last_live = last_eval = 0.0
    t0 = time.perf_counter()
    seen0 = samples_seen(trainer)
    t_end, seen_end = t0, seen0
    rows: list[dict] = []  # epochs not yet posted
    evaluator = lv.EpochEvaluator(session)  # the test set's predictions, beside the training

    def stopped() -> bool:
        return worker.is_cancelled or view.stop_requested

    try:
        with blas_threads(spare_one_core()):
            compile_s = trainer.warm_up()
            view.post_message(TrainingStarted(compile_s, trainer.epochs, trainer.batches_per_epoch))
            t0 = t_end = time.perf_counter()  # after compiling / warming up
            if target_epoch is not None:
                frames = ([event] for event in trainer.train_until(target_epoch))
            else:
                frame_s = min(view.redraw_s, pacing.FRAME_S)
                frames = pacing.play(trainer, lambda: view.pace, stopped, frame_s=frame_s)
            for events in frames:
                now = time.perf_counter()
                ended = False
                for ev in events:
                    if isinstance(ev, EpochsDone):
                        rows.extend(ev.rows())
                        ended = True
                    elif isinstance(ev, Diverged):
                        reason, text = "diverged", ev.message
                if events:
                    t_end, seen_end = now, samples_seen(trainer)
                reached = target_epoch is not None and trainer.epoch >= target_epoch
                final = reached or pacing.over(trainer)
                data = evaluator.ready()  # one begun a frame or more ago, beside
                if ended and (final or now - last_eval >= view.epoch_eval_s):
                    grid = view.region_grid if view.regions_shown else None
                    if final:  # after the last epoch: in line, an older one dropped
                        evaluator.ready(wait=True)
                        last_eval = now
                        data = lv.evaluate_epoch(
                            session, view.plane, view.extent, grid, keep_values=False
                        )
                    elif not evaluator.busy:
                        last_eval = now
                        data = evaluator.start(view.plane, view.extent, grid) or data
                # Epochs of a small set end many times a second: one message per redraw.
                # Paced, every frame is drawn (a little early counts: frames jitter); at full
                # speed at most one every redraw_s, so that drawing leaves the core to training.
                paced = view.pace != pacing.FULL
                live_s = min(view.redraw_s, 0.8 * pacing.FRAME_S) if paced else view.redraw_s
                if data is not None or now - last_live >= live_s:
                    last_live = now
                    rate = (seen_end - seen0) / (t_end - t0) if t_end > t0 else 0.0
                    snap = lv.take_live(session, view.sample_request, keep_values=False)
                    if rows or data is not None:
                        view.post_message(EpochUpdate(rows, data, snap, rate))
                        rows = []
                    else:
                        view.post_message(LiveUpdate(snap, rate))
                if reached:
                    reason = "epoch"
                    break
                if stopped():
                    break
            late = evaluator.ready(wait=True)  # begun beside before the run stopped
            if late is not None:
                rate = (seen_end - seen0) / (t_end - t0) if t_end > t0 else 0.0
                snap = lv.take_live(session, view.sample_request, keep_values=False)
                view.post_message(EpochUpdate(rows, late, snap, rate))
                rows = []
            if trainer.epoch >= trainer.epochs and trainer.diverged is None:
                ev = trainer.finish()
                reason = "finished"
                if ev.test_accuracy is not None:
                    text = (
                        f"finished: train accuracy {ev.train_accuracy:.2%}, "
                        f"test accuracy {ev.test_accuracy:.2%}"
                    )
    except Exception as exc:  # noqa: BLE001 (an input error says what; a bug is logged)
        reason, text = "error", failure_message(exc)
    finally:
        view.busy.clear()
        view.post_message(TrainingStopped(reason, text, seen_end - seen0, t_end - t0, rows))
