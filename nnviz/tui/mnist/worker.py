"""The MNIST view's one training worker: Trainer.run() in a thread, posting copies.

Live snapshots go out several times a second, an evaluation of the test set (and the PCA plane
when it is shown) at most once per epoch; TrainingStopped says why it ended. An input error
stops training with its one-line message; an unexpected exception with a short message, its
traceback logged to a file (nnviz.tui.crashlog).
"""

from __future__ import annotations

import time

from nnviz.engine.blas import blas_threads, spare_one_core
from nnviz.train import Diverged, EpochsDone, Finished, Progress, Started
from nnviz.tui.crashlog import failure_message
from nnviz.tui.messages import EpochUpdate, LiveUpdate, TrainingStarted, TrainingStopped
from nnviz.tui.mnist import live as lv


def samples_seen(trainer) -> int:
    """Training samples consumed since the start: whole epochs plus the batches of this one."""
    n = trainer.X.shape[0]
    return trainer.epoch * n + min(trainer.batch_index * trainer.batch_size, n)


def train(view, worker, target_epoch: int | None) -> None:
    """Train (to the end of `target_epoch`, or until stopped) and post to `view`. While this
    runs it alone touches the engine; `view.busy` is cleared when it lets go."""
    session = view.session
    trainer = session.trainer
    events = trainer.run()
    reason, text = "paused", ""
    last_live = last_eval = 0.0
    t0 = time.perf_counter()
    seen0 = samples_seen(trainer)
    t_end, seen_end = t0, seen0
    rows: list[dict] = []  # epochs not yet posted
    try:
        with blas_threads(spare_one_core()):
            for ev in events:
                now = time.perf_counter()
                if isinstance(ev, Started):
                    t0, t_end = now, now  # after compiling / warming up
                    view.post_message(
                        TrainingStarted(ev.compile_s, ev.epochs, ev.batches_per_epoch)
                    )
                elif isinstance(ev, Progress):
                    t_end, seen_end = now, samples_seen(trainer)
                    if now - last_live >= view.redraw_s:
                        last_live = now
                        rate = (seen_end - seen0) / (now - t0) if now > t0 else 0.0
                        snap = lv.take_live(session, view.sample_request, keep_values=False)
                        view.post_message(LiveUpdate(snap, rate))
                elif isinstance(ev, EpochsDone):
                    rows.extend(ev.rows())
                    last_one = ev.last_epoch >= (target_epoch or trainer.epochs)
                    data = None
                    if last_one or now - last_eval >= view.epoch_eval_s:
                        last_eval = now
                        grid = view.region_grid if view.regions_shown else None
                        data = lv.evaluate_epoch(
                            session, view.plane, view.extent, grid, keep_values=False
                        )
                    t_end, seen_end = time.perf_counter(), samples_seen(trainer)
                    # Epochs of a small set end many times a second: one message per redraw.
                    if data is not None or t_end - last_live >= view.redraw_s:
                        snap = lv.take_live(session, view.sample_request, keep_values=False)
                        rate = (seen_end - seen0) / (t_end - t0) if t_end > t0 else 0.0
                        view.post_message(EpochUpdate(rows, data, snap, rate))
                        rows = []
                        last_live = t_end
                    if target_epoch is not None and ev.last_epoch >= target_epoch:
                        reason = "epoch"
                        break
                elif isinstance(ev, Diverged):
                    reason, text = "diverged", ev.message
                elif isinstance(ev, Finished):
                    reason = "finished"
                    if ev.test_accuracy is not None:
                        text = (
                            f"finished: train accuracy {ev.train_accuracy:.2%}, "
                            f"test accuracy {ev.test_accuracy:.2%}"
                        )
                if worker.is_cancelled or view.stop_requested:
                    break
    except Exception as exc:  # noqa: BLE001 (an input error says what; a bug is logged)
        reason, text = "error", failure_message(exc)
    finally:
        events.close()
        view.busy.clear()
        view.post_message(TrainingStopped(reason, text, seen_end - seen0, t_end - t0, rows))
