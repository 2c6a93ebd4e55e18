"""The history's figures: bytes per recorded step, recording overhead, scrub latency.

    .venv/bin/python benchmarks/history.py [--repeats R] [--json] [--skip-tui]

1. Bytes per recorded step (xor, circles, mnist): a row of parameters and optimizer state plus
   the step's numbers, and which steps the default budget keeps for the scenario's whole run.
2. Recording overhead on training throughput: the same run trained with and without a
   Timeline, interleaved R times in this one process (so a busy machine slows both alike);
   the medians' ratio is the overhead (target < 10 %).
3. Scrub latency, key to redrawn screen: the explorer in a headless terminal (120 × 36), the
   time from posting `left` to the screen having handled it and refreshed (Pilot.press, which
   waits until the app is idle again), for a step held in the history and for one at the far
   end of a keyframe's reach (a budget that spaces keyframes out, so up to k − 1 steps are
   re-run); for MNIST, the MNIST view in the app the same way (its keyframes every 100
   steps: a step just past one, and one 99 steps after it), and Controller.view_step alone
   headless. Targets: < 50 ms within a keyframe's reach, < 300 ms for MNIST.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time

SCENARIOS = {"xor": {"epochs": 100_000}, "circles": {"epochs": 5_000}, "mnist": {"epochs": 4}}


def _session(name: str, **overrides):
    from nnviz.scenario import load_scenario
    from nnviz.session import build

    sc = load_scenario(name).with_overrides(**overrides)
    return build(sc, threads=1)


def bytes_per_step() -> dict:
    from nnviz.history import Timeline

    out = {}
    for name in SCENARIOS:
        session = _session(name)
        t = Timeline(session.trainer)
        planned = session.trainer.epochs * session.trainer.batches_per_epoch
        out[name] = {
            "bytes_per_step": t.row_bytes,
            "params": t.n,
            "state_arrays": len(t.state_names),
            "dtype": str(t.dtype),
            "run_steps": planned,
            "kept_every": t.every,
            "every_epoch_end": bool(t.ctl[2]),
            "budget_bytes": t.budget,
        }
    return out


def _train_seconds(name: str, record: bool) -> tuple[float, int]:
    from nnviz.history import Timeline
    from nnviz.train import EpochsDone, Started

    # An earlier run's Timeline and trainer hold each other: only the cycle collector frees
    # its rows, and unmapping them inside a later timed run had doubled xor's "overhead".
    gc.collect()
    session = _session(name, **SCENARIOS[name])
    trainer = session.trainer
    trainer.test_every_epoch = False
    if record:
        trainer.recorder = Timeline(trainer)
    t0 = t1 = time.perf_counter()
    for event in trainer.run():
        if isinstance(event, Started):
            t0 = time.perf_counter()
        elif isinstance(event, EpochsDone):
            t1 = time.perf_counter()
    kept = trainer.recorder.count if record else 0
    return t1 - t0, kept


def overhead(repeats: int) -> dict:
    out = {}
    for name in SCENARIOS:
        plain, recorded = [], []
        kept = 0
        _train_seconds(name, True)  # compile both kinds of call first
        for _ in range(repeats):
            plain.append(_train_seconds(name, False)[0])
            seconds, kept = _train_seconds(name, True)
            recorded.append(seconds)
        a, b = statistics.median(plain), statistics.median(recorded)
        out[name] = {
            "plain_s": round(a, 4),
            "recorded_s": round(b, 4),
            "overhead": round(b / a - 1, 4),
            "rows_kept": kept,
            "runs": repeats,
        }
    return out


async def _tui_latency(name: str, budget: int | None, steps: int, far: int) -> dict:
    """Median ms of `left` presses: near (a row held) and, with keyframes, from a step k − 1
    after its keyframe."""
    from textual import events

    from nnviz.tui import make_app

    session = _session(name, epochs=steps)
    from nnviz.explorer import Controller

    app = make_app(name, animate=False, session=session)
    async with app.run_test(size=(120, 36)) as pilot:
        await asyncio.wait_for(app.ready.wait(), 120)
        await pilot.pause()
        screen = app.screen
        ctl = screen.ctl
        if budget is not None:  # a spaced-out history: keyframes every k steps
            ctl.session.trainer.recorder = None
            ctl = Controller(ctl.session, history_budget=budget)
            screen.ctl = ctl
        for event in ctl.trainer.run():
            ctl.after_training(event)
        await pilot.press("G")
        idle = []  # what Pilot.press itself costs: a key bound to nothing
        for _ in range(10):
            t0 = time.perf_counter()
            await pilot.press("z")
            idle.append((time.perf_counter() - t0) * 1000)
        times, handled = [], []
        every = ctl.timeline.every
        for n in range(far):
            if every > 1:  # jump to just before a keyframe, then step back: k − 1 re-run steps
                target = (ctl.present_step // every - n - 1) * every + every - 1
                ctl.view_step(target + 1)
                screen.show(ctl.snapshot())
                await pilot.pause()
            t0 = time.perf_counter()
            await pilot.press("left")
            times.append((time.perf_counter() - t0) * 1000)
            # the key's own work: posted, handled, every panel's text made (show() done)
            frames = screen.frames
            t0 = time.perf_counter()
            app.post_message(events.Key("right", None))
            while screen.frames == frames:
                await asyncio.sleep(0)
            handled.append((time.perf_counter() - t0) * 1000)
            await pilot.press("left")
        base = statistics.median(idle)
        return {
            "scenario": name,
            "kept_every": every,
            "press_alone_ms": round(base, 2),
            "net_median_ms": round(statistics.median(times) - base, 2),
            "handled_median_ms": round(statistics.median(handled), 2),
            "median_ms": round(statistics.median(times), 2),
            "max_ms": round(max(times), 2),
            "presses": len(times),
        }


def tui_latency() -> list[dict]:
    from nnviz.history import Timeline

    rows = [asyncio.run(_tui_latency("xor", None, 2000, 30))]
    rows.append(asyncio.run(_tui_latency("circles", None, 500, 30)))
    probe = Timeline(_session("circles").trainer)
    rows.append(asyncio.run(_tui_latency("circles", probe.row_bytes * 40, 500, 20)))
    return rows


async def _mnist_tui_latency(presses: int) -> dict:
    """The MNIST view in the app (120 × 36): after 3 epochs trained, `left` from a step just
    past a keyframe (nothing re-run) and from a step just before one (k − 1 steps re-run),
    the time Pilot.press takes (the key handled, every tab's data for that step made and the
    screen refreshed), and beside it what a press of an unbound key takes."""
    from nnviz.tui import make_app
    from nnviz.tui.mnist.view import MnistView

    session = _session("mnist", epochs=4)
    app = make_app("mnist", animate=False, session=session)
    async with app.run_test(size=(120, 36)) as pilot:
        await asyncio.wait_for(app.ready.wait(), 120)
        await pilot.pause()
        view = app.screen.query_one(MnistView)
        ctl = app.controller
        for event in ctl.trainer.run():
            ctl.after_training(event)
        view.refresh_from_engine(epoch=True)
        await pilot.pause()
        idle = []
        for _ in range(5):
            t0 = time.perf_counter()
            await pilot.press("z")
            idle.append((time.perf_counter() - t0) * 1000)
        every = ctl.timeline.every
        kept = sorted(ctl.timeline.steps_kept().tolist())
        near, far, rerun = [], [], []
        pairs = [(a, b) for a, b in zip(kept, kept[1:], strict=False) if b - a > 1]
        for a, b in pairs[:presses]:
            # from a + 1 back to the keyframe a (nothing re-run); from b back to b − 1
            # (b − 1 − a steps re-run from a)
            for start, into in ((a + 1, near), (b, far)):
                view._view(ctl, start)  # the step the key goes back from
                await pilot.pause()
                t0 = time.perf_counter()
                await pilot.press("left")
                into.append((time.perf_counter() - t0) * 1000)
                assert ctl.shown_step == start - 1, (start, ctl.shown_step)
            rerun.append(b - 1 - a)
        base = statistics.median(idle)
        return {
            "scenario": "mnist",
            "kept_every": every,
            "steps": ctl.present_step,
            "press_alone_ms": round(base, 2),
            "near_median_ms": round(statistics.median(near), 1),
            "far_median_ms": round(statistics.median(far), 1),
            "max_ms": round(max(near + far), 1),
            "presses": len(near) + len(far),
            "rerun_max": max(rerun),
        }


def mnist_tui_latency(presses: int = 6) -> dict:
    return asyncio.run(_mnist_tui_latency(presses))


def mnist_view_step(presses: int = 10) -> dict:
    from nnviz.explorer import Controller

    session = _session("mnist", epochs=3)
    ctl = Controller(session)
    for event in ctl.trainer.run():
        ctl.after_training(event)
    every = ctl.timeline.every
    times = []
    kept = set(ctl.timeline.steps_kept().tolist())
    # the farthest from a keyframe: the step before each kept one (k − 1 steps re-run), and
    # the kept ones themselves (nothing re-run)
    targets = [s - 1 for s in sorted(kept) if s > 1][:presses] + sorted(kept)[1:4]
    for target in targets:
        ctl.view_step(ctl.present_step)  # from the present each time: no cache
        t0 = time.perf_counter()
        ctl.view_step(target)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "scenario": "mnist",
        "kept_every": every,
        "steps": ctl.present_step,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "views": len(times),
        "note": "headless Controller.view_step (no redraw)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-tui", action="store_true")
    args = parser.parse_args()
    report = {"bytes": bytes_per_step(), "overhead": overhead(args.repeats)}
    if not args.skip_tui:
        report["scrub_tui"] = tui_latency()
        report["scrub_mnist_tui"] = mnist_tui_latency()
    report["scrub_mnist"] = mnist_view_step()
    if args.json:
        print(json.dumps(report))
        return
    print("bytes per recorded step")
    for name, row in report["bytes"].items():
        print(f"  {name:8} {row['bytes_per_step']:>9,} B  ({row['params']:,} params × "
              f"{1 + row['state_arrays']} arrays, {row['dtype']}); its {row['run_steps']:,} "
              f"steps: every {row['kept_every']} kept"
              + (" and every epoch's end" if row["every_epoch_end"] else ""))  # fmt: skip
    print("recording overhead (median of interleaved runs)")
    for name, row in report["overhead"].items():
        print(f"  {name:8} plain {row['plain_s']:.3f} s  recorded {row['recorded_s']:.3f} s  "
              f"overhead {row['overhead'] * 100:+.1f} %  ({row['rows_kept']:,} rows)")  # fmt: skip
    for row in report.get("scrub_tui", []):
        print(
            f"  scrub {row['scenario']:8} keyframes every {row['kept_every']}: key to redrawn "
            f"screen (Pilot.press) median {row['median_ms']} ms, max {row['max_ms']} ms; "
            f"Pilot.press of an unbound key {row['press_alone_ms']} ms; key to drawn Snapshot "
            f"median {row['handled_median_ms']} ms ({row['presses']} presses)"
        )
    if "scrub_mnist_tui" in report:
        m = report["scrub_mnist_tui"]
        print(
            f"  scrub mnist view keyframes every {m['kept_every']}: key to redrawn screen "
            f"(Pilot.press) median {m['near_median_ms']} ms from just past a keyframe, "
            f"{m['far_median_ms']} ms with up to {m['rerun_max']} steps re-run, max "
            f"{m['max_ms']} ms; Pilot.press of an unbound key {m['press_alone_ms']} ms "
            f"({m['presses']} presses)"
        )
    m = report["scrub_mnist"]
    print(f"  scrub mnist (keyframes every {m['kept_every']}, {m['note']}): median "
          f"{m['median_ms']} ms, max {m['max_ms']} ms")  # fmt: skip


if __name__ == "__main__":
    main()
