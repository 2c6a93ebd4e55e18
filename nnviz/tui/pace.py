"""The pace of play: a log scale of steps per second up to full speed, and rate meters.

Plain Python (no textual): the explorer's and the MNIST view's workers read a pace, the keys
move it along PACES, and the status lines show it beside the measured steps/s and frames/s.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

FULL = math.inf  # full speed: as fast as the trainer goes, a frame every FRAME_S
# steps per second, 1-3-10 on a log scale; one step past the last is full speed
PACES: tuple[float, ...] = (1, 3, 10, 30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000)
FRAME_S = 1 / 15  # seconds between frames while playing (15 a second: at least 10 under load)
# at full speed every frame the interface draws is time the trainer does not get when the
# cores are busy: 12 a second
FULL_FRAME_S = 1 / 12


def faster(pace: float) -> float:
    """The next pace of the scale above `pace` (full speed above the last)."""
    for p in PACES:
        if p > pace * 1.0001:
            return float(p)
    return FULL


def slower(pace: float) -> float:
    """The next pace of the scale below `pace` (the slowest stays)."""
    if pace == FULL:
        return float(PACES[-1])
    for p in reversed(PACES):
        if p < pace / 1.0001:
            return float(p)
    return float(PACES[0])


def label(pace: float) -> str:
    """'30 steps/s', '0.5 steps/s', 'full speed'."""
    if pace == FULL:
        return "full speed"
    if pace >= 1000:
        return f"{pace / 1000:g}k steps/s"
    return f"{pace:g} step/s" if pace == 1 else f"{pace:g} steps/s"


def rate_text(rate: float) -> str:
    """A measured rate with three significant digits at most: 29.8, 1.2k, 534k."""
    if rate >= 1e6:
        return f"{rate / 1e6:.3g}M"
    if rate >= 1e4:
        return f"{rate / 1e3:.3g}k"
    return f"{rate:.3g}"


class RateMeter:
    """Events per second over the last `window` seconds (steps taken, frames drawn)."""

    def __init__(self, window: float = 1.0):
        self.window = window
        self._marks: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        self._marks.clear()

    def add(self, count: float, now: float | None = None) -> None:
        """`count`: a running total (steps so far, frames so far) at time `now`."""
        now = time.perf_counter() if now is None else now
        self._marks.append((now, float(count)))
        while len(self._marks) > 2 and now - self._marks[1][0] >= self.window:
            self._marks.popleft()

    def rate(self) -> float:
        if len(self._marks) < 2:
            return 0.0
        (t0, c0), (t1, c1) = self._marks[0], self._marks[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0


class FrameMeter(RateMeter):
    """Frames per second: each `tick` is one frame."""

    def __init__(self, window: float = 1.0):
        super().__init__(window)
        self.count = 0

    def tick(self, now: float | None = None) -> None:
        self.count += 1
        self.add(self.count, now)


# ---------------------------------------------------------------- playing at a pace
STEP_BY_STEP = 10.0  # at this pace and below, one step per frame (a front end may show each)


def over(trainer) -> bool:
    return trainer.epoch >= trainer.epochs or trainer.diverged is not None


def play(
    trainer,
    pace_of: Callable[[], float],
    stopped: Callable[[], bool],
    one_step: Callable[[], list] | None = None,
    frame_s: float = FRAME_S,
    full_frame_s: float = FULL_FRAME_S,
) -> Iterator[list]:
    """Train at the pace `pace_of()` says (read again before every frame, so that it changes
    live) and yield, once a frame, the events of the steps trained since the last one.

    At STEP_BY_STEP steps/s and below: one step (`one_step()`, else one trainer step) per
    frame, then a wait until the next is due. Faster: once a frame, the steps owed at that pace
    in one call of the trainer (a trainer that cannot keep up is not made to catch up later).
    Full speed: calls of about `full_frame_s` each, a frame after each, one after the other.
    Stops when `stopped()` or when training is over; between frames it sleeps, so the
    interface has the interpreter.
    """
    if one_step is None:
        one_step = lambda: trainer.train_steps(1)  # noqa: E731
    pace = None
    budget = 1  # full speed: steps per call, grown until a call lasts about a frame
    t_ref, s_ref = 0.0, 0  # when the pace was set, and the steps taken by then
    while not stopped() and not over(trainer):
        now = time.perf_counter()
        if pace_of() != pace:
            pace = pace_of()
            t_ref, s_ref = now, trainer.steps
        if pace == FULL:
            before = trainer.steps
            events = trainer.train_steps(budget)
            took = time.perf_counter() - now
            done = trainer.steps - before
            if done and took > 0:
                target = max(frame_s, full_frame_s)
                budget = int(min(max(done * target / took, 1), budget * 8 + 8))
            yield events
            continue
        if pace <= STEP_BY_STEP:
            yield one_step()
            due = t_ref + (trainer.steps - s_ref) / pace
        else:
            owed = int(pace * (now - t_ref)) - (trainer.steps - s_ref)
            if owed > pace * frame_s * 4:  # behind by several frames: start the count again
                t_ref, s_ref = now - frame_s, trainer.steps
                owed = max(int(pace * frame_s), 1)
            yield trainer.train_steps(owed) if owed > 0 else []
            due = now + frame_s
        _sleep_until(due, lambda p=pace: stopped() or pace_of() != p)


def _sleep_until(when: float, wake: Callable[[], bool], slice_s: float = 0.01) -> None:
    """Sleep until `when`, in slices, waking early when `wake()` says so."""
    while not wake():
        left = when - time.perf_counter()
        if left <= 0:
            return
        time.sleep(min(left, slice_s))


WORKER_NICE = 5  # how much lower a training thread's priority is than the interface's


def yield_to_interface() -> None:
    """Lower the calling thread's priority (Linux: each thread has its own nice value): when
    the cores are busy, the interface's keys and frames go first and training takes the rest.
    Elsewhere, or when not allowed, nothing changes."""
    with contextlib.suppress(AttributeError, OSError):
        me = threading.get_native_id()
        now = os.getpriority(os.PRIO_PROCESS, me)
        os.setpriority(os.PRIO_PROCESS, me, min(now + WORKER_NICE, 19))
