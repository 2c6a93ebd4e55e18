"""Play in a real terminal: key → redraw latency, frames/s, and training throughput inside the
app at full speed beside headless `nnviz train --bench`, in one run.

    .venv/bin/python benchmarks/play.py [SCENARIO ...] [--sizes 120x36,80x24] [--repeats N]
                        [--paced-s S] [--history-mib MIB] [--json-out FILE]

For each scenario (default xor, circles, mnist) and terminal size, tmux (a private socket) runs
the app (this file's `child` command: `nnviz run SCENARIO` with a few probes added) and the
child drives it through tmux itself, so that every key takes the terminal's path:

1. paced play (`p`, at the scenario's [view] pace; the MNIST view at 100 steps/s) for
   --paced-s seconds, while a key that changes the screen (j/k: the node selected; ]/[ in the
   MNIST view: the digit) is sent every 0.2–0.35 s;
2. pause, then full speed (`P`) for a fixed number of epochs, with the same keys.

Key → redraw is the time from the key event's creation (the input thread's parse of what tmux
wrote) to the end of the first write of the screen to the terminal after the key's action has
run. Frames/s: frames the worker posted and the screen drew (TrainingUpdate / live updates),
and screen writes to the terminal, a second. Throughput: training samples a second of the
app's worker at full speed (from its first step to its last, drawing all along) against
`nnviz train SCENARIO --bench --json --epochs E --threads 1` (the app trains on one thread and
keeps the other core for drawing) run just before and after it; the ratio uses the median of
the headless runs. `--bench` skips the test set's evaluation at every epoch's end, which the
app does (it draws the test curve): beside it, the same work headless in this process (a
Trainer as the app builds it, one OpenBLAS thread). Prints a table, and the JSON with
--json-out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NNVIZ = REPO / ".venv" / "bin" / "nnviz"
PYTHON = REPO / ".venv" / "bin" / "python"
SOCKET = "pace11bench"
# epochs trained at full speed: a couple of seconds headless on the reference machine
EPOCHS = {"xor": 2_000_000, "circles": 80_000, "mnist": 30}
KEYS = {"explorer": ("j", "k"), "mnist": ("]", "[")}  # as tmux send-keys takes them
MNIST_PACE = 100.0


# ====================================================================== the child (in tmux)
def child(args) -> None:
    from textual import events

    from nnviz.scenario import load_scenario
    from nnviz.tui import app as tui_app
    from nnviz.tui.app import NnvizApp

    pane = os.environ.get("TMUX_PANE", "")
    result: dict = {"terminal": "{}x{}".format(*os.get_terminal_size())}

    def send(*keys: str) -> None:
        subprocess.run(["tmux", "-L", args.socket, "send-keys", "-t", pane, *keys], check=False)

    class Probed(NnvizApp):
        """The app, with the times of keys and of screen writes kept."""

        CSS_PATH = str(Path(tui_app.__file__).with_name("app.tcss"))  # not beside this file

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.key_times: list[float] = []  # keys arrived, their actions not yet run
            self.acted: list[float] = []  # actions run, not yet on screen
            self.latencies: list[float] = []
            self.writes = 0
            self.seen: set[float] = set()

        async def on_event(self, event) -> None:
            # a key reaches the app from the driver, and again when it bubbles up: once
            key = isinstance(event, events.Key) and event.key in self.probe_keys
            if key and event.time not in self.seen:
                self.seen.add(event.time)
                self.key_times.append(event.time)
            await super().on_event(event)

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is None:
                return
            self.writes += 1
            now = time.monotonic()
            self.latencies += [now - t for t in self.acted]
            self.acted.clear()

        def acted_on_key(self) -> None:
            if self.key_times:
                self.acted.append(self.key_times.pop(0))

    scenario = load_scenario(args.scenario)
    budget = None if args.history_mib == 0 else int(args.history_mib * (1 << 20))
    app = Probed(args.scenario, scenario=scenario, animate=False, history_budget=budget)
    app.probe_keys = set()

    def target():
        """(the screen or view that plays, its kind)."""
        from nnviz.tui.mnist import MnistView
        from nnviz.tui.screens.explorer import ExplorerScreen

        if isinstance(app.screen, ExplorerScreen):
            return app.screen, "explorer"
        found = app.screen.query(MnistView)
        return (found.first(), "mnist") if found else (None, "")

    def probe_action(obj, name: str) -> None:
        original = getattr(obj, name)

        def wrapped(*a, **kw):
            out = original(*a, **kw)
            app.acted_on_key()
            return out

        setattr(obj, name, wrapped)

    def frames(obj, kind) -> int:
        return obj.frame_meter.count

    def playing(obj, kind) -> bool:
        return bool(obj.playing) if kind == "explorer" else obj.busy.is_set()

    def runs(obj, kind) -> list:
        return obj.runs

    def phase(obj, kind, label: str, start_keys, seconds: float | None) -> dict:
        """Play (start_keys) while sending probe keys; stop after `seconds`, or when the run
        ends by itself (seconds None)."""
        app.latencies.clear()
        n_runs = len(runs(obj, kind))
        f0, w0, t0 = frames(obj, kind), app.writes, time.monotonic()
        cpu0 = time.clock_gettime(ui_clock)
        process0 = time.process_time()
        steps0 = obj.ctl.trainer.steps if kind == "explorer" else obj.session.trainer.steps
        send(*start_keys)
        keys = KEYS[kind]
        n = 0
        while True:
            time.sleep(random.uniform(0.2, 0.35))
            elapsed = time.monotonic() - t0
            if seconds is not None and elapsed >= seconds:
                break
            if seconds is None and len(runs(obj, kind)) > n_runs:
                break
            if elapsed > 120:
                result.setdefault("notes", []).append(f"{label}: gave up after 120 s")
                break
            send(keys[n % 2])
            n += 1
        t1 = time.monotonic()
        cpu1 = time.clock_gettime(ui_clock)
        process1 = time.process_time()
        f1, w1 = frames(obj, kind), app.writes
        if seconds is not None:
            send("p")  # pause
            end = time.monotonic() + 10
            while playing(obj, kind) and time.monotonic() < end:
                time.sleep(0.05)
        time.sleep(0.5)
        lat = sorted(app.latencies)
        trainer = obj.ctl.trainer if kind == "explorer" else obj.session.trainer
        out = {
            "seconds": t1 - t0,
            "keys": n,
            "redraws_measured": len(lat),
            "key_to_redraw_ms_median": 1000 * statistics.median(lat) if lat else None,
            "key_to_redraw_ms_p90": 1000 * lat[int(0.9 * (len(lat) - 1))] if lat else None,
            "frames_per_s": (f1 - f0) / (t1 - t0),
            "screen_writes_per_s": (w1 - w0) / (t1 - t0),
            "steps_per_s": (trainer.steps - steps0) / (t1 - t0),
            # the interface thread's CPU time (not the wait for a core on a busy machine)
            "ui_cpu_share": (cpu1 - cpu0) / (t1 - t0),
            "ui_cpu_ms_per_write": 1000 * (cpu1 - cpu0) / max(w1 - w0, 1),
            "load_average": os.getloadavg()[0],
        }
        if len(runs(obj, kind)) > n_runs:
            run = runs(obj, kind)[-1]
            samples, secs = (run[2], run[3]) if kind == "explorer" else (run[1], run[2])
            out["train_samples"] = samples
            out["train_seconds"] = secs
            out["train_samples_per_s"] = samples / secs if secs else 0.0
            # the process's CPU time less the interface thread's: the trainer's, the history's
            # page thread's (nnviz.prefault) and the input thread's (idle but for the keys)
            train_cpu = (process1 - process0) - (cpu1 - cpu0)
            out["train_samples_per_cpu_s"] = samples / train_cpu if train_cpu > 0 else 0.0
        return out

    def drive() -> None:
        try:
            end = time.monotonic() + 120
            obj, kind = None, ""
            while time.monotonic() < end:
                if app.ready.is_set():
                    obj, kind = target()
                    if obj is not None:
                        break
                time.sleep(0.1)
            if obj is None:
                result["error"] = "the app did not open"
                return
            time.sleep(1.0)
            if kind == "explorer":
                probe_action(obj, "action_select")
            else:
                probe_action(obj, "action_sample")
                obj.pace = MNIST_PACE
            app.probe_keys = {"j", "k", "right_square_bracket", "left_square_bracket"}
            result["kind"] = kind
            result["pace"] = obj.pace
            result["paced"] = phase(obj, kind, "paced", ["p"], args.paced_s)
            trainer = obj.ctl.trainer if kind == "explorer" else obj.session.trainer
            trainer.epochs = trainer.epoch + args.epochs
            result["full_speed"] = phase(obj, kind, "full speed", ["P"], None)
        except Exception as exc:  # noqa: BLE001 (reported in the JSON)
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            Path(args.out).write_text(json.dumps(result), encoding="utf-8")
            app.call_from_thread(app.exit)

    ui_clock = time.pthread_getcpuclockid(threading.main_thread().ident)
    threading.Thread(target=drive, daemon=True).start()
    if args.profile:  # the interface thread's time, for finding what costs a frame
        import cProfile

        cProfile.runctx("app.run()", globals(), {"app": app}, args.profile)
    else:
        app.run()


# ====================================================================== the parent
def headless(scenario: str, epochs: int) -> float:
    out = subprocess.run(
        [str(NNVIZ), "train", scenario, "--bench", "--json", "--quiet", "--seed", "0",
         "--epochs", str(epochs), "--threads", "1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    last = json.loads(out.stdout.strip().splitlines()[-1])
    return float(last["samples_per_s"])


def headless_per_cpu_s(scenario: str, epochs: int) -> float:
    """Training samples per CPU second of the trainer's thread, headless, in this process."""
    from nnviz.scenario import load_scenario
    from nnviz.session import build

    trainer = build(load_scenario(scenario).with_overrides(epochs=epochs), threads=1).trainer
    trainer.test_every_epoch = False  # as --bench
    trainer.warm_up()
    cpu0, steps0 = time.thread_time(), trainer.steps
    for _ in trainer.train_until(epochs):
        pass
    return (trainer.steps - steps0) * trainer.batch_size / (time.thread_time() - cpu0)


