"""Paced play: the scale of paces, the generator that trains at a pace (on a virtual clock, so
that nothing here is timed), and the keys that change the pace on the explorer and the MNIST
view (Pilot)."""

from __future__ import annotations

import math

import numpy as np
from tui_helpers import aio, press_busy, until, wait_idle, wait_open

from nnviz.scenario import load_scenario
from nnviz.tui import make_app
from nnviz.tui import pace as pacing
from nnviz.tui.widgets.panels import TextPanel


def test_the_scale_runs_one_three_ten_up_to_full_speed_and_back():
    pace, seen = 1.0, [1.0]
    while pace != pacing.FULL:
        pace = pacing.faster(pace)
        seen.append(pace)
    assert seen == [*map(float, pacing.PACES), math.inf]
    assert pacing.faster(pacing.FULL) == pacing.FULL
    back = [pacing.slower(p) for p in seen[1:]]
    assert back == seen[:-1]
    assert pacing.slower(1.0) == 1.0
    assert pacing.faster(50.0) == 100.0 and pacing.slower(50.0) == 30.0  # off the scale
    assert [pacing.label(p) for p in (1, 30, 3000, math.inf)] == [
        "1 step/s", "30 steps/s", "3k steps/s", "full speed"
    ]  # fmt: skip


class Clock:
    """A virtual clock for nnviz.tui.pace: sleeping moves it on, nothing waits."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeTrainer:
    """Steps cost `step_s` of virtual time each."""

    def __init__(self, clock: Clock, epochs: int, step_s: float = 1e-6):
        self.clock, self.epochs, self.step_s = clock, epochs, step_s
        self.steps = self.epoch = 0
        self.diverged = None

    def train_steps(self, k: int) -> list:
        k = min(k, self.epochs - self.epoch)
        self.steps += k
        self.epoch += k  # one step an epoch
        self.clock.now += k * self.step_s
        return [("steps", k)] if k else []


def _frames(monkeypatch, pace_of, epochs, step_s=1e-6, one_step=None):
    clock = Clock()
    monkeypatch.setattr(pacing, "time", clock)
    trainer = FakeTrainer(clock, epochs, step_s)
    out = []
    for events in pacing.play(trainer, pace_of, lambda: False, one_step):
        out.append((clock.now, trainer.steps, events))
    return out, trainer


def test_a_paced_run_trains_the_steps_of_its_pace_once_a_frame(monkeypatch):
    frames, trainer = _frames(monkeypatch, lambda: 30.0, epochs=60)
    assert trainer.steps == 60
    end = frames[-1][0]
    assert 60 / 30 - 0.1 <= end <= 60 / 30 + 0.2  # two virtual seconds at 30 steps/s
    gaps = np.diff([t for t, _, _ in frames])
    assert np.all(gaps <= pacing.FRAME_S * 1.01)  # a frame at least 15 times a second
    per_frame = np.diff([0] + [s for _, s, _ in frames])
    assert per_frame.max() <= 3  # 30 steps/s at 15 frames/s: two a frame, never a burst


def test_slow_paces_take_one_step_a_frame_then_wait(monkeypatch):
    steps = []

    def one_step():
        steps.append(1)
        return trainer_box[0].train_steps(1)

    trainer_box = []
    clock = Clock()
    monkeypatch.setattr(pacing, "time", clock)
    trainer_box.append(FakeTrainer(clock, epochs=6))
    times = [clock.now for _ in pacing.play(trainer_box[0], lambda: 3.0, lambda: False, one_step)]
    assert len(steps) == 6 and trainer_box[0].steps == 6
    assert np.allclose(np.diff(times), 1 / 3, atol=0.02)  # a step every third of a second


def test_the_pace_changes_live_and_full_speed_fills_a_frame_per_call(monkeypatch):
    paces = iter([1.0] * 3 + [100.0] * 40 + [pacing.FULL] * 10**6)
    frames, trainer = _frames(monkeypatch, lambda: next(paces), epochs=10**6, step_s=1e-6)
    assert trainer.steps == 10**6
    sizes = [sum(k for _, k in events) for _, _, events in frames]
    assert sizes[0] == 1  # 1 step/s: one step
    full = sizes[-4:-1]  # full speed, grown to a frame's worth of steps
    assert all(s >= 0.5 * pacing.FULL_FRAME_S / 1e-6 for s in full)


# ---------------------------------------------------------------------- the explorer (Pilot)
SIZE = (120, 36)


def _status(screen) -> str:
    return str(screen.query_one("#status").render())


@aio
async def test_the_pace_keys_change_the_pace_and_what_the_status_line_says():
    long_run = load_scenario("xor").with_overrides(epochs=10**7)  # full speed until paused
    app = make_app("xor", animate=False, scenario=long_run)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        assert screen.pace == load_scenario("xor").view.pace == 100.0
        assert "pace 100 steps/s" in _status(screen)
        await pilot.press("full_stop")
        assert screen.pace == 300.0 and "pace 300 steps/s" in _status(screen)
        await pilot.press("comma", "comma", "comma")
        assert screen.pace == 10.0 and "pace 10 steps/s" in _status(screen)
        await press_busy(pilot, "p")
        assert screen.playing == "slow"  # 10 steps/s and below: each step as `s` takes it
        await until(pilot, lambda: screen.snap.step >= 2)
        assert "▶ 10 steps/s:" in _status(screen) and "fps" in _status(screen)
        await press_busy(pilot, "full_stop")  # live: the worker goes on, faster
        assert screen.pace == 30.0 and screen.playing == "fast"
        await press_busy(pilot, "P")
        assert screen.pace == pacing.FULL and screen.playing == "fast"
        await press_busy(pilot, "P")  # full speed again: pause
        await wait_idle(pilot, screen)
        assert screen.playing == "" and "pace full speed" in _status(screen)


@aio
async def test_a_slow_pace_draws_every_step_with_its_update():
    app = make_app("xor", animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        drawn = []
        show = screen.show
        screen.show = lambda snap: (drawn.append(snap), show(snap))[1]
        screen.pace = 10.0
        await press_busy(pilot, "p")
        await until(pilot, lambda: screen.snap.step >= 4)
        await press_busy(pilot, "p")
        await wait_idle(pilot, screen)
        frames = [s for s in drawn if s.step > 0]
        steps = [s.step for s in frames]
        assert steps[:4] == [1, 2, 3, 4]  # one frame a step, none skipped
        assert all(s.update is not None for s in frames)  # the update is on show


@aio
async def test_full_speed_reaches_the_end_and_pausing_keeps_the_numbers():
    scenario = load_scenario("xor").with_overrides(epochs=3000)
    app = make_app("xor", animate=False, scenario=scenario)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        ctl = screen.ctl
        screen.pace = 300.0
        await press_busy(pilot, "p")
        await until(pilot, lambda: screen.snap.step >= 30)
        await press_busy(pilot, "p")
        await wait_idle(pilot, screen)
        steps = ctl.trainer.steps
        assert 30 <= steps < 3000 and screen.snap.step == steps
        assert np.array_equal(screen.snap.params, ctl.program.values[: ctl.program.n_param])
        assert f"step {steps} " in _status(screen) and "paused" in _status(screen)
        await pilot.pause(0.2)
        assert ctl.trainer.steps == steps  # paused means paused
        await press_busy(pilot, "P")
        await wait_idle(pilot, screen)
        assert ctl.trainer.steps == 3000 and ctl.finished
        assert screen.snap.epoch == 3000 and ctl.history_log.last[0] == 3000
        assert "epoch 3000/3000" in _status(screen)
        assert "epoch 3000/3000" in screen.query_one("#training", TextPanel).plain


@aio
async def test_a_burst_of_epoch_keys_never_leaves_the_screen_stuck_training():
    # each `e` stops the epoch the one before started, often before its thread has begun
    scenario = load_scenario("xor").with_overrides(epochs=3000)
    app = make_app("xor", animate=False, scenario=scenario)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_open(pilot)
        await press_busy(pilot, *"eeeeeeee", settle=0)
        await wait_idle(pilot, screen, timeout=20)
        assert "▶ epoch" not in _status(screen)
        before = screen.ctl.trainer.epoch
        await pilot.press("e")
        await wait_idle(pilot, screen, timeout=20)
        assert screen.ctl.trainer.epoch == before + 1  # and the key still works
