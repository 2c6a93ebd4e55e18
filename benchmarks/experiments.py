"""nnviz race / sweep in one process against the same runs one by one, side by side.

    python benchmarks/experiments.py [--rounds 3] [--nnviz PATH]

Times, with a warm kernel cache (each command runs once before timing):
- `nnviz race xor` (sgd, momentum, rmsprop, adam at the scenario's rate) against four
  `nnviz train xor --optimizer K` processes, one after another;
- `nnviz sweep circles --lr 1e-4:1 --points 13` against thirteen `nnviz train circles --lr V`
  processes at the sweep's own values.

Each round times one of each, interleaved, so that the load of a shared machine falls on both
sides alike; the table gives each side's median wall time and CPU time (user + system of the
child processes, steadier than wall time under load) and their ratios. The lr values come from
nnviz.experiments.sweep_values, as the sweep computes them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _nnviz_path(given: str | None) -> str:
    if given:
        return given
    beside = Path(sys.executable).with_name("nnviz")
    return str(beside) if beside.exists() else (shutil.which("nnviz") or "nnviz")


def timed(commands: list[list[str]]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the children) to run the commands one after another."""
    before = os.times()
    t0 = time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def cases(nnviz: str) -> dict[str, tuple[list[list[str]], list[list[str]]]]:
    from nnviz.experiments import DEFAULT_OPTIMIZERS, sweep_values

    race = [[nnviz, "race", "xor", "-q"]]
    race_alone = [[nnviz, "train", "xor", "--optimizer", k, "-q"] for k in DEFAULT_OPTIMIZERS]
    sweep = [[nnviz, "sweep", "circles", "--lr", "1e-4:1", "--points", "13", "-q"]]
    values = sweep_values("lr", "1e-4:1", 13)
    sweep_alone = [[nnviz, "train", "circles", "--lr", repr(v), "-q"] for v in values]
    return {
        "race xor (4 optimizers)": (race, race_alone),
        "sweep circles (13 lr)": (sweep, sweep_alone),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--nnviz", help="the nnviz command (default: beside this python)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds: at least 1")
    nnviz = _nnviz_path(args.nnviz)
    table = cases(nnviz)
    for together, alone in table.values():  # warm the kernel cache and the page cache
        timed(together[:1])
        timed(alone[:1])
    results = {name: {"one": [], "alone": []} for name in table}
    for _ in range(args.rounds):
        for name, (together, alone) in table.items():
            results[name]["one"].append(timed(together))
            results[name]["alone"].append(timed(alone))
    print(f"{'experiment':<26} {'one process':>18} {'one by one':>18} {'ratio':>13}")
    print(f"{'':<26} {'wall s':>8} {'cpu s':>9} {'wall s':>8} {'cpu s':>9} {'wall':>6} {'cpu':>6}")
    for name, sides in results.items():
        one_wall = statistics.median(w for w, _ in sides["one"])
        one_cpu = statistics.median(c for _, c in sides["one"])
        alone_wall = statistics.median(w for w, _ in sides["alone"])
        alone_cpu = statistics.median(c for _, c in sides["alone"])
        print(f"{name:<26} {one_wall:>8.2f} {one_cpu:>9.2f} {alone_wall:>8.2f} {alone_cpu:>9.2f}"
              f" {alone_wall / one_wall:>5.1f}× {alone_cpu / one_cpu:>5.1f}×")  # fmt: skip
    print(f"(medians of {args.rounds} rounds; ratio = one by one / one process; "
          f"load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