def headless_same_work(scenario: str, epochs: int) -> float:
    """Training samples a second, headless in this process, doing what the app's worker does
    (a Trainer as the app builds it: one thread, the test set evaluated at every epoch's end,
    which `--bench` skips) on one OpenBLAS thread, as the app trains."""
    from nnviz.engine.blas import blas_threads
    from nnviz.scenario import load_scenario
    from nnviz.session import build

    trainer = build(load_scenario(scenario).with_overrides(epochs=epochs), threads=1).trainer
    trainer.warm_up()
    with blas_threads(1):
        t0, steps0 = time.perf_counter(), trainer.steps
        for _ in trainer.train_until(epochs):
            pass
        seconds = time.perf_counter() - t0
    return (trainer.steps - steps0) * trainer.batch_size / seconds


def in_tmux(scenario: str, size: tuple[int, int], epochs: int, paced_s: float,
            history_mib: float) -> dict:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        name = f"play-{os.getpid()}"
        command = (
            f"{PYTHON} {Path(__file__).resolve()} child {scenario} --out {out} "
            f"--socket {SOCKET} --epochs {epochs} --paced-s {paced_s} --history-mib {history_mib}"
        )
        subprocess.run(
            ["tmux", "-L", SOCKET, "new-session", "-d", "-s", name, "-x", str(size[0]),
             "-y", str(size[1]), command],
            check=True,
        )  # fmt: skip
        end = time.monotonic() + 300
        while not out.exists() and time.monotonic() < end:
            time.sleep(0.2)
        time.sleep(0.5)
        subprocess.run(
            ["tmux", "-L", SOCKET, "kill-session", "-t", name], check=False, capture_output=True
        )
        if not out.exists():
            return {"error": "no result from the app in tmux (timed out)"}
        return json.loads(out.read_text(encoding="utf-8"))


