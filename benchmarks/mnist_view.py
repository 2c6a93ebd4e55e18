"""Training throughput inside the MNIST view against the headless Trainer, and peak memory.

    .venv/bin/python benchmarks/mnist_view.py [SCENARIO] [--data-dir DIR] [--epochs N]
                        [--repeats R] [--skip-headless] [--terminal] [--out FILE]

Both runs start from the same scenario and seed. The headless figure times Trainer.run() from
its Started event (after compiling) to its last EpochsDone; the view's figure times its worker
the same way while the app draws (headless terminal, 120 × 40, Training tab shown). Runs are
interleaved R times, so a busy machine slows both alike; the best and the median of each are
reported. Peak RSS is the whole process's (both kinds of run: use --skip-headless --repeats 1
for the app alone). --terminal draws in the real terminal instead (run it in tmux, with --out).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time


def headless(scenario, data_dir) -> dict:
    from nnviz.session import build
    from nnviz.train import EpochsDone, Started

    session = build(scenario, data_dir=data_dir, threads=1)
    trainer = session.trainer
    n = trainer.X.shape[0]
    t0 = t_end = time.perf_counter()
    epochs = 0
    for ev in trainer.run():
        if isinstance(ev, Started):
            t0 = time.perf_counter()
        elif isinstance(ev, EpochsDone):
            t_end = time.perf_counter()
            epochs = ev.last_epoch
    seconds = t_end - t0
    return {"samples": epochs * n, "seconds": seconds, "samples_per_s": epochs * n / seconds}


async def in_app(scenario, data_dir, size=(120, 40)) -> dict:
    from nnviz.session import build
    from nnviz.tui import make_app
    from nnviz.tui.mnist import MnistView

    session = build(scenario, data_dir=data_dir, threads=1)
    app = make_app(scenario.name, scenario=scenario, session=session, animate=False)
    async with app.run_test(size=size) as pilot:
        await app.ready.wait()
        await pilot.pause()
        view = app.screen.query_one(MnistView)
        await pilot.press("4")  # the training tab: progress bars and confusion matrix
        await pilot.pause()
        before = view.redraws
        await pilot.press("space")
        while not view.runs:
            await asyncio.sleep(0.05)
        reason, samples, seconds, redraws = view.runs[-1]
        accuracy = view.epoch_data.accuracy
    return {
        "reason": reason,
        "samples": samples,
        "seconds": seconds,
        "samples_per_s": samples / seconds if seconds else 0.0,
        "redraws": redraws - before,
        "redraws_per_s": (redraws - before) / seconds if seconds else 0.0,
        "test_accuracy": accuracy,
    }


def in_terminal(scenario, data_dir, tab: int = 3) -> dict:
    """The same measurement with the app drawing to this terminal (run it under tmux)."""
    from nnviz.session import build
    from nnviz.tui.app import NnvizApp
    from nnviz.tui.mnist import MnistView

    result: dict = {}

    class Measured(NnvizApp):
        def on_mount(self) -> None:
            super().on_mount()
            self._waiting = self.set_interval(0.2, self._when_open)

        def _when_open(self) -> None:
            if self.ready.is_set() and self.screen.query(MnistView):
                self._waiting.stop()
                self.set_timer(1.0, self._go)

        def _go(self) -> None:
            view = self.screen.query_one(MnistView)
            view.action_tab(tab)
            self._before = view.redraws
            view.action_play()
            self.set_interval(0.1, self._check)

        def _check(self) -> None:
            view = self.screen.query_one(MnistView)
            if view.runs:
                reason, samples, seconds, redraws = view.runs[-1]
                result.update(
                    reason=reason,
                    samples=samples,
                    seconds=seconds,
                    samples_per_s=samples / seconds if seconds else 0.0,
                    redraws=redraws - self._before,
                    redraws_per_s=(redraws - self._before) / seconds if seconds else 0.0,
                    test_accuracy=view.epoch_data.accuracy,
                )
                self.exit()

    session = build(scenario, data_dir=data_dir, threads=1)
    Measured(scenario.name, scenario=scenario, session=session, animate=False).run()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks/mnist_view.py")
    parser.add_argument("scenario", nargs="?", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip-headless", action="store_true")
    parser.add_argument(
        "--terminal", action="store_true", help="draw in this terminal instead of headless"
    )
    parser.add_argument("--out", default=None, help="also write the JSON to this file")
    args = parser.parse_args(argv)

    from nnviz.scenario import load_scenario

    scenario = load_scenario(args.scenario).with_overrides(epochs=args.epochs)
    out: dict = {"scenario": args.scenario, "epochs": args.epochs, "data_dir": args.data_dir}
    runs: dict[str, list[dict]] = {"headless": [], "app": []}
    for _ in range(args.repeats):
        if not args.skip_headless:
            runs["headless"].append(headless(scenario, args.data_dir))
        if args.terminal:
            runs["app"].append(in_terminal(scenario, args.data_dir))
        else:
            runs["app"].append(asyncio.run(in_app(scenario, args.data_dir)))
    for kind, results in runs.items():
        if results:
            rates = sorted(r["samples_per_s"] for r in results)
            out[kind] = {
                "best_samples_per_s": rates[-1],
                "median_samples_per_s": rates[len(rates) // 2],
                "runs": results,
            }
    if runs["headless"]:
        for key in ("best", "median"):
            field = f"{key}_samples_per_s"
            out[f"app_vs_headless_{key}"] = out["app"][field] / out["headless"][field]
    out["app_drawn_in"] = "terminal" if args.terminal else "headless (run_test, 120 × 40)"
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