def touch_memory(mib: float) -> None:
    """Write `mib` MiB of fresh memory in a child process, which then frees it."""
    if mib <= 0:
        return
    code = (
        "import mmap, sys\n"
        "n = int(float(sys.argv[1]) * (1 << 20))\n"
        "m = mmap.mmap(-1, n, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)\n"
        "for i in range(0, n, 4096): m[i] = 1\n"
    )
    subprocess.run([str(PYTHON), "-c", code, str(mib)], check=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        p = argparse.ArgumentParser(prog="benchmarks/play.py child")
        p.add_argument("scenario")
        p.add_argument("--out", required=True)
        p.add_argument("--socket", required=True)
        p.add_argument("--epochs", type=int, required=True)
        p.add_argument("--paced-s", type=float, default=6.0)
        p.add_argument("--profile", default=None, help="write the interface thread's profile")
        p.add_argument("--history-mib", type=float, default=256.0)
        child(p.parse_args(argv[1:]))
        return 0
    parser = argparse.ArgumentParser(prog="benchmarks/play.py", description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["xor", "circles", "mnist"])
    parser.add_argument("--sizes", default="120x36,80x24")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--paced-s", type=float, default=6.0)
    parser.add_argument("--json-out", default=None)
    parser.add_argument(
        "--touch-mib",
        type=float,
        default=0.0,
        help="before each app run, write this much fresh memory in a child process: a virtual "
        "machine backs a page its guest never used at about 0.4 GB/s, 20x slower than one "
        "used before, and the app's history is the first to write that much (0: nothing)",
    )
    parser.add_argument(
        "--history-mib",
        type=float,
        default=256.0,
        help="the app's history budget, as nnviz run --history (0: none)",
    )
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        print("benchmarks/play.py: tmux is not installed", file=sys.stderr)
        return 2
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    report = []
    for scenario in args.scenarios:
        epochs = EPOCHS.get(scenario, 1000)
        for size in sizes:
            for _ in range(args.repeats):
                before = headless(scenario, epochs)
                touch_memory(args.touch_mib)
                app = in_tmux(scenario, size, epochs, args.paced_s, args.history_mib)
                after = headless(scenario, epochs)
                per_cpu = headless_per_cpu_s(scenario, epochs)
                same = headless_same_work(scenario, epochs)
                row = {"scenario": scenario, "size": f"{size[0]}x{size[1]}", "epochs": epochs,
                       "history_mib": args.history_mib, "touch_mib": args.touch_mib,
                       "headless_samples_per_s": [before, after],
                       "headless_samples_per_cpu_s": per_cpu,
                       "headless_same_work_samples_per_s": same, **app}  # fmt: skip
                fast = app.get("full_speed", {})
                if "train_samples_per_s" in fast:
                    row["app_vs_headless"] = fast["train_samples_per_s"] / statistics.median(
                        [before, after]
                    )
                    row["app_vs_headless_per_cpu_s"] = fast["train_samples_per_cpu_s"] / per_cpu
                    row["app_vs_same_work"] = fast["train_samples_per_s"] / same
                report.append(row)
                print_row(row)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def print_row(row: dict) -> None:
    def ms(d, k):
        v = d.get(k)
        return "-" if v is None else f"{v:.0f}"

    if "error" in row:
        print(f"{row['scenario']:8} {row['size']:7} error: {row['error']}")
        return
    paced, fast = row["paced"], row["full_speed"]
    touched = f", {row['touch_mib']:g} MiB touched first" if row.get("touch_mib") else ""
    print(
        f"{row['scenario']:8} {row['size']:7} history {row['history_mib']:g} MiB{touched}, "
        f"pace {row['pace']:g}: "
        f"{paced['steps_per_s']:.0f} steps/s, {paced['frames_per_s']:.1f} fps "
        f"({paced['screen_writes_per_s']:.1f} writes/s), key→redraw median "
        f"{ms(paced, 'key_to_redraw_ms_median')} ms p90 {ms(paced, 'key_to_redraw_ms_p90')} ms "
        f"[{paced['redraws_measured']} keys] | full speed: {fast['frames_per_s']:.1f} fps, "
        f"key→redraw median {ms(fast, 'key_to_redraw_ms_median')} ms p90 "
        f"{ms(fast, 'key_to_redraw_ms_p90')} ms [{fast['redraws_measured']} keys], "
        f"app {fast.get('train_samples_per_s', 0):.4g} samples/s vs headless "
        f"{statistics.median(row['headless_samples_per_s']):.4g}: "
        f"{100 * row.get('app_vs_headless', 0):.0f} % (per CPU second of training: "
        f"{100 * row.get('app_vs_headless_per_cpu_s', 0):.0f} %; against the same work "
        f"headless, {row.get('headless_same_work_samples_per_s', 0):.4g}: "
        f"{100 * row.get('app_vs_same_work', 0):.0f} %) | interface CPU "
        f"{paced['ui_cpu_ms_per_write']:.0f} ms a frame, load {paced['load_average']:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
